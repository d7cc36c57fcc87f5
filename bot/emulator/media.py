"""Uploaded files: image dimensions and Telegram-looking file identifiers."""

from __future__ import annotations

import secrets
import struct

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers carry the dimensions; C4, C8 and CC are other segments.
_JPEG_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Telegram's file_id prefixes hint at the file type; tests only need them to look familiar.
_FILE_ID_PREFIX = {"photo": "AgACAgQAAxkBAA", "document": "BQACAgQAAxkBAA"}


def image_size(data: bytes) -> tuple[int, int] | None:
    """Return (width, height) of a PNG, JPEG or GIF image, or None if it is none of them."""
    if data.startswith(_PNG_SIGNATURE) and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in {b"GIF87a", b"GIF89a"} and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 <= len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:
            index += 1
            continue
        (segment_length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if marker in _JPEG_FRAME_MARKERS:
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + int(segment_length)
    return None


def new_file_id(kind: str) -> tuple[str, str]:
    """Return a fresh (file_id, file_unique_id) pair for a file of the given kind."""
    return (
        _FILE_ID_PREFIX.get(kind, "CAACAgQAAxkBAA") + secrets.token_urlsafe(42),
        "AQAD" + secrets.token_urlsafe(9),
    )
