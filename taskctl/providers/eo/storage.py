"""The EO sandbox's storage host: the files behind ``/datafile/file/urls`` and the thumbnails.

Served on the sandbox's second server (``RunningSandbox.storage_url``, another port), under ``/eo-storage``,
as an Azure-blob-like host answers pre-signed links: no credential is needed and none should be sent.

- ``GET /eo-storage/files/<dataFileId>/<name>?sv=...&se=...&sr=b&sp=r&sig=<signature>``: the file, with
  byte ranges, ETag and Last-Modified (``taskctl.sandbox.storage``). The signature must be one the API issued
  for that file (else 403 ``AuthenticationFailed``); a file added with ``single_use`` takes each signature
  once (the next request with it: 403 "Signature expired"), as a link that expires after its first use.
- ``GET /eo-storage/thumbs/<key>.png?...&sig=...``: a small PNG drawn from ``<key>`` (403 without ``sig``).

Files are TIFFs drawn from their id (``images.raster_tiff``) unless added with other bytes or a ``Response``.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote

from taskctl.providers.eo.images import raster_tiff, thumbnail_png
from taskctl.sandbox.server import Request, Response, Route
from taskctl.sandbox.storage import cut_short, ranged_response, storage_error

STORAGE_MOUNT = "eo-storage"
STORAGE_PLACEHOLDER = "{storage}"
"""In seed task objects: replaced by the storage host's URL when the task is served."""
FILES_MODIFIED = "Wed, 05 Nov 2025 14:03:42 GMT"
_SAS = "sv=2023-11-03&se=2099-01-01T00%3A00%3A00Z&sr=b&sp=r"


@dataclass
class StoredFile:
    name: str
    path: str
    data: bytes | Response | None = None  # None: a TIFF drawn from the file id
    single_use: bool = False
    breaks: list[int] = field(default_factory=list)  # the next answers stop after this many body bytes


class EoStorage:
    """The ``/eo-storage`` mount, and the catalogue the file-URL API reads."""

    def __init__(self, files: dict[int, StoredFile]) -> None:
        self._files = files
        self._issued: dict[str, int] = {}  # signature -> the file it opens
        self._spent: set[str] = set()
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [Route("GET", "/files/{file_id}/{name}", self.file), Route("GET", "/thumbs/{name}", self.thumbnail)]

    def add(self, file_id: int, stored: StoredFile) -> None:
        with self._lock:
            self._files[file_id] = stored

    def break_file(self, file_id: int, after: int, times: int = 1) -> None:
        with self._lock:
            self._files[file_id].breaks.extend([after] * times)

    def url_entry(self, file_id: int, storage_url: str) -> dict[str, Any] | None:
        """A ``DataFileUrl`` with a fresh signature, or None for a file the storage does not hold."""
        with self._lock:
            stored = self._files.get(file_id)
            if stored is None:
                return None
            signature = f"{next(self._counter):04d}f{file_id}sandboxsig"
            self._issued[signature] = file_id
        url = (f"{storage_url}/{STORAGE_MOUNT}/files/{file_id}/{quote(stored.name, safe='')}"
               f"?{_SAS}&sig={signature}%3D")
        return {"url": url, "dataFileId": file_id, "name": stored.name, "path": stored.path}

    def file(self, request: Request) -> Response:
        """``GET /files/<id>/<name>``: the file, if the signature opens it."""
        file_id_text = request.params["file_id"]
        signature = "".join(parse_qs(request.query).get("sig", [""]))[:-1]  # without its "=" padding
        with self._lock:
            file_id = int(file_id_text) if file_id_text.isdigit() else None
            stored = self._files.get(file_id) if file_id is not None else None
            valid = stored is not None and self._issued.get(signature) == file_id
            spent = valid and stored is not None and stored.single_use and signature in self._spent
            if valid and stored is not None and stored.single_use:
                self._spent.add(signature)
            cut = stored.breaks.pop(0) if valid and stored is not None and stored.breaks else None
        if not valid or spent or stored is None or file_id is None:
            message = "Signature not valid in the specified time frame" if spent else \
                "Server failed to authenticate the request."
            return storage_error(403, "AuthenticationFailed", message, request.path)
        response = self._answer(request, file_id, stored)
        return response if cut is None else cut_short(response, cut)

    def _answer(self, request: Request, file_id: int, stored: StoredFile) -> Response:
        if isinstance(stored.data, Response):
            return stored.data
        data = raster_tiff(f"file-{file_id}") if stored.data is None else stored.data
        disposition = f"attachment; filename*=UTF-8''{quote(stored.name, safe='')}"
        return ranged_response(request, data, "image/tiff", (("Content-Disposition", disposition),),
                               FILES_MODIFIED, request.path)

    def thumbnail(self, request: Request) -> Response:
        """``GET /thumbs/<key>.png``: a thumbnail drawn from its key."""
        name = request.params["name"]
        if not parse_qs(request.query).get("sig") or not name.endswith(".png"):
            return storage_error(403, "AuthenticationFailed", "Server failed to authenticate the request.",
                                 request.path)
        return ranged_response(request, thumbnail_png(name), "image/png", (), FILES_MODIFIED, request.path)


def thumbnail_url(key: str, signature: str) -> str:
    """A signed thumbnail link on the sandbox's storage host (filled in when served)."""
    return f"{STORAGE_PLACEHOLDER}/{STORAGE_MOUNT}/thumbs/{quote(key, safe='')}_thumb.png?{_SAS}&sig={signature}%3D"
