"""HTTP for every provider: one client and policy (``client``), where requests may go (``destination``),
per-request deadlines (``deadline``), secrets hidden in text (``redact``), failures in words (``failures``).

Nothing here imports requests until a client sends.
"""

from taskctl.http.client import (
    DOWNLOAD_CHUNK,
    MAX_ANSWER_BYTES,
    POOL_SIZE,
    TRACE_BODY_LIMIT,
    HttpClient,
)
from taskctl.http.deadline import time_budget
from taskctl.http.destination import is_loopback
from taskctl.http.failures import TruncatedBodyError
from taskctl.http.redact import SECRET_QUERY_PARAMS, Redactor, redact_query, secret_query_values

__all__ = ["DOWNLOAD_CHUNK", "MAX_ANSWER_BYTES", "POOL_SIZE", "SECRET_QUERY_PARAMS", "TRACE_BODY_LIMIT", "HttpClient",
           "Redactor", "TruncatedBodyError", "is_loopback", "redact_query", "secret_query_values", "time_budget"]
