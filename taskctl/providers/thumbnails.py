"""A provider capability: the thumbnail of a task's result (or of one of its inputs), which `preview` shows.

A provider whose fetcher also has ``thumbnail(result, input_name)`` (``ThumbnailSource``) gets a preview
command (``ProviderSpec.previews``); the command knows nothing else about the provider. The link is a
pre-signed one on a storage host: it is fetched without credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from taskctl.model import TaskResult


@dataclass(frozen=True)
class Thumbnail:
    """Where a thumbnail is, and what the caption says about it (server text: shown inert)."""

    url: str
    file_name: str  # the file it shows
    band: str | None = None  # the band it shows, when the service says
    what: str = "output"  # "output", or "input"


@runtime_checkable
class ThumbnailSource(Protocol):
    def thumbnail(self, result: TaskResult, input_name: str | None) -> Thumbnail:
        """The output's thumbnail (``input_name`` None), or that of the input whose band or file name is
        ``input_name``; a TaskctlError when there is none."""
        ...


def thumbnail_source(fetcher: object) -> ThumbnailSource | None:
    """The fetcher as a ThumbnailSource, or None when its provider offers no thumbnails."""
    return fetcher if isinstance(fetcher, ThumbnailSource) else None
