"""TAB completion for zsh, fish and PowerShell with each candidate's help as plain text.

Typer passes that help through rich to strip rich markup: every TAB in those shells imported rich (about 20 ms),
and a task name such as ``[red]x`` (from the history of seen tasks) lost its brackets. taskctl's help has no
markup (``rich_markup_mode=None``), so these shells get the help as it is, escaped as Typer escapes it.
"""

from __future__ import annotations

import re

from typer._click.shell_completion import CompletionItem, add_completion_class
from typer._completion_classes import FishComplete, PowerShellComplete, ZshComplete

_WHITESPACE = re.compile(r"\s")


def _zsh_escape(text: str) -> str:
    return text.replace('"', '""').replace("'", "''").replace("$", "\\$").replace("`", "\\`").replace(":", r"\\:")


class PlainZsh(ZshComplete):
    def format_completion(self, item: CompletionItem) -> str:
        if item.help:
            return f'"{_zsh_escape(item.value)}":"{_zsh_escape(item.help)}"'
        return f'"{_zsh_escape(item.value)}"'


class PlainFish(FishComplete):
    def format_completion(self, item: CompletionItem) -> str:
        if item.help:
            return f"{item.value}\t{_WHITESPACE.sub(' ', item.help)}"
        return f"{item.value}"


class PlainPowerShell(PowerShellComplete):
    def format_completion(self, item: CompletionItem) -> str:
        return f"{item.value}:::{item.help if item.help else ' '}"


def register() -> None:
    """Use these for the shells Typer registered (call it after Typer did: building the root command does)."""
    for shell in (PlainZsh, PlainFish):
        add_completion_class(shell, shell.name)
    add_completion_class(PlainPowerShell, "powershell")
    add_completion_class(PlainPowerShell, "pwsh")
