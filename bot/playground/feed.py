"""The "under the hood" feed: Bot API calls, Ligdicash traffic and state transitions, merged.

Three sources push into one `Feed`: the emulator's event log (calls, updates, message changes),
the sandbox's events (requests, payins created, statuses, callbacks) and the audit trail (read
after the last id seen, since storage has no push). Each entry gets the feed's own sequence
number, so a page can resume its server-sent event stream with `Last-Event-ID`.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from bot.emulator import Event, TelegramEmulator
from payments.sandbox import SandboxEvent
from storage.audit import AuditStore
from storage.models import AuditEntry

log = logging.getLogger(__name__)

JSON = dict[str, Any]
Source = Literal["telegram", "ligdicash", "state", "playground"]
NameOf = Callable[[int], str]

FEED_SIZE = 5000
SUMMARY_CHARS = 70
AUDIT_POLL_SECONDS = 1.0
AUDIT_BATCH = 200
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Entry:
    """One line of the feed; `data` carries what the page needs to act on it (messages, toasts)."""

    seq: int
    at: datetime
    source: Source
    kind: str
    summary: str
    chat_id: int | None = None
    ok: bool = True
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> JSON:
        """Return the JSON sent to the page."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="milliseconds"),
            "source": self.source,
            "kind": self.kind,
            "summary": self.summary,
            "chat_id": self.chat_id,
            "ok": self.ok,
            "data": dict(self.data),
        }


@dataclass(frozen=True)
class Draft:
    """An entry before the feed numbers it."""

    source: Source
    kind: str
    summary: str
    chat_id: int | None = None
    ok: bool = True
    data: Mapping[str, Any] = field(default_factory=dict)
    at: datetime | None = None


class FeedSubscription:
    """A live reader of the feed; when it lags, the oldest queued entries are dropped."""

    def __init__(self, maxsize: int, on_close: Callable[[FeedSubscription], None]) -> None:
        self._queue: asyncio.Queue[Entry | None] = asyncio.Queue(maxsize=maxsize)
        self._on_close = on_close
        self._closed = False
        self.missed = 0

    def push(self, entry: Entry | None) -> None:
        """Queue an entry (None ends the subscription), dropping the oldest when full."""
        if self._closed:
            return
        if self._queue.full():
            self._queue.get_nowait()
            self.missed += 1
        self._queue.put_nowait(entry)
        if entry is None:
            self._closed = True

    async def get(self) -> Entry | None:
        """Return the next entry, or None once the feed closed."""
        if self._closed and self._queue.empty():
            return None
        return await self._queue.get()

    def close(self) -> None:
        """Stop receiving entries."""
        self.push(None)
        self._on_close(self)

    async def __aenter__(self) -> FeedSubscription:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class Feed:
    """The merged, numbered log of what happened, kept in memory for replays and live readers."""

    def __init__(self, size: int = FEED_SIZE) -> None:
        self._entries: deque[Entry] = deque(maxlen=size)
        self._seq = 0
        self._subscribers: set[FeedSubscription] = set()
        self._closed = False

    @property
    def last_seq(self) -> int:
        """Sequence number of the latest entry (0 before any)."""
        return self._seq

    @property
    def closed(self) -> bool:
        """Whether the feed was closed (live readers have been ended)."""
        return self._closed

    def publish(self, draft: Draft) -> Entry:
        """Number an entry, keep it and hand it to every live reader."""
        self._seq += 1
        entry = Entry(
            seq=self._seq,
            at=draft.at or datetime.now(UTC),
            source=draft.source,
            kind=draft.kind,
            summary=draft.summary,
            chat_id=draft.chat_id,
            ok=draft.ok,
            data=draft.data,
        )
        self._entries.append(entry)
        for subscriber in list(self._subscribers):
            subscriber.push(entry)
        return entry

    def entries(self, *, after: int = 0) -> list[Entry]:
        """Kept entries with a sequence number greater than `after`, oldest first."""
        return [entry for entry in self._entries if entry.seq > after]

    def subscribe(self, *, after: int | None = None, maxsize: int = 2000) -> FeedSubscription:
        """Return a live reader; `after` first replays the kept entries past that number."""
        subscription = FeedSubscription(maxsize, self._subscribers.discard)
        if after is not None:
            for entry in self.entries(after=after):
                subscription.push(entry)
        if self._closed:
            subscription.close()
        else:
            self._subscribers.add(subscription)
        return subscription

    def close(self) -> None:
        """End every live reader (the page's streams end; the server can then shut down)."""
        self._closed = True
        for subscriber in list(self._subscribers):
            subscriber.close()


# --- describing what happened, one line each -------------------------------------------------


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    """One line of plain text (HTML tags dropped, entities decoded), cut with an ellipsis."""
    plain = _SPACES.sub(" ", html.unescape(_TAG.sub("", text))).strip()
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    return None


def describe_emulator_event(
    event: Event, name_of: NameOf, reply_keyboard: Callable[[int], JSON | None]
) -> Draft | None:
    """Describe one emulator event, or None for noise (a long poll that brought nothing)."""
    data = dict(event.data)
    if event.kind == "call":
        return _describe_call(data, name_of, event.at)
    if event.kind == "update":
        return _describe_update(data, name_of, event.at)
    if event.kind == "message":
        chat_id = _int(data.get("chat_id"))
        content = data.get("text") or data.get("caption") or ""
        state = "deleted" if data.get("deleted") else "edited" if data.get("edits") else "new"
        return Draft(
            source="telegram",
            kind="message",
            summary=f"message #{data.get('message_id')} {state}: {shorten(str(content))}",
            chat_id=chat_id,
            data={
                "message": data,
                "reply_keyboard": None if chat_id is None else reply_keyboard(chat_id),
            },
            at=event.at,
        )
    return Draft(
        source="telegram",
        kind=event.kind,
        summary=f"{event.kind}: {shorten(str(data))}",
        data=data,
        at=event.at,
    )


def _describe_call(call: JSON, name_of: NameOf, at: datetime) -> Draft | None:
    method = str(call.get("method", "?"))
    params: Mapping[str, Any] = call.get("params") or {}
    response: Mapping[str, Any] = call.get("response") or {}
    status = int(call.get("status", 0))
    result = response.get("result")
    if method.lower() == "getupdates":
        if status == 200 and not result:
            return None
        count = len(result) if isinstance(result, list) else 0
        summary = f"getUpdates → {count} update{'s' if count != 1 else ''}"
    else:
        chat_id = _int(params.get("chat_id"))
        target = f" → {name_of(chat_id)}" if chat_id is not None else ""
        message_id = params.get("message_id")
        numbered = f" #{message_id}" if message_id is not None else ""
        words = params.get("text") or params.get("caption") or ""
        if method == "answerCallbackQuery":
            words = params.get("text") or "(no toast)"
        elif isinstance(upload := params.get("document") or params.get("photo"), Mapping):
            words = f"{upload.get('upload', 'file')} {words}".strip()
        elif method == "sendChatAction":
            words = str(params.get("action", ""))
        said = f": {shorten(str(words))}" if words else ""
        summary = f"{method}{numbered}{target}{said}"
    if status != 200:
        summary += f" ✗ {status} {response.get('description', '')}".rstrip()
    duration = call.get("duration_ms")
    if isinstance(duration, int | float) and status == 200:
        summary += f" ({duration:.0f} ms)"
    chat = _int(params.get("chat_id"))
    return Draft(
        source="telegram",
        kind="call",
        summary=summary,
        chat_id=chat,
        ok=status == 200,
        data={"method": method, "params": dict(params), "status": status, "response": response},
        at=at,
    )


def _describe_update(data: JSON, name_of: NameOf, at: datetime) -> Draft:
    update: Mapping[str, Any] = data.get("update") or {}
    number = update.get("update_id")
    chat_id: int | None = None
    if "message" in update:
        message = update["message"]
        chat_id = _int(message.get("chat", {}).get("id"))
        if message.get("contact"):
            what = f"shares contact {message['contact'].get('phone_number', '')}"
        else:
            what = f"sends «{shorten(str(message.get('text', '')))}»"
    elif "callback_query" in update:
        query = update["callback_query"]
        chat_id = _int(query.get("from", {}).get("id"))
        what = f"presses button {query.get('data', '')}"
    elif "my_chat_member" in update:
        member = update["my_chat_member"]
        chat_id = _int(member.get("chat", {}).get("id"))
        what = f"is now {member.get('new_chat_member', {}).get('status', '?')}"
    else:
        what = "update"
    who = name_of(chat_id) if chat_id is not None else "someone"
    return Draft(
        source="telegram",
        kind="update",
        summary=f"update {number}: {who} {what}",
        chat_id=chat_id,
        data={"update": dict(update)},
        at=at,
    )


def describe_sandbox_event(event: SandboxEvent) -> Draft:
    """Describe what the Ligdicash sandbox saw or did."""
    failed = event.kind == "callback" and (" failed" in event.text or "HTTP 2" not in event.text)
    tail = f" [{event.transaction_id}]" if event.transaction_id else ""
    return Draft(
        source="ligdicash",
        kind=event.kind,
        summary=f"{event.kind}: {event.text}{tail}",
        ok=not failed,
        data={"transaction_id": event.transaction_id},
        at=event.at,
    )


def describe_audit_entry(entry: AuditEntry) -> Draft:
    """Describe one audit trail entry: a state transition, or an action that changed nothing."""
    subject = f"{entry.entity} {entry.entity_id}"
    if entry.to_state is not None:
        summary = f"{subject}: {entry.from_state or '∅'} → {entry.to_state} by {entry.actor}"
    else:
        summary = f"{subject}: action by {entry.actor}"
    if entry.why:
        summary += f" ({shorten(entry.why, 80)})"
    return Draft(
        source="state",
        kind=entry.entity,
        summary=summary,
        data={
            "audit_id": entry.id,
            "entity": entry.entity,
            "entity_id": entry.entity_id,
            "order_id": entry.order_id,
            "from_state": entry.from_state,
            "to_state": entry.to_state,
            "actor": entry.actor,
            "why": entry.why,
        },
        at=entry.at,
    )


# --- following the sources ---------------------------------------------------------------------


async def follow_emulator(feed: Feed, emulator: TelegramEmulator, name_of: NameOf) -> None:
    """Copy the emulator's events into the feed until the emulator shuts down."""
    missed = 0
    async with emulator.subscribe(after=0) as subscription:
        async for event in subscription:
            if subscription.missed != missed:
                feed.publish(
                    Draft(
                        source="playground",
                        kind="missed",
                        summary=f"{subscription.missed - missed} Telegram events skipped (busy)",
                        ok=False,
                    )
                )
                missed = subscription.missed
            draft = describe_emulator_event(event, name_of, emulator.reply_keyboard)
            if draft is not None:
                feed.publish(draft)


async def follow_audit(
    feed: Feed,
    audit: AuditStore,
    *,
    after_id: int,
    interval: float = AUDIT_POLL_SECONDS,
) -> None:
    """Publish new audit entries every `interval` seconds (storage has no push), until cancelled."""
    last = after_id
    while True:
        await asyncio.sleep(interval)
        newest_first = await audit.recent(AUDIT_BATCH)
        fresh = [entry for entry in reversed(newest_first) if entry.id > last]
        if not fresh:
            continue
        if len(fresh) == AUDIT_BATCH and fresh[0].id > last + 1:
            feed.publish(
                Draft(
                    source="playground",
                    kind="missed",
                    summary=f"{fresh[0].id - last - 1} state changes not shown (too many at once)",
                    ok=False,
                )
            )
        for entry in fresh:
            feed.publish(describe_audit_entry(entry))
        last = fresh[-1].id


async def last_audit_id(audit: AuditStore) -> int:
    """The id of the newest audit entry (0 when there is none)."""
    newest = await audit.recent(1)
    return newest[0].id if newest else 0
