"""What a thumbnail is (format and size, read from its header with the standard library) and its pixels
(through Pillow, the optional extra ``taskctl[preview]``), server bytes being untrusted throughout."""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from taskctl.errors import ConfigError, ResponseError

if TYPE_CHECKING:
    from PIL.Image import Image

MAX_PIXELS = 40_000_000  # a thumbnail is far smaller; more is a decompression bomb
INSTALL_HINT = "install the preview extra: pip install 'taskctl[preview]' (or pipx inject taskctl pillow)"


@dataclass(frozen=True)
class Picture:
    data: bytes
    kind: str | None  # "png", "jpeg", or None when the header is neither
    width: int | None
    height: int | None


def sniff(data: bytes) -> Picture:
    """Format and size from the header alone (no decoding): PNG's IHDR, JPEG's first SOF segment."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return _checked(Picture(data, "png", width, height))
    if data.startswith(b"\xff\xd8"):
        size = _jpeg_size(data)
        return _checked(Picture(data, "jpeg", *(size or (None, None))))
    return Picture(data, None, None, None)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    position = 2
    while position + 9 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return width, height
        position += 2 + length
    return None


def _checked(picture: Picture) -> Picture:
    if picture.width is not None and picture.height is not None:
        if not picture.width or not picture.height:
            raise ResponseError("the thumbnail is an image of no pixels (its header says 0 wide or high)")
        if picture.width * picture.height > MAX_PIXELS:
            raise ResponseError(f"the thumbnail claims {picture.width}x{picture.height} pixels, more than the "
                                f"{MAX_PIXELS:,} taskctl decodes (a decompression bomb?)")
    return picture


def decode(picture: Picture) -> Image:
    """The picture as RGB pixels; ConfigError (exit 6) without Pillow, ResponseError for bytes that are not an
    image Pillow can read, or one past MAX_PIXELS."""
    Image = pillow()
    import io

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(picture.data))
            image.load()
            return image.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ResponseError(f"the thumbnail has more than {MAX_PIXELS:,} pixels; taskctl does not decode it "
                            "(a decompression bomb?)") from None
    except Exception as error:  # noqa: BLE001 - any decoder failure on untrusted bytes is a bad answer
        raise ResponseError(f"the thumbnail is not an image taskctl can read ({type(error).__name__})",
                            "--save PATH keeps the bytes as sent, to look at them") from None


def pillow():  # type: ignore[no-untyped-def]
    """``PIL.Image``, or the ConfigError that says how to install it."""
    try:
        from PIL import Image
    except ImportError:
        raise ConfigError("showing this image in the terminal needs Pillow, which is not installed",
                          INSTALL_HINT) from None
    return Image
