"""What the bot says: text plus inline buttons, sendable now or stored in the outbox as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_DATA = 64  # Telegram's limit, in bytes


@dataclass(frozen=True)
class Button:
    """One inline button: it either sends callback `data` or opens a `url`."""

    text: str
    data: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("a button has exactly one of data or url")
        if self.data is not None and len(self.data.encode()) > MAX_CALLBACK_DATA:
            raise ValueError(f"callback data over {MAX_CALLBACK_DATA} bytes: {self.data!r}")

    def to_telegram(self) -> InlineKeyboardButton:
        """The python-telegram-bot button."""
        if self.url is not None:
            return InlineKeyboardButton(self.text, url=self.url)
        return InlineKeyboardButton(self.text, callback_data=self.data)


@dataclass(frozen=True)
class Reply:
    """A message in HTML parse mode, with an optional inline keyboard and photo."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    photo: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def markup(self) -> InlineKeyboardMarkup | None:
        """The inline keyboard, or None when there are no buttons."""
        if not self.buttons:
            return None
        return InlineKeyboardMarkup(
            [[button.to_telegram() for button in row] for row in self.buttons]
        )

    def to_json(self) -> str:
        """Serialise for the outbox."""
        return json.dumps(
            {
                "text": self.text,
                "buttons": [
                    [{"text": b.text, "data": b.data, "url": b.url} for b in row]
                    for row in self.buttons
                ],
                "photo": self.photo,
                "extra": self.extra,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, payload: str) -> Reply:
        """Read back what `to_json` wrote."""
        data = json.loads(payload)
        return cls(
            text=data["text"],
            buttons=tuple(
                tuple(Button(b["text"], data=b.get("data"), url=b.get("url")) for b in row)
                for row in data.get("buttons", [])
            ),
            photo=data.get("photo"),
            extra=dict(data.get("extra") or {}),
        )


def rows(*buttons: Button | None, width: int = 1) -> tuple[tuple[Button, ...], ...]:
    """Lay buttons out `width` per row, dropping the Nones."""
    kept = [b for b in buttons if b is not None]
    return tuple(tuple(kept[i : i + width]) for i in range(0, len(kept), width))
