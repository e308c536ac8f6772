"""The progress bar of a download: rich, on stderr, while stderr is a terminal; nothing otherwise."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from taskctl.render.safe import inert

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from taskctl.context import AppContext


class ProgressBar:
    """A rich progress bar on stderr while it is a terminal; nothing otherwise."""

    def __init__(self, app: AppContext) -> None:
        self._app = app
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        if self._app.is_terminal(self._app.stderr):
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                                      DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                                      console=self._app.stderr_console(), transient=True)
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
