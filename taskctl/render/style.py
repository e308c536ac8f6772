"""How states and progress look, the same in the table, the tree and the live watch display."""

from __future__ import annotations

from typing import TYPE_CHECKING

from taskctl.model import State

if TYPE_CHECKING:
    from rich.text import Text

STATE_STYLES = {State.PENDING: "blue", State.RUNNING: "yellow", State.SUCCEEDED: "green",
                State.PARTIAL: "yellow", State.FAILED: "red", State.CANCELED: "magenta",
                State.UNKNOWN: "magenta"}
PROGRESS_CELLS = 20


def state_text(state: State) -> Text:
    from rich.text import Text

    return Text(state.value, style=f"bold {STATE_STYLES[state]}")


def progress_text(percent: int, state: State = State.RUNNING, cells: int = PROGRESS_CELLS) -> Text:
    """``██████░░░░ 60%``, the one progress bar of the table, the tree and the live watch line: the done part in
    the state's colour (a failed task's bar is red, not green), the rest a shaded glyph, visible without colour
    (NO_COLOR, a log); the bar clamped to 0-100, the number as reported. ``cells`` 0: the number alone."""
    from rich.text import Text

    done, rest, number = progress_parts(percent, cells)
    bar = Text.assemble((done, STATE_STYLES[state]), (rest, "dim"))
    return bar.append(number)


def progress_parts(percent: int, cells: int = PROGRESS_CELLS) -> tuple[str, str, str]:
    """The progress bar's done part, the rest and the number, without colour: ``("████", "░░░░░░", " 40%")``."""
    clamped = max(0, min(100, percent))
    filled = round(clamped * cells / 100)
    return "█" * filled, "░" * (cells - filled), f" {percent}%" if cells else f"{percent}%"
