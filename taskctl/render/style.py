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


def progress_text(percent: int, cells: int = PROGRESS_CELLS) -> Text:
    """``██████░░░░ 60%``: the bar clamped to 0-100, the number as reported."""
    from rich.text import Text

    clamped = max(0, min(100, percent))
    filled = round(clamped * cells / 100)
    return Text.assemble(("█" * filled, "green"), ("░" * (cells - filled), "dim"), f" {percent}%")
