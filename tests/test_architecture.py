"""The layout keeps its promises: a provider lives in its folder, nothing imports in a circle, functions stay short."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from taskctl import providers

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "taskctl"
MAX_FUNCTION_LINES = 40


def _sources() -> dict[str, Path]:
    """Module name -> file, for every module of the taskctl package."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _provider_words(spec: providers.ProviderSpec) -> set[str]:
    words = {spec.name, *spec.secret_fields, *spec.sandbox_settings}
    words |= {key.name for key in spec.profile_keys}
    words |= {option.name for option in spec.cli_options} | {option.flag for option in spec.cli_options}
    return {word.lstrip("-") for word in words}


def test_outside_its_folder_no_module_names_a_provider_or_its_keys() -> None:
    registry = PACKAGE / "providers" / "__init__.py"
    found = []
    for spec in providers.specs():
        pattern = re.compile("|".join(rf"(?<![\w-]){re.escape(word)}(?![\w-])" for word in _provider_words(spec)),
                             re.IGNORECASE)
        home = PACKAGE / "providers" / spec.name
        for path in _sources().values():
            if path == registry or home in path.parents:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if match := pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)!r} in {line.strip()}")
    assert found == []


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """The taskctl modules ``module`` imports, at the top or inside functions (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    type_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                 and "TYPE_CHECKING" in ast.unparse(block.test) for node in ast.walk(block)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            targets |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names}
    return {target for target in targets if target in known and target != module}


def test_no_import_cycles() -> None:
    sources = _sources()
    graph = {module: _imports(path, module, set(sources)) for module, path in sources.items()}
    cycles = [cycle for cycle in _strongly_connected(graph) if len(cycle) > 1]
    assert cycles == []


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"], ["d"]]


def test_no_function_is_longer_than_forty_lines() -> None:
    long = []
    for path in _sources().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {lines} lines")
    assert long == []
