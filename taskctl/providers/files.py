"""A provider capability: the files of a task, which `download` fetches.

A provider whose fetcher also has ``files(result, inputs=...)`` (``FileSource``) gets a download command; the
command knows nothing else about the provider. ``inputs`` asks for the task's input files too, for a provider
whose spec says it has them (``ProviderSpec.download_inputs``: the command then offers ``--inputs``).
``files`` answers with where each file is (a link on a storage host,
fetched without credentials), or raises the error that says, in the provider's own words, why the task has
nothing to give (not finished yet: exit 1; ended failed or canceled: ``TaskEndedError``, exit 7; a missing
or unusable link: exit 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from taskctl.errors import ResponseError
from taskctl.model import TaskResult


@dataclass(frozen=True)
class RemoteFile:
    """One file of a task: where to get it, what the service calls it, and what messages call it."""

    url: str
    name: str | None = None  # the service's name, used when the storage host's answer gives none (before the URL's)
    what: str = "file"  # how messages name it, e.g. "package": "... the package may have been deleted"
    # A fresh link when the storage host refuses this one (401/403/404/410: links expire); asked once per file.
    refresh: Callable[[], str] | None = None


@runtime_checkable
class FileSource(Protocol):
    def files(self, result: TaskResult, *, inputs: bool = False) -> Sequence[RemoteFile]:
        """The files of this task (at least one), or a TaskctlError saying why it has none to give; with
        ``inputs``, its input files after its own."""
        ...


def file_source(fetcher: object) -> FileSource | None:
    """The fetcher as a FileSource, or None when its provider offers no files."""
    return fetcher if isinstance(fetcher, FileSource) else None


def usable_url(url: str, label: str) -> str:
    """``url`` when it is a plain http(s) URL with a host (no blanks, controls or non-ASCII), else a ResponseError
    that shows it with its signature and token parameters hidden."""
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        usable = False
    if not usable or not (url.isascii() and url.isprintable()) or " " in url:
        from taskctl.http import redact_query

        raise ResponseError(f"{label}: the download link is not a usable http(s) URL ({redact_query(url)!r})")
    return url
