"""The progress bars of a download: rich, on stderr, while stderr is a terminal; nothing otherwise.

One bar for the file being downloaded (bytes, speed, time left) and, when there are several, one more above
it for the whole download (files done of all).
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from taskctl.render.safe import inert

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from taskctl.context import AppContext


class ProgressBar:
    """A rich progress display on stderr while it is a terminal; nothing otherwise."""

    def __init__(self, app: AppContext, files: int = 1) -> None:
        self._app = app
        self._files = files
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._overall: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        if self._app.is_terminal(self._app.stderr):
            self._progress = _progress(self._app)
            if self._files > 1:
                self._overall = self._progress.add_task("all files", total=self._files, files=True)
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def show(self, name: str, completed: int, total: int | None) -> None:
        if self._progress is None:
            return
        if self._task is None:
            self._task = self._progress.add_task(inert(name), total=total, completed=completed)
        else:
            self._progress.update(self._task, description=inert(name), total=total, completed=completed)

    def advance(self, size: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, size)

    def file_done(self) -> None:
        """One file is in place: its bar goes, the overall one moves on."""
        if self._progress is None:
            return
        if self._overall is not None:
            self._progress.advance(self._overall, 1)
        self._progress.refresh()  # the file's bar, full, is drawn once before it goes
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None


def _progress(app: AppContext) -> Progress:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.text import Text

    class PerTask(ProgressColumn):
        """Bytes (or speed) for a file; "2/3 files" (or nothing) for the overall bar."""

        def __init__(self, for_file: ProgressColumn, counting: bool) -> None:
            super().__init__()
            self._for_file, self._counting = for_file, counting

        def render(self, task: Task) -> Text:
            if task.fields.get("files"):
                return Text(f"{task.completed:.0f}/{task.total:.0f} files" if self._counting else "")
            rendered = self._for_file.render(task)
            return rendered if isinstance(rendered, Text) else Text(str(rendered))

    return Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                    PerTask(DownloadColumn(), True), PerTask(TransferSpeedColumn(), False), TimeRemainingColumn(),
                    console=app.stderr_console(), transient=True)
