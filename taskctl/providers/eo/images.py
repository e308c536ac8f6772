"""Small, real, deterministic images for the EO sandbox (standard library only: zlib and struct).

Thumbnails are PNGs (RGB, 8 bits); result and input files are uncompressed baseline TIFFs (grayscale, 8 bits),
as a raster from a band merge or an index would be, only small. The pixels are a function of a key, so the
same key gives the same bytes on every run and different keys look different.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache

THUMBNAIL_SIZE = (96, 64)  # width, height
RASTER_SIZE = (320, 240)  # 76,800 pixels: more than one 64 KiB chunk, so progress and resume have work to do


def _seed(key: str) -> int:
    return zlib.crc32(key.encode("utf-8"))


def _rgb(key: str, x: int, y: int, width: int, height: int) -> tuple[int, int, int]:
    """A field-like pattern: a diagonal gradient, crossed by bands whose tint depends on the key."""
    seed = _seed(key)
    tint = ((seed >> 16) & 0xFF, (seed >> 8) & 0xFF, seed & 0xFF)
    base = (x * 255) // max(width - 1, 1), (y * 255) // max(height - 1, 1)
    stripe = ((x // 12 + y // 8 + seed) % 3) * 40
    return ((base[0] + tint[0]) // 2, (base[1] + tint[1] + stripe) // 2 % 256, (255 - base[0] + tint[2]) // 2)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def thumbnail_png(key: str) -> bytes:
    """A THUMBNAIL_SIZE RGB PNG for ``key``."""
    width, height = THUMBNAIL_SIZE
    rows = b"".join(b"\x00" + bytes(value for x in range(width) for value in _rgb(key, x, y, width, height))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 9))
            + _chunk(b"IEND", b""))


@cache
def raster_tiff(key: str) -> bytes:
    """A RASTER_SIZE 8-bit grayscale baseline TIFF (little-endian, one strip, uncompressed) for ``key``."""
    width, height = RASTER_SIZE
    pixels = bytes(sum(_rgb(key, x, y, width, height)) // 3 for y in range(height) for x in range(width))
    entries = [  # tag, type (3 SHORT, 4 LONG), count, value
        (256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
        (273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, len(pixels)),
    ]
    ifd_offset = 8 + len(pixels)
    fields = b"".join(struct.pack("<HHI", tag, kind, count)
                      + (struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value))
                      for tag, kind, count, value in entries)
    ifd = struct.pack("<H", len(entries)) + fields + struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", ifd_offset) + pixels + ifd
