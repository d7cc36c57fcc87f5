"""The emulated world: users and their chats, messages, files, pending updates, the event log."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from typing import Any

from bot.emulator.config import EmulatorConfig
from bot.emulator.flood import FloodGate, Storm
from bot.emulator.records import (
    JSON,
    ApiCall,
    CallbackAnswer,
    ChatMessage,
    Event,
    EventKind,
    StoredFile,
    Subscription,
    User,
)

# Telegram's default when allowed_updates is not set (or set to an empty list).
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


class Signal:
    """Wakes every waiter when the world changes, so waits never poll in a loop."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        """Wake the current waiters; later waiters wait for the next change."""
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self, seconds: float) -> None:
        """Return at the next change or after seconds, whichever comes first."""
        if seconds <= 0:
            return
        loop = asyncio.get_running_loop()
        # Registered before any await, so a change made right after the caller's check
        # cannot be missed.
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.add(waiter)
        timer = loop.call_later(seconds, _wake, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiters.discard(waiter)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


@dataclass
class Chat:
    """A private chat between the bot and one user."""

    user: User
    started: bool
    blocked: bool = False
    next_message_id: int = 1
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    reply_keyboard: JSON | None = None
    menu_button: JSON | None = None


@dataclass
class PendingUpdate:
    """An update waiting for getUpdates or the webhook."""

    update_id: int
    payload: JSON


@dataclass
class Webhook:
    """The webhook the bot set."""

    url: str
    secret_token: str | None = field(repr=False)
    max_connections: int
    allowed_updates: list[str] | None
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class CallbackQuery:
    """A button press waiting for (or having received) answerCallbackQuery."""

    id: str
    chat_id: int
    message_id: int
    data: str
    pressed_at: float
    answer: CallbackAnswer | None = None


class EmulatorState:
    """Everything the emulator knows; the Bot API methods and the control API both change it."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.bot_user: JSON = {
            "id": config.bot_id,
            "is_bot": True,
            "first_name": config.bot_first_name,
            "username": config.bot_username,
        }
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.updates: deque[PendingUpdate] = deque()
        self.next_update_id = config.first_update_id
        self.allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self.webhook: Webhook | None = None
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.default_menu_button: JSON | None = None
        self.latency = config.latency
        self.flood = None if config.flood is None else FloodGate(config.flood, time.monotonic)
        self.storm: Storm | None = None
        self.poll_generation = 0
        self.waiting_polls = 0
        self.closing = False
        self.signal = Signal()
        self.events: deque[Event] = deque(maxlen=config.event_log_size)
        self.calls: deque[ApiCall] = deque(maxlen=config.event_log_size)
        self.counters: Counter[str] = Counter()
        self.subscribers: set[Subscription] = set()
        self._seq = 0
        self._file_count = 0

    def now(self) -> int:
        """Unix time in whole seconds, as in Telegram's date fields."""
        return int(time.time())

    def notify(self) -> None:
        """Wake waiters after a change."""
        self.signal.notify()

    def next_seq(self) -> int:
        """Return the next event sequence number."""
        self._seq += 1
        return self._seq

    @property
    def last_seq(self) -> int:
        """Sequence number of the latest event (0 before any)."""
        return self._seq

    def emit(self, kind: EventKind, data: JSON) -> Event:
        """Log an event, hand it to every subscriber and wake waiters."""
        event = Event(seq=self.next_seq(), at=dt.datetime.now(dt.UTC), kind=kind, data=data)
        self.events.append(event)
        for subscriber in list(self.subscribers):
            subscriber.push(event)
        self.notify()
        return event

    def record_call(
        self,
        method: str,
        params: JSON,
        status: int,
        response: JSON,
        duration: float,
    ) -> ApiCall:
        """Log one Bot API call and count it."""
        call = ApiCall(
            seq=self._seq + 1,
            at=dt.datetime.now(dt.UTC),
            method=method,
            params=params,
            status=status,
            response=response,
            duration=duration,
        )
        self.calls.append(call)
        self.counters[method] += 1
        self.emit("call", call.to_json())
        return call

    def add_user(self, user: User, *, started: bool) -> Chat:
        """Create the user's private chat with the bot."""
        chat = Chat(user=user, started=started)
        self.chats[user.id] = chat
        self.notify()
        return chat

    def new_message(self, chat: Chat, *, from_bot: bool, **content: Any) -> ChatMessage:
        """Add a message to a chat (message ids count per chat, shared by both sides)."""
        message = ChatMessage(
            chat_id=chat.user.id,
            message_id=chat.next_message_id,
            from_bot=from_bot,
            sender=self.bot_user if from_bot else chat.user.to_telegram(),
            chat=chat.user.private_chat(),
            date=self.now(),
            **content,
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        self.emit("message", message.to_json())
        return message

    def edit_message(self, message: ChatMessage, **changes: Any) -> ChatMessage:
        """Replace a message's record by its edited version."""
        edited = replace(message, edit_date=self.now(), edits=message.edits + 1, **changes)
        self.chats[message.chat_id].messages[message.message_id] = edited
        self.emit("message", edited.to_json())
        return edited

    def delete_message(self, message: ChatMessage) -> None:
        """Mark a message deleted (kept so tests can see it was there)."""
        deleted = replace(message, deleted=True)
        self.chats[message.chat_id].messages[message.message_id] = deleted
        self.emit("message", deleted.to_json())

    def message_json(self, message: ChatMessage) -> JSON:
        """Return the Bot API Message, with the message it replies to."""
        result = message.to_telegram()
        if message.reply_to_message_id is not None:
            replied = self.chats[message.chat_id].messages.get(message.reply_to_message_id)
            if replied is not None and not replied.deleted:
                result["reply_to_message"] = replied.to_telegram()
        return result

    def enqueue_update(self, kind: str, payload: JSON) -> JSON:
        """Create an update; queue it unless allowed_updates filters its kind out."""
        update: JSON = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        allowed = kind in self.allowed_updates
        if allowed:
            self.updates.append(PendingUpdate(update["update_id"], update))
        self.emit("update", {"update": update, "queued": allowed})
        return update

    def confirm_updates(self, offset: int) -> None:
        """Forget updates before offset; a negative offset keeps only the last -offset."""
        if offset < 0:
            while len(self.updates) > -offset:
                self.updates.popleft()
            return
        while self.updates and self.updates[0].update_id < offset:
            self.updates.popleft()

    def store_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_id: tuple[str, str],
        extension: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        size: tuple[int, int] | None = None,
    ) -> StoredFile:
        """Keep an uploaded file so getFile and the download URL can serve it."""
        self._file_count += 1
        folder = "photos" if kind == "photo" else "documents"
        stored = StoredFile(
            file_id=file_id[0],
            file_unique_id=file_id[1],
            kind="photo" if kind == "photo" else "document",
            data=data,
            file_path=f"{folder}/file_{self._file_count}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=None if size is None else size[0],
            height=None if size is None else size[1],
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored
