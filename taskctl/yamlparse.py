"""The profiles file's YAML into plain values, from PyYAML's parser events: iteratively, with a depth and an
expansion bound, refusing tags, keeping the line of every key. Imported only when a file is parsed (a command
whose file is unchanged reads the parse from ``profiles_cache``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from taskctl.errors import ConfigError
from taskctl.yamltree import YamlMapping, shorten

MAX_DEPTH = 20  # profiles -> name -> timeout -> read is 4; deeper is never valid, and 50,000 must not recurse
MAX_VALUES = 500_000  # values built, keys copied by `<<` merges included (aliases are shared, not copied)
_YAML = "tag:yaml.org,2002:"
_SCALAR_KINDS = {f"{_YAML}str": "text", f"{_YAML}int": "whole number", f"{_YAML}float": "number",
                 f"{_YAML}bool": "true/false value", f"{_YAML}null": "null", f"{_YAML}timestamp": "date or time"}
_EXPLICIT_TAGS = {f"{_YAML}{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")}


@dataclass
class _Collection:
    value: YamlMapping | list[Any]
    path: tuple[str, ...]
    anchor: str | None
    line: int
    key: Any = None
    has_key: bool = False
    merge_line: int = 0
    merge: Any = None


class _MergeKey:
    """The `<<` key: its value's mappings are merged into the mapping that holds it."""


_MERGE = _MergeKey()


@dataclass
class _Builder:
    """Builds plain values from the parser's events with an explicit stack (no recursion)."""

    loader: Any
    source: str
    stack: list[_Collection] = field(default_factory=list)
    anchors: dict[str, Any] = field(default_factory=dict)
    budget: int = MAX_VALUES
    root: Any = None
    root_line: int = 1
    documents: int = 0

    def fail(self, line: int, path: tuple[str, ...], problem: str, hint: str | None = None) -> ConfigError:
        if len(path) > 6:  # a path 50,000 levels deep is not worth printing
            path = (*path[:4], "...", path[-1])
        where = f"{' -> '.join(path)}: " if path else ""
        return ConfigError(f"{self.source}:{line}: {where}{problem}", hint)

    def value_path(self) -> tuple[str, ...]:
        """The key path of the value the next event builds."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return (*top.path, f"[{len(top.value)}]")
        return (*top.path, _key_text(top.key)) if top.has_key else top.path

    def run(self) -> tuple[Any, int]:
        import yaml.events as ev

        while self.loader.check_event():
            event = self.loader.get_event()
            line = event.start_mark.line + 1
            self.budget -= 1
            if self.budget < 0:
                raise self.fail(line, (), f"more than {MAX_VALUES:,} values (aliases and `<<` merges included)")
            if isinstance(event, ev.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    raise self.fail(line, (), "a second YAML document (`---`); the file holds one",
                                    "remove the `---` line, or split the file")
            elif isinstance(event, ev.ScalarEvent):
                self.add(self.scalar(event, line), line, event.anchor)
            elif isinstance(event, ev.AliasEvent):
                self.add(self.alias(event, line), line, None)
            elif isinstance(event, ev.SequenceStartEvent | ev.MappingStartEvent):
                self.open(event, line)
            elif isinstance(event, ev.SequenceEndEvent | ev.MappingEndEvent):
                self.close()
        return self.root, self.root_line

    def scalar(self, event: Any, line: int) -> Any:
        import yaml

        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        elif tag not in _EXPLICIT_TAGS or tag in (f"{_YAML}map", f"{_YAML}seq"):
            raise self.unsupported_tag(event.tag, line)
        if tag == f"{_YAML}merge":
            return _MERGE
        if tag not in _SCALAR_KINDS:  # `=` (the YAML 1.1 value key) and the like: plain text
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except Exception:  # noqa: BLE001 - int(), datetime() & co. quote the text, which may be a secret
            raise self.fail(line, self.value_path(), f"not a valid {_SCALAR_KINDS[tag]}",
                            "quote the value to make it text, or correct it") from None

    def unsupported_tag(self, tag: str, line: int) -> ConfigError:
        shown = "!!" + tag[len(_YAML):] if tag.startswith(_YAML) else tag
        return self.fail(line, self.value_path(), f"the YAML tag {shorten(shown)} is not supported here",
                         "remove it: the file holds plain text, numbers, true/false and mappings")

    def alias(self, event: Any, line: int) -> Any:
        if event.anchor in self.anchors:
            return self.anchors[event.anchor]
        opened = any(frame.anchor == event.anchor for frame in self.stack)
        problem = "refers to the collection that contains it" if opened else "has no anchor `&` before it"
        raise self.fail(line, self.value_path(), f"the alias *{shorten(event.anchor)} {problem}")

    def open(self, event: Any, line: int) -> None:
        import yaml.events as ev

        is_mapping = isinstance(event, ev.MappingStartEvent)
        kind = "mapping" if is_mapping else "list"
        path = self.value_path()
        tag = event.tag
        if tag not in (None, "!", f"{_YAML}{'map' if is_mapping else 'seq'}"):
            raise self.unsupported_tag(tag, line)
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, YamlMapping) and not top.has_key:
            raise self.fail(line, path, f"a key must be plain text, not a {kind}")
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(line, path, f"nested more than {MAX_DEPTH} levels deep")
        value: YamlMapping | list[Any] = YamlMapping(line) if is_mapping else []
        self.stack.append(_Collection(value, path, event.anchor, line))

    def close(self) -> None:
        frame = self.stack.pop()
        value = frame.value
        if isinstance(value, YamlMapping) and frame.merge_line:
            value = self.merged(frame, value)
        self.add(value, frame.line, frame.anchor)

    def add(self, value: Any, line: int, anchor: str | None) -> None:
        """Put a finished value where it belongs: the root, a list, a mapping's key, or that key's value."""
        top = self.stack[-1] if self.stack else None
        as_key = top is not None and isinstance(top.value, YamlMapping) and not top.has_key
        if value is _MERGE and not as_key:
            value = _MERGE_TEXT
        if anchor is not None:
            self.anchors[anchor] = _MERGE_TEXT if value is _MERGE else value
        if top is None:
            self.root, self.root_line = value, line
        elif isinstance(top.value, list):
            top.value.append(value)
        elif as_key:
            self.add_key(top, value, line)
        else:
            self.add_value(top, value)

    def add_key(self, top: _Collection, key: Any, line: int) -> None:
        if isinstance(key, dict | list):  # an alias to a collection
            raise self.fail(line, top.path, "a key must be plain text, not a collection")
        top.key, top.has_key = key, True
        mapping = top.value
        assert isinstance(mapping, YamlMapping)
        first = top.merge_line if key is _MERGE else mapping.key_lines.get(key)
        if first:
            raise self.fail(line, (*top.path, _key_text(key)), f"duplicate key (first on line {first})",
                            "keep one of them")
        if key is _MERGE:
            top.merge_line = line
        else:
            mapping.key_lines[key] = line

    def add_value(self, top: _Collection, value: Any) -> None:
        mapping = top.value
        assert isinstance(mapping, YamlMapping)
        if top.key is _MERGE:
            top.merge = value
        else:
            mapping[top.key] = value
        top.key, top.has_key = None, False

    def merged(self, frame: _Collection, explicit: YamlMapping) -> YamlMapping:
        """YAML's `<<`: keys of the merged mapping(s) that the mapping does not set itself (first listed wins)."""
        sources = frame.merge if isinstance(frame.merge, list) else [frame.merge]
        if not sources or not all(isinstance(source, YamlMapping) for source in sources):
            raise self.fail(frame.merge_line, (*frame.path, "<<"), "merges a mapping or a list of mappings")
        result = YamlMapping(explicit.line)
        for source in reversed(sources):
            self.budget -= len(source)
            if self.budget < 0:
                raise self.fail(frame.merge_line, frame.path,
                                f"more than {MAX_VALUES:,} values (aliases and `<<` merges included)")
            result.update(source)
            result.key_lines.update(source.key_lines)
        result.update(explicit)
        result.key_lines.update(explicit.key_lines)
        return result


_MERGE_TEXT = "<<"


def _key_text(key: Any) -> str:
    return _MERGE_TEXT if key is _MERGE else shorten(str(key))


def load_yaml(text: str, source: str) -> tuple[Any, int]:
    """The document as plain values (mappings are YamlMapping) and the line where it starts."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader  # libyaml: ~20x faster, same events
    loader = loader_class(text)
    try:
        return _Builder(loader, source).run()
    except yaml.YAMLError as exc:
        raise ConfigError(_describe_yaml_error(exc, source), "fix the YAML syntax of the profiles file") from None
    finally:
        loader.dispose()


def _describe_yaml_error(exc: Exception, source: str) -> str:
    """`file:line: problem`, plus where the unfinished construct began when YAML knows it."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{source}:{mark.line + 1}" if mark else source
    problem = getattr(exc, "problem", None) or "invalid YAML"
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and (mark is None or context_mark.line != mark.line):
        problem += f" ({context} started on line {context_mark.line + 1})"
    return f"{where}: {problem}"
