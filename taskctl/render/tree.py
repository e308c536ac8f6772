"""-o tree: the whole raw task object as a tree, unknown fields included, with friendly notes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from taskctl.jsonio import describe_value
from taskctl.model import TaskResult
from taskctl.render.safe import safe_text
from taskctl.render.style import state_text

if TYPE_CHECKING:
    from rich.tree import Tree

    from taskctl.render.page import Page


def render_tree(result: TaskResult) -> Tree:
    from rich.text import Text
    from rich.tree import Tree

    task = result.task
    label = Text.assemble((f"{task.provider} task ", "bold"), safe_text(task.task_id, "bold"), " · ")
    if task.name:
        label.append_text(safe_text(task.name, "bold"))
        label.append(" · ")
    label.append_text(state_text(task.state))
    tree = Tree(label)
    notes = dict(task.annotations)
    _add_children(tree, result.raw, notes)
    for name, value in result.companions:
        beside = tree.add(safe_text(str(name), "bold cyan") + safe_text("  (beside the task object)", "dim"))
        _add_children(beside, value if isinstance(value, dict | list) else [value])
    return tree


def _add_children(node: Tree, value: Any, notes: dict[str, str] | None = None) -> None:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        key_text = safe_text(str(key), "bold cyan") if isinstance(value, dict) else safe_text(f"[{key}]", "dim")
        note = (notes or {}).get(str(key)) if isinstance(value, dict) else None
        node_label = key_text
        if isinstance(child, dict | list) and child and not _is_scalar_list(child):
            count = f" ({len(child)})" if isinstance(child, list) else ""
            _add_children(node.add(node_label + safe_text(count, "dim")), child)
            continue
        node_label = node_label + safe_text(": ") + _leaf(child)
        if note:
            node_label = node_label + safe_text(f"  ({note})", "dim")
        node.add(node_label)


def _is_scalar_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) <= 8 and not any(isinstance(v, dict | list) for v in value)


def _leaf(value: Any) -> Any:
    if _is_scalar_list(value) and value:
        return safe_text("[", "dim") + safe_text(", ").join(_leaf(v) for v in value) + safe_text("]", "dim")
    if value is None:
        return safe_text("null", "dim italic")
    if isinstance(value, dict | list):
        return safe_text("{}" if isinstance(value, dict) else "[]", "dim")
    style = "green" if isinstance(value, str) else "blue"
    return safe_text(describe_value(value), style)


SEPARATED = True


def render_text(result: TaskResult, page: Page) -> str:
    return page.lay_out(page.console(), render_tree(page.shown(result)))
