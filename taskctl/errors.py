"""The exception family. Every failure a user can meet is one of these, carrying its exit code.

Only ``taskctl.cli.app`` turns them into stderr lines and an exit status.
"""

from __future__ import annotations

from enum import IntEnum


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


class TaskctlError(Exception):
    """A failure with a one-line message, an optional hint (what to do) and an exit code."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def task_label(provider: str, task_id: str) -> str:
    """How every message names a task: ``eo task 702``."""
    return f"{provider} task {task_id}"


def about(error: TaskctlError, label: str) -> TaskctlError:
    """The same error saying which task it was about (the HTTP layer does not know); the original is left as is."""
    if error.message.startswith(label):
        return error
    named = type(error).__new__(type(error))
    named.__dict__.update(error.__dict__)
    named.message = f"{label}: {error.message}"
    named.args = (named.message,)
    return named


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
