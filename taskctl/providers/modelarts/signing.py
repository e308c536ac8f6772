"""Huawei Cloud AK/SK request signing, algorithm ``SDK-HMAC-SHA256``; standard library only.

Written after Huawei Cloud's "API Request Signing Guide" (its worked example is pinned in the tests) and matched,
rule for rule, to the official SDK's ``huaweicloudsdkcore.signer.signer.Signer``, which is a test-only dependency:

* canonical request = METHOD, canonical URI, canonical query string, canonical headers, signed headers, payload hash,
  joined by newlines;
* canonical URI: the path is percent-decoded, split on ``/``, each segment percent-encoded again (only
  ``A-Za-z0-9-_.~`` stay as they are) and a ``/`` appended when it does not end with one (the trailing-slash rule);
* canonical query string: ``(name, value)`` pairs, decoded and sorted, then encoded like path segments, ``name=value``
  joined by ``&`` (a blank value still gets its ``=``);
* canonical headers: every header the request sends except those whose name contains ``_`` (as the SDK does), plus
  ``host``; names lowercased, values trimmed, sorted by name, each ``name:value`` line ending in a newline;
* payload hash: hex SHA-256 of the body (of ``b""`` for no body), or the value of ``X-Sdk-Content-Sha256``, which the
  SDK sets to ``UNSIGNED-PAYLOAD`` for any ``Content-Type`` other than JSON or BSON;
* string to sign = ``SDK-HMAC-SHA256``, the ``X-Sdk-Date`` value and the hex SHA-256 of the canonical request;
  signature = hex HMAC-SHA256 keyed with the secret key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
AUTHORIZATION_HEADER = "Authorization"
SECURITY_TOKEN_HEADER = "X-Security-Token"
CONTENT_SHA256_HEADER = "X-Sdk-Content-Sha256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SIGNED_BODY_TYPES = ("application/json", "application/bson")
_REQUIRED_SIGNED = ("host", "x-sdk-date")


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
    *,
    security_token: str | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """Return the headers to send: ``headers`` (values trimmed) plus X-Sdk-Date, Authorization, X-Security-Token
    when ``security_token`` is given and X-Sdk-Content-Sha256 when the SDK would add it.

    Host is signed but not added: the HTTP client sends it, and it is signed as requests/http.client send it
    (lowercased host name, the port only when it is not the scheme's default). A Host in ``headers`` is kept and
    signed as given. An X-Sdk-Date or Authorization in ``headers`` is replaced.
    """
    if not access_key or not secret_key:
        raise ValueError("an access key and a secret key are required")
    out = _outgoing_headers(headers, security_token)
    out[DATE_HEADER] = _utc(now).strftime(DATE_FORMAT)
    parts = urlsplit(url)
    signed = _lowercase(out)
    signed.setdefault("host", _host_header(parts))
    names = sorted(name for name in signed if "_" not in name)
    payload = _payload_hash(body, signed.get(CONTENT_SHA256_HEADER.lower()))
    canonical = _canonical_request(method, parts.path, parts.query, signed, names, payload)
    signature = _signature(secret_key, out[DATE_HEADER], canonical)
    out[AUTHORIZATION_HEADER] = _authorization(access_key, names, signature)
    return {name: _to_wire(value) for name, value in out.items()}


def verify_request(
    method: str,
    path_and_query: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_for: Callable[[str], str | None],
    *,
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=15),
) -> str | None:
    """Check an incoming request's Authorization header; return None when it is valid, else a short reason.

    ``headers`` are the received ones (Host among them); ``secret_for(access_key)`` returns that key's secret, or
    None for a key that does not exist.
    """
    received = {name: _from_wire(value) for name, value in _lowercase(headers).items()}
    auth = _parse_authorization(received.get("authorization"))
    if isinstance(auth, str):
        return auth
    access_key, names, signature = auth
    date_problem = _check_date(received.get("x-sdk-date"), _utc(now), max_skew)
    if date_problem:
        return date_problem
    if any(name not in names for name in _REQUIRED_SIGNED):
        return "host and X-Sdk-Date must be signed"
    if any(name not in received for name in names):
        return "missing signed header"
    secret = secret_for(access_key)
    if secret is None:
        return "unknown access key"
    path, _, query = path_and_query.partition("?")
    # Only UNSIGNED-PAYLOAD is taken on trust; any other declared hash must be the body's own.
    unsigned = received.get(CONTENT_SHA256_HEADER.lower()) == UNSIGNED_PAYLOAD
    payload = _payload_hash(body, UNSIGNED_PAYLOAD if unsigned else None)
    canonical = _canonical_request(method, path, query, received, names, payload)
    expected = _signature(secret, received["x-sdk-date"], canonical)
    return None if hmac.compare_digest(expected.encode(), signature.encode()) else "signature mismatch"


# --- canonical request ---------------------------------------------------------------------------------------------


def _canonical_request(
    method: str, path: str, query: str, headers: Mapping[str, str], names: list[str], payload_hash: str
) -> str:
    canonical_headers = "".join(f"{name}:{headers[name]}\n" for name in names)
    uri, query_string = _canonical_uri(path), _canonical_query(query)
    return "\n".join((method.upper(), uri, query_string, canonical_headers, ";".join(names), payload_hash))


def _encode(text: str) -> str:
    """Percent-encode all but RFC 3986's unreserved characters (UTF-8, upper-case hex)."""
    return quote(text, safe="~")


def _canonical_uri(path: str) -> str:
    uri = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def _canonical_query(query: str) -> str:
    # parse_qsl reads "+" as a space, as form-encoded query strings (and requests' params=) mean it.
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in pairs)


def _payload_hash(body: bytes, declared: str | None) -> str:
    """Hex SHA-256 of the body; the X-Sdk-Content-Sha256 value instead when there is a body and one was declared."""
    if not body:
        return _EMPTY_SHA256
    return declared or hashlib.sha256(body).hexdigest()


def _authorization(access_key: str, names: list[str], signature: str) -> str:
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(names)}, Signature={signature}"


def _signature(secret_key: str, date: str, canonical: str) -> str:
    string_to_sign = f"{ALGORITHM}\n{date}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    return hmac.new(secret_key.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


# --- headers -------------------------------------------------------------------------------------------------------


def _outgoing_headers(headers: Mapping[str, str], security_token: str | None) -> dict[str, str]:
    replaced = {"x-sdk-date", "authorization"} | ({"x-security-token"} if security_token else set())
    out = {name: str(value).strip() for name, value in headers.items() if name.lower() not in replaced}
    if len(_lowercase(out)) != len(out):
        raise ValueError("headers differ only in case: " + ", ".join(sorted(out)))
    if security_token:
        out[SECURITY_TOKEN_HEADER] = security_token.strip()
    lower = _lowercase(out)
    content_type = lower.get("content-type")
    if content_type and not content_type.startswith(_SIGNED_BODY_TYPES) and CONTENT_SHA256_HEADER.lower() not in lower:
        out[CONTENT_SHA256_HEADER] = UNSIGNED_PAYLOAD  # what the SDK does: such bodies (forms, files) go unsigned
    return out


def _lowercase(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): str(value).strip() for name, value in headers.items()}


def _host_header(parts: SplitResult) -> str:
    """The Host header http.client sends for this URL."""
    host = parts.hostname or ""
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    return host if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()) else f"{host}:{port}"


def _to_wire(value: str) -> str:
    """UTF-8 bytes as a latin-1 str, since http.client encodes header values as latin-1 (the SDK does the same)."""
    return value.encode("utf-8").decode("latin-1")


def _from_wire(value: str) -> str:
    """Undo ``_to_wire`` on a value an HTTP server decoded as latin-1."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


# --- verification --------------------------------------------------------------------------------------------------


def _parse_authorization(value: str | None) -> tuple[str, list[str], str] | str:
    """(access key, signed header names, signature), or the reason the header is unusable."""
    if not value:
        return "missing Authorization"
    algorithm, _, rest = value.partition(" ")
    fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    access_key, names, signature = (fields.get(key, "") for key in ("Access", "SignedHeaders", "Signature"))
    if algorithm != ALGORITHM or not access_key or not names or not signature:
        return "malformed Authorization"
    return access_key, names.split(";"), signature


def _check_date(value: str | None, now: datetime, max_skew: timedelta) -> str | None:
    if not value:
        return "missing X-Sdk-Date"
    try:
        sent = datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return "malformed X-Sdk-Date"
    return "request time skewed" if abs(now - sent) > max_skew else None


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
