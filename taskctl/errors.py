"""The exception family. Every failure a user can meet is one of these, carrying its exit code.

Errors are immutable data: a changed message or hint is a copy (``revised``, ``about``). Only
``taskctl.cli.boundary`` turns them into stderr lines and an exit status.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Self


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    NOT_FOUND = 3
    AUTH = 4
    NETWORK = 5
    CONFIG = 6
    TASK_FAILED = 7
    TIMEOUT = 8
    INTERRUPTED = 130
    TERMINATED = 143  # SIGTERM (`kill`): 128 + 15, as a shell reports a command it ended


class TaskctlError(Exception):
    """A failure with a one-line message, an optional hint (what to do) and an exit code.

    ``message`` and ``hint`` are read-only: what knows more (the task it was about, how long polls failed)
    makes a revised copy, so an error another thread or a caller still holds never changes under it.
    """

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self._message = message
        self._hint = hint

    @property
    def message(self) -> str:
        return self._message

    @property
    def hint(self) -> str | None:
        return self._hint

    def revised(self, *, message: str | None = None, hint: str | None = None) -> Self:
        """A copy with another message and/or hint: same class, exit code, cause and traceback (for --debug)."""
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._message = self._message if message is None else message
        copy._hint = self._hint if hint is None else hint
        copy.args = (copy._message,)
        copy.__cause__, copy.__context__ = self.__cause__, self.__context__
        copy.__suppress_context__ = self.__suppress_context__
        return copy.with_traceback(self.__traceback__)


def task_label(provider: str, task_id: str) -> str:
    """How every message names a task: ``<provider> task 702``."""
    return f"{provider} task {task_id}"


def about(error: TaskctlError, label: str) -> TaskctlError:
    """The same error saying which task it was about (the HTTP layer does not know); the original is left as is."""
    if error.message.startswith(label):
        return error
    return error.revised(message=f"{label}: {error.message}")


class UsageError(TaskctlError):
    exit_code = ExitCode.USAGE


class ConfigError(TaskctlError):
    exit_code = ExitCode.CONFIG


class NotFoundError(TaskctlError):
    exit_code = ExitCode.NOT_FOUND


class AuthError(TaskctlError):
    exit_code = ExitCode.AUTH


class NetworkError(TaskctlError):
    exit_code = ExitCode.NETWORK


class ServiceError(TaskctlError):
    """The service answered with an error we cannot classify more precisely (5xx, bad request...)."""

    exit_code = ExitCode.FAILURE


class RateLimitError(ServiceError):
    """HTTP 429, still after the HTTP layer's own retries."""


class ResponseError(TaskctlError):
    """The service answered with something that is not what its API documents (HTML, bad JSON, wrong shape)."""

    exit_code = ExitCode.FAILURE


class TaskEndedError(TaskctlError):
    """The task ended failed, partial or canceled (watch), or has nothing to give (download)."""

    exit_code = ExitCode.TASK_FAILED


class WatchTimeoutError(TaskctlError):
    """--timeout passed while the task was still in progress."""

    exit_code = ExitCode.TIMEOUT
