"""Ways to put a picture on a terminal, and which one this terminal speaks.

- kitty graphics protocol (kitty, Ghostty, WezTerm): ``ESC _ G <keys> ; <base64 PNG> ESC \\``, the payload
  in chunks of at most 4096 base64 characters, ``m=1`` on every chunk but the last (``m=0``); the first
  carries ``a=T`` (transmit and show), ``f=100`` (PNG), ``q=2`` (no replies on stdin), ``c``/``r`` (cells).
- iTerm2 inline images (iTerm2, WezTerm): ``ESC ] 1337 ; File = name=<base64>;size=<bytes>;width=<cells>;
  height=<cells>;preserveAspectRatio=1;inline=1 : <base64 file> BEL``; PNG and JPEG pass through.
- sixel (foot, mlterm, contour, xterm -ti vt340): ``ESC P 0;1;0 q "1;1;W;H #n;2;r;g;b ... ESC \\``, six
  pixel rows per band, one run of sixel characters (``?``..``~``, ``!n`` repeats) per colour, ``$`` back to
  the band's start, ``-`` to the next band; colours in percent.
- half blocks: ``▀`` with the upper pixel as foreground and the lower as background, through rich (24-bit
  colour where the terminal says so, else rich's 256-colour fallback); with NO_COLOR, a grey-level ramp.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image
    from rich.text import Text

KITTY_CHUNK = 4096
CELL_ASPECT = 2.0  # a terminal cell is about twice as high as it is wide
SIXEL_CELL = (10, 20)  # pixels per cell, when the terminal does not say
SIXEL_COLOURS = 64
_RAMP = " .:-=+*#%@"


class Protocol(StrEnum):
    kitty = "kitty"
    iterm = "iterm"
    sixel = "sixel"
    blocks = "blocks"


def detect(environ: Mapping[str, str]) -> Protocol | None:
    """The richest way this terminal shows pictures, from its environment; None when it names no terminal
    taskctl knows (then the terminal may be asked: ``query.reports_sixel``)."""
    term = environ.get("TERM", "").lower()
    program = environ.get("TERM_PROGRAM", "").lower()
    if environ.get("TMUX") or term.startswith(("screen", "tmux")):
        return Protocol.blocks  # a multiplexer does not pass image escapes through
    if environ.get("KITTY_WINDOW_ID") or term in ("xterm-kitty", "xterm-ghostty") or program in ("ghostty",
                                                                                                "wezterm"):
        return Protocol.kitty
    if program == "iterm.app" or environ.get("LC_TERMINAL") == "iTerm2":
        return Protocol.iterm
    if "sixel" in term or term.startswith(("foot", "mlterm", "contour")) or program in ("mlterm", "contour"):
        return Protocol.sixel
    if term in ("", "dumb", "linux") or program in ("apple_terminal", "vscode"):
        return Protocol.blocks  # known not to draw sixel: not worth asking
    return None


@dataclass(frozen=True)
class Box:
    """The cells a picture takes."""

    columns: int
    rows: int


def fit(width: int, height: int, columns: int, rows: int) -> Box:
    """The largest box of at most ``columns`` x ``rows`` cells with the picture's aspect ratio."""
    columns, rows = max(columns, 1), max(rows, 1)
    wide = min(columns, max(1, math.floor(rows * CELL_ASPECT * width / height)))
    high = min(rows, max(1, math.ceil(wide * height / (width * CELL_ASPECT))))
    return Box(wide, high)


def kitty(png: bytes, box: Box) -> str:
    payload = base64.standard_b64encode(png).decode("ascii")
    chunks = [payload[start:start + KITTY_CHUNK] for start in range(0, len(payload), KITTY_CHUNK)] or [""]
    escapes = []
    for number, chunk in enumerate(chunks):
        more = int(number < len(chunks) - 1)
        keys = f"a=T,f=100,q=2,c={box.columns},r={box.rows},m={more}" if number == 0 else f"m={more}"
        escapes.append(f"\x1b_G{keys};{chunk}\x1b\\")
    return "".join(escapes) + "\n"


def iterm(data: bytes, name: str, box: Box) -> str:
    encoded_name = base64.standard_b64encode(name.encode("utf-8")).decode("ascii")
    arguments = (f"name={encoded_name};size={len(data)};width={box.columns};height={box.rows};"
                 "preserveAspectRatio=1;inline=1")
    return f"\x1b]1337;File={arguments}:{base64.standard_b64encode(data).decode('ascii')}\x07\n"


def sixel(image: Image, box: Box, cell: tuple[int, int] = SIXEL_CELL) -> str:
    """The picture scaled into ``box`` (at ``cell`` pixels per cell) as one sixel string."""
    picture = image.copy()
    picture.thumbnail((box.columns * cell[0], box.rows * cell[1]))
    indexed = picture.quantize(colors=SIXEL_COLOURS)
    width, height = indexed.size
    palette = (indexed.getpalette() or [])[:3 * SIXEL_COLOURS]
    pixels = indexed.tobytes()
    parts = ['\x1bP0;1;0q', f'"1;1;{width};{height}']
    parts += [f"#{number};2;{red * 100 // 255};{green * 100 // 255};{blue * 100 // 255}"
              for number, (red, green, blue) in enumerate(zip(palette[0::3], palette[1::3], palette[2::3],
                                                               strict=True))]
    for top in range(0, height, 6):
        parts.append(_sixel_band(pixels, width, top, min(top + 6, height)))
    parts.append("\x1b\\")
    return "".join(parts) + "\n"


def _sixel_band(pixels: bytes, width: int, top: int, bottom: int) -> str:
    bits: dict[int, bytearray] = {}
    for row in range(top, bottom):
        bit = 1 << (row - top)
        line = pixels[row * width:(row + 1) * width]
        for column, colour in enumerate(line):
            (bits.get(colour) or bits.setdefault(colour, bytearray(width)))[column] |= bit
    runs = [f"#{colour}" + _run_length(bytes(value + 63 for value in bits[colour]).decode("ascii"))
            for colour in sorted(bits)]
    return "$".join(runs) + "-"


def _run_length(text: str) -> str:
    return re.sub(r"(.)\1{3,}", lambda match: f"!{len(match[0])}{match[1]}", text)


def blocks(image: Image, box: Box, colour: bool) -> Text:
    """Two pixels per cell: ``▀`` in the upper pixel's colour on the lower one's (or a grey ramp)."""
    from rich.color import Color
    from rich.style import Style
    from rich.text import Text

    picture = image.resize((box.columns, box.rows * 2))
    pixels = list(picture.getdata())
    text = Text(no_wrap=True, overflow="crop")
    for row in range(box.rows):
        upper = pixels[2 * row * box.columns:(2 * row + 1) * box.columns]
        lower = pixels[(2 * row + 1) * box.columns:(2 * row + 2) * box.columns]
        for top, bottom in zip(upper, lower, strict=True):
            if colour:
                text.append("▀", Style(color=Color.from_rgb(*top), bgcolor=Color.from_rgb(*bottom)))
            else:
                grey = (sum(top) + sum(bottom)) / (6 * 255)
                text.append(_RAMP[min(int(grey * len(_RAMP)), len(_RAMP) - 1)])
        text.append("\n")
    return text
