"""Logging set up once for the process: one line per event, text or JSON, secrets kept out."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

# Phone numbers (226 + 8 digits), bot tokens (digits:35 chars) and e-mail addresses that slip
# into a message.
_PHONE = re.compile(r"(?<!\d)(226\d{2})\d{4}(\d{2})(?!\d)")
_BOT_TOKEN = re.compile(r"\d{6,12}:[A-Za-z0-9_-]{30,}")
_EMAIL = re.compile(r"\b([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\b")
# Shorter configured values are not masked: they would blank common words.
MIN_SECRET_LENGTH = 6


def mask(text: str) -> str:
    """Hide phone-number middles, Telegram bot tokens and e-mail names in a log line."""
    text = _EMAIL.sub(r"\1***@\2", text)
    return _BOT_TOKEN.sub("<bot-token>", _PHONE.sub(r"\1XXXX\2", text))


class _MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class MaskedFormatter(logging.Formatter):
    """Masks the whole formatted record, tracebacks included, and the configured secrets."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._inner = inner
        # Longest first, so that a secret containing another is hidden whole.
        self._secrets = sorted(
            {secret for secret in secrets if len(secret) >= MIN_SECRET_LENGTH},
            key=len,
            reverse=True,
        )

    def format(self, record: logging.LogRecord) -> str:
        """Format with the wrapped formatter, then mask."""
        text = self._inner.format(record)
        for secret in self._secrets:
            text = text.replace(secret, "<secret>")
        return mask(text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        """Render a record as JSON."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(
    level: str, fmt: Literal["text", "json"] = "text", secrets: Iterable[str] = ()
) -> None:
    """Configure the root logger once for the whole process; `secrets` never reach the output."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_MaskingFilter())
    inner = (
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    )
    handler.setFormatter(MaskedFormatter(inner, secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and the Bot API URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
