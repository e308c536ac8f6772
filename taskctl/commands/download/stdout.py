"""``--dest -``: one file from the storage host straight to stdout; no ``.part``, nothing else on stdout.

Nothing can be resumed here: a body that breaks off is an error (exit 1, the reader has a partial file), and
so is a body longer than it announced. A reader that goes away (``| head -c 100``) ends the download quietly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, TextIO

from taskctl.commands.download.names import url_file_name
from taskctl.commands.download.progress import ProgressBar
from taskctl.commands.download.transfer import (
    DOWNLOAD_DEADLINE,
    LINK_GONE_STATUSES,
    MAX_UNANNOUNCED_BYTES,
    storage_http_error,
)
from taskctl.commands.download.version import version_of
from taskctl.errors import ResponseError, TaskctlError
from taskctl.http.destination import host_port
from taskctl.output_streams import READER_GONE, silence

if TYPE_CHECKING:
    import requests

    from taskctl.http import HttpClient
    from taskctl.providers.files import RemoteFile


def stream_to(stdout: TextIO, client: HttpClient, file: RemoteFile, warn: Callable[[str], None],
              bar: ProgressBar) -> None:
    """Write ``file`` to ``stdout``'s bytes; a refused link is asked for again once (``file.refresh``)."""
    out: IO[bytes] | None = getattr(stdout, "buffer", None)
    if out is None:
        raise TaskctlError("stdout takes no bytes here", "name a file or a folder with --dest instead")
    stdout.flush()
    url, refreshed = file.url, False
    while True:
        response = client.stream(url, headers={"Accept": "*/*", "Accept-Encoding": "identity"})
        try:
            status = response.status_code
            if status in LINK_GONE_STATUSES and file.refresh is not None and not refreshed:
                warn(f"the download link of the {file.what} was refused (HTTP {status} from {host_port(url)}); "
                     "asking the service for a fresh one")
                url, refreshed = file.refresh(), True
                continue
            if status != 200:
                raise storage_http_error(response, host_port(url), file.what, refreshed=refreshed)
            _copy(client, response, out, stdout, bar, file.name or url_file_name(url))
            return
        finally:
            response.close()


def _copy(client: HttpClient, response: requests.Response, out: IO[bytes], stdout: TextIO, bar: ProgressBar,
          name: str) -> None:
    host = host_port(response.url)
    announced = version_of(response, host).size
    written = 0
    bar.show(name, 0, announced)
    try:
        for chunk in _bounded(client.iter_body(response), announced, host):
            out.write(chunk)
            written += len(chunk)
            bar.advance(len(chunk))
        out.flush()
    except READER_GONE:
        silence(stdout)  # the reader has what it wanted (`| head`): stop, quietly
        return
    except TaskctlError as error:
        raise error.revised(message=f"the download stopped after {written} bytes: {error.message}",
                            hint="stdout received a partial file; rerun to download it again") from None
    if announced is not None and written != announced:
        raise ResponseError(f"the download ended at {written} bytes, not the {announced} announced",
                            "stdout received a partial file; rerun to download it again")


def _bounded(chunks: Iterator[bytes], announced: int | None, host: str) -> Iterator[bytes]:
    room = MAX_UNANNOUNCED_BYTES if announced is None else announced
    ends = time.monotonic() + DOWNLOAD_DEADLINE
    for chunk in chunks:
        room -= len(chunk)
        if room < 0:
            raise ResponseError(f"{host} sent more bytes than it announced" if announced is not None else
                                f"{host} announced no size and sent more than "
                                f"{MAX_UNANNOUNCED_BYTES // 2**30} GiB; taskctl stopped there")
        if time.monotonic() > ends:
            raise ResponseError(f"the download took longer than {DOWNLOAD_DEADLINE / 3600:g} hours")
        yield chunk
