"""Bot API request parameters: read from a query string, a form, multipart or a JSON body.

Telegram accepts all four encodings. python-telegram-bot sends a urlencoded form, or multipart
when it uploads files, with every non-string value (reply_markup, entities, ...) JSON-encoded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web

from bot.emulator.errors import BotApiError, bad_request

_TRUE = frozenset({"true", "1", "yes", "on"})
# Parameters whose values never reach the event log.
_SECRET_PARAMS = frozenset({"secret_token"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


@dataclass(frozen=True)
class Upload:
    """A file sent as a multipart part."""

    filename: str
    mime_type: str | None
    data: bytes = field(repr=False)


def too_large() -> BotApiError:
    """Return Telegram's answer to an oversized request body."""
    return BotApiError(413, "Request Entity Too Large")


class Params:
    """The parameters of one call, with Telegram's coercions (every value may arrive as text)."""

    def __init__(self, values: Mapping[str, Any], uploads: Mapping[str, Upload]) -> None:
        self._values = dict(values)
        self._uploads = dict(uploads)

    def has(self, name: str) -> bool:
        """Whether the parameter was sent (as a value or as a file)."""
        return name in self._values or name in self._uploads

    def get_str(self, name: str) -> str | None:
        """Return a text parameter (numbers sent in JSON are turned into text)."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def get_int(self, name: str) -> int | None:
        """Return an integer parameter; anything else is a 400 naming it."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str) -> float | None:
        """Return a number parameter; anything else is a 400 naming it."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        try:
            return float(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        """Return a boolean parameter (absent means false)."""
        value = self._values.get(name)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise bad_request(f"invalid {name} specified")

    def get_json(self, name: str, error: str) -> Any:
        """Return a JSON-encoded parameter decoded (already decoded in a JSON body)."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(error) from None

    def get_upload(self, name: str) -> Upload | None:
        """Return the file sent in the multipart part called name, if any."""
        return self._uploads.get(name)

    def summary(self) -> dict[str, Any]:
        """Return the parameters for the event log, uploads described instead of included."""
        summary: dict[str, Any] = {}
        for name, value in self._values.items():
            if name in _SECRET_PARAMS:
                summary[name] = "***"
                continue
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    summary[name] = json.loads(value)
                    continue
                except ValueError:
                    pass
            summary[name] = value
        for name, upload in self._uploads.items():
            summary[name] = {
                "upload": upload.filename,
                "mime_type": upload.mime_type,
                "size": len(upload.data),
            }
        return summary


async def read_params(request: web.Request, max_bytes: int) -> Params:
    """Read a Bot API request's parameters whatever its encoding, capping uploads at max_bytes."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    content_type = request.content_type
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large()
    if content_type == "application/json":
        body = await _read_capped(request, max_bytes)
        if body.strip():
            try:
                decoded = json.loads(body)
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(decoded, dict):
                raise bad_request("can't parse JSON object")
            values.update(decoded)
    elif content_type == "multipart/form-data":
        await _read_multipart(request, max_bytes, values, uploads)
    elif request.can_read_body:
        # A urlencoded form; other content types are read the same way, as Telegram does.
        body = await _read_capped(request, max_bytes)
        values.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return Params(values, uploads)


async def _read_capped(request: web.Request, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_multipart(
    request: web.Request, max_bytes: int, values: dict[str, Any], uploads: dict[str, Upload]
) -> None:
    reader = await request.multipart()
    size = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            raise bad_request("can't parse multipart request")
        chunks: list[bytes] = []
        while chunk := await part.read_chunk():
            size += len(chunk)
            if size > max_bytes:
                raise too_large()
            chunks.append(chunk)
        data = b"".join(chunks)
        if part.filename is not None:
            mime_type = part.headers.get("Content-Type")
            uploads[part.name] = Upload(part.filename, mime_type, data)
        else:
            values[part.name] = data.decode(part.get_charset("utf-8"), "replace")
