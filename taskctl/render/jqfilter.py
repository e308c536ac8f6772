"""--jq EXPR: a jq program run on each JSON document taskctl writes, by libjq itself (the `jq` package, which
bundles it; no jq on the PATH needed). Imported only when --jq is given: loading libjq costs start-up time."""

from __future__ import annotations

from taskctl.errors import TaskctlError, UsageError
from taskctl.render.safe import ESCAPE_IN_QUOTES, inert

MANUAL = "https://jqlang.org/manual/"


class JqFilter:
    """A compiled jq program: ``apply(document)`` gives its results, strings raw, anything else compact JSON,
    one per line."""

    def __init__(self, expression: str) -> None:
        import jq  # type: ignore[import-not-found]  # a compiled module without stubs

        # libjq keeps a number's literal while the program leaves it unchanged, but the binding hands results to
        # Python as doubles (a 19-digit id would come back rounded): jq itself writes each result as JSON text.
        # The newline ends a comment the expression may end with. (Each compile costs ~2 ms: one when it is valid.)
        try:
            self._program = jq.compile(f"({expression}\n) | tojson")
        except ValueError:
            try:
                jq.compile(expression)  # alone, so that jq's message points into the user's own text
            except ValueError as error:
                raise UsageError(f"invalid --jq expression: {_jq_message(error)}", f"see {MANUAL}") from None
            raise UsageError("invalid --jq expression: it cannot be followed by `| tojson`",
                             "an expression of definitions or imports alone has no result to print") from None
        self.expression = expression

    def apply(self, document: str, terminal: bool = False) -> str:
        """The results for one JSON document, each on its own line; on a terminal, raw strings are made inert
        (they may come from a server), piped they are exact."""
        import json

        lines = []
        try:
            for text in self._program.input_text(document):
                if text.startswith('"'):
                    raw = json.loads(text)
                    lines.append(inert(raw) if terminal else raw)
                else:
                    lines.append(ESCAPE_IN_QUOTES.sub(lambda match: f"\\u{ord(match.group()):04x}", text))
        except ValueError as error:
            raise TaskctlError(f"--jq {self.expression!r} failed: {_jq_message(error)}",
                               "the expression is valid, but not for this document: try --jq . to see it") from None
        return "".join(line + "\n" for line in lines)


def _jq_message(error: ValueError) -> str:
    """jq's own words, on one line: the first line of its message without the ``jq: error:`` prefix."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else "jq refused it"
    return first.removeprefix("jq: error: ").removeprefix("jq: error").rstrip(":").strip()
