"""What the emulator shows to tests and to the playground: users, messages, files, calls, events.

Every record is a frozen snapshot; an edit replaces a message's record with a new one. Each has a
``to_json()`` for the HTTP control API, and messages a ``to_telegram()`` with the Bot API shape.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.emulator.errors import EmulatorError

JSON = dict[str, Any]
Sender = Literal["bot", "user", "any"]
EventKind = Literal["call", "update", "message", "webhook"]


@dataclass(frozen=True)
class User:
    """A Telegram user of the emulated world (a customer or an admin)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    def to_telegram(self) -> JSON:
        """Return the Bot API User object."""
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                user[key] = value
        return user

    def private_chat(self) -> JSON:
        """Return the Bot API Chat object of this user's private chat with the bot."""
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if (value := getattr(self, key)) is not None:
                chat[key] = value
        return chat

    def to_json(self) -> JSON:
        """Return the control API view (the Bot API User object)."""
        return self.to_telegram()


@dataclass(frozen=True)
class StoredFile:
    """A file the bot uploaded (photo or document), with its bytes."""

    file_id: str
    file_unique_id: str
    kind: Literal["photo", "document"]
    data: bytes = field(repr=False)
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def to_telegram(self) -> JSON:
        """Return the Bot API PhotoSize (photo) or Document (document) object."""
        common: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.kind == "photo":
            return {**common, "width": self.width, "height": self.height}
        if self.file_name is not None:
            common["file_name"] = self.file_name
        if self.mime_type is not None:
            common["mime_type"] = self.mime_type
        return common

    def to_json(self) -> JSON:
        """Return the control API view (metadata; bytes are at /_emulator/files/<file_id>)."""
        return {
            **self.to_telegram(),
            "kind": self.kind,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
        }


@dataclass(frozen=True)
class ChatMessage:
    """One message of a private chat as it stands now (after edits), sent by the bot or user."""

    chat_id: int
    message_id: int
    from_bot: bool
    sender: Mapping[str, Any]
    chat: Mapping[str, Any]
    date: int
    text: str | None = None
    entities: tuple[Mapping[str, Any], ...] = ()
    caption: str | None = None
    caption_entities: tuple[Mapping[str, Any], ...] = ()
    photo: StoredFile | None = None
    document: StoredFile | None = None
    contact: Mapping[str, Any] | None = None
    reply_markup: Mapping[str, Any] | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    edits: int = 0
    deleted: bool = False

    @property
    def content(self) -> str:
        """The text, or the caption of a photo or document ('' when there is neither)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def inline_keyboard(self) -> list[list[Mapping[str, Any]]]:
        """Rows of inline buttons attached to the message (empty when there are none)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [list(row) for row in rows]

    def button_texts(self) -> list[str]:
        """Texts of the inline buttons, row by row."""
        return [str(button.get("text", "")) for row in self.inline_keyboard for button in row]

    def button(self, text: str) -> Mapping[str, Any]:
        """Return the inline button with this text, or raise EmulatorError."""
        for row in self.inline_keyboard:
            for button in row:
                if button.get("text") == text:
                    return button
        raise EmulatorError(
            f"message {self.message_id} in chat {self.chat_id} has no button {text!r}; "
            f"it has {self.button_texts()}"
        )

    def callback_data(self) -> list[str]:
        """Callback data of the inline buttons that have some, row by row."""
        return [
            str(button["callback_data"])
            for row in self.inline_keyboard
            for button in row
            if "callback_data" in button
        ]

    def to_telegram(self) -> JSON:
        """Return the Bot API Message object (without reply_to_message)."""
        message: JSON = {
            "message_id": self.message_id,
            "from": dict(self.sender),
            "chat": dict(self.chat),
            "date": self.date,
        }
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = [dict(entity) for entity in self.entities]
        if self.photo is not None:
            message["photo"] = [self.photo.to_telegram()]
        if self.document is not None:
            message["document"] = self.document.to_telegram()
        if self.caption is not None:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = [dict(entity) for entity in self.caption_entities]
        if self.contact is not None:
            message["contact"] = dict(self.contact)
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            # Telegram echoes only inline keyboards in Message objects.
            message["reply_markup"] = dict(self.reply_markup)
        return message

    def to_json(self) -> JSON:
        """Return the control API view: the Telegram message plus the emulator's bookkeeping."""
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "date": self.date,
            "edit_date": self.edit_date,
            "edits": self.edits,
            "deleted": self.deleted,
            "text": self.text,
            "entities": [dict(entity) for entity in self.entities],
            "caption": self.caption,
            "caption_entities": [dict(entity) for entity in self.caption_entities],
            "photo": None if self.photo is None else self.photo.to_json(),
            "document": None if self.document is None else self.document.to_json(),
            "contact": None if self.contact is None else dict(self.contact),
            "reply_markup": None if self.reply_markup is None else dict(self.reply_markup),
            "reply_to_message_id": self.reply_to_message_id,
        }


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answerCallbackQuery for one button press (the toast or alert it showed)."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int

    def to_json(self) -> JSON:
        """Return the control API view."""
        return {
            "callback_query_id": self.callback_query_id,
            "text": self.text,
            "show_alert": self.show_alert,
            "url": self.url,
            "cache_time": self.cache_time,
        }


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call the bot made: its parameters, HTTP status and response body."""

    seq: int
    at: dt.datetime
    method: str
    params: Mapping[str, Any]
    status: int
    response: Mapping[str, Any]
    duration: float

    @property
    def ok(self) -> bool:
        """Whether Telegram would have answered ok=true."""
        return self.status == 200

    def to_json(self) -> JSON:
        """Return the JSON view used in events."""
        return {
            "method": self.method,
            "params": dict(self.params),
            "status": self.status,
            "response": dict(self.response),
            "duration_ms": round(self.duration * 1000, 3),
        }


@dataclass(frozen=True)
class Event:
    """One entry of the event log: a call, an update, a message change or a webhook delivery."""

    seq: int
    at: dt.datetime
    kind: EventKind
    data: Mapping[str, Any]

    def to_json(self) -> JSON:
        """Return the JSON view streamed to subscribers (and over server-sent events)."""
        return {"seq": self.seq, "at": self.at.isoformat(), "kind": self.kind, "data": self.data}


class Subscription:
    """A live feed of events; when the reader lags, the oldest queued events are dropped."""

    def __init__(self, maxsize: int, on_close: Callable[[Subscription], None]) -> None:
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=maxsize)
        self._on_close = on_close
        self._closed = False
        self.missed = 0

    @property
    def closed(self) -> bool:
        """Whether the subscription no longer receives events."""
        return self._closed

    def push(self, event: Event) -> None:
        """Queue an event, dropping the oldest one if the queue is full."""
        if self._closed:
            return
        if self._queue.full():
            self._queue.get_nowait()
            self.missed += 1
        self._queue.put_nowait(event)

    async def get(self) -> Event | None:
        """Return the next event, or None once the subscription is closed and drained."""
        if self._closed and self._queue.empty():
            return None
        return await self._queue.get()

    def close(self) -> None:
        """Stop receiving events; a pending get() returns None."""
        if self._closed:
            return
        self._closed = True
        self._on_close(self)
        if self._queue.full():
            self._queue.get_nowait()
            self.missed += 1
        self._queue.put_nowait(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        event = await self.get()
        if event is None:
            raise StopAsyncIteration
        return event

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()
