"""The picture on this terminal: as large as fits with its aspect ratio, leaving the caption and prompt lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from taskctl.commands.preview import protocols
from taskctl.commands.preview.image import Picture, decode
from taskctl.commands.preview.protocols import Box, Protocol
from taskctl.render.safe import inert

if TYPE_CHECKING:
    from taskctl.context import AppContext
    from taskctl.providers.thumbnails import Thumbnail

RESERVED_ROWS = 2  # the caption, and the prompt that follows


def show(app: AppContext, picture: Picture, thumbnail: Thumbnail, protocol: Protocol | None, label: str) -> None:
    console = app.stdout_console()
    chosen = protocol or protocols.detect(app.environ) or _asked(app)
    columns, rows = console.size.width, max(console.size.height - RESERVED_ROWS, 1)
    passthrough = (chosen is Protocol.kitty and picture.kind == "png") or (
        chosen is Protocol.iterm and picture.kind in ("png", "jpeg"))
    if passthrough and picture.width and picture.height:
        box = protocols.fit(picture.width, picture.height, columns, rows)
        _write_escapes(app, protocols.kitty(picture.data, box) if chosen is Protocol.kitty
                       else protocols.iterm(picture.data, thumbnail.file_name, box))
        width, height = picture.width, picture.height
    else:
        image = decode(picture)  # needs Pillow (exit 6 without it)
        width, height = image.size
        box = protocols.fit(width, height, columns, rows)
        _draw_pixels(app, image, box, chosen)
    console.print(inert(_caption(label, thumbnail, width, height, len(picture.data))), style="dim",
                  no_wrap=True, overflow="ellipsis", crop=True)


def _asked(app: AppContext) -> Protocol:
    """Sixel when the terminal says it draws it (DA1), else half blocks."""
    from taskctl.commands.preview.query import reports_sixel

    stdin = app.stdin
    try:
        fds = (stdin.fileno(), app.stdout.fileno()) if stdin is not None else None
    except (OSError, ValueError, AttributeError):  # an in-memory stream
        fds = None
    return Protocol.sixel if fds is not None and reports_sixel(*fds) else Protocol.blocks


def _draw_pixels(app: AppContext, image: object, box: Box, chosen: Protocol) -> None:
    from PIL.Image import Image

    assert isinstance(image, Image)
    if chosen is Protocol.blocks:
        console = app.stdout_console()
        console.print(protocols.blocks(image, box, colour=console.color_system is not None and not console.no_color),
                      end="")
    elif chosen is Protocol.sixel:
        _write_escapes(app, protocols.sixel(image, box))
    else:  # kitty without a PNG (or an unreadable size): re-encode as PNG
        import io

        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        data = buffer.getvalue()
        _write_escapes(app, protocols.kitty(data, box) if chosen is Protocol.kitty
                       else protocols.iterm(data, "thumbnail.png", box))


def _write_escapes(app: AppContext, escapes: str) -> None:
    app.stdout.write(escapes)
    app.stdout.flush()


def _caption(label: str, thumbnail: Thumbnail, width: int, height: int, size: int) -> str:
    parts = [label, f"{thumbnail.what} {thumbnail.file_name}"]
    if thumbnail.band:
        parts.append(f"band {thumbnail.band}")
    parts.append(f"{width}×{height} px, {_size(size)}")
    return " · ".join(parts)


def _size(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} KiB" if size < 2**20 else f"{size / 2**20:.1f} MiB"
