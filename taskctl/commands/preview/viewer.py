"""--open: the desktop viewer (``open`` on macOS, ``xdg-open`` elsewhere), started with an argument list,
never through a shell, and not waited for."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from taskctl.errors import ConfigError, TaskctlError

if TYPE_CHECKING:
    from taskctl.context import AppContext


def viewer_command() -> str:
    return "open" if sys.platform == "darwin" else "xdg-open"


def open_in_viewer(app: AppContext, path: Path) -> None:
    command = viewer_command()
    program = shutil.which(command, path=app.environ.get("PATH"))
    if program is None:
        raise ConfigError(f"cannot open {path}: {command} is not installed",
                          "open the file yourself, or use --save PATH")
    app.warn(f"opening {path} with {command}")
    try:
        subprocess.Popen([program, str(path.resolve())], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, env=dict(app.environ))
    except OSError as error:
        raise TaskctlError(f"cannot start {command}: {error.strerror or error}") from None
