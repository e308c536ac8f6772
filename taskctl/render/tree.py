"""-o tree: the whole raw task object as a tree, unknown fields included, with friendly notes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from taskctl.jsonio import describe_value
from taskctl.model import TaskResult
from taskctl.render import plain
from taskctl.render.safe import inert, safe_text
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
    shown = page.shown(result)
    if page.plain_width is not None:
        try:
            return page.plain(plain.checked(plain.tree_lines(plain_tree(shown)), page.plain_width))
        except plain.NotPlain:
            pass
    return page.lay_out(page.console(), render_tree(shown))


# --- the same view without rich, for a pipe (render/plain.py): keep it in step with the rich one above ---------


def plain_tree(result: TaskResult) -> plain.TreeNode:
    """``render_tree`` as plain labels (rich lays each out on one line when it fits)."""
    task = result.task
    label = f"{task.provider} task " + inert(task.task_id) + " · "
    if task.name:
        label += inert(task.name) + " · "
    root = plain.TreeNode(label + task.state.value, _plain_children(result.raw, dict(task.annotations)))
    for name, value in result.companions:
        children = _plain_children(value if isinstance(value, dict | list) else [value])
        root.children.append(plain.TreeNode(inert(str(name)) + inert("  (beside the task object)"), children))
    return root


def _plain_children(value: Any, notes: dict[str, str] | None = None) -> list[plain.TreeNode]:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    nodes = []
    for key, child in items:
        key_text = inert(str(key)) if isinstance(value, dict) else inert(f"[{key}]")
        note = (notes or {}).get(str(key)) if isinstance(value, dict) else None
        if isinstance(child, dict | list) and child and not _is_scalar_list(child):
            count = f" ({len(child)})" if isinstance(child, list) else ""
            nodes.append(plain.TreeNode(key_text + inert(count), _plain_children(child)))
            continue
        label = key_text + inert(": ") + _plain_leaf(child)
        if note:
            label += inert(f"  ({note})")
        nodes.append(plain.TreeNode(label, []))
    return nodes


def _plain_leaf(value: Any) -> str:
    if _is_scalar_list(value) and value:
        return "[" + ", ".join(_plain_leaf(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    return inert(describe_value(value))
