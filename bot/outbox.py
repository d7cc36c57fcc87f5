"""The outbox sender: delivers queued messages to Telegram at Telegram's pace, at least once.

Pacing is ours (python-telegram-bot's AIORateLimiter does not pace private chats): a
fixed-interval schedule of `overall_rate` sends per second overall, at most one send per chat per
`chat_interval`, and sends to different chats in flight together so that the HTTP round trip
does not set the pace. Each chat gets its messages one at a time, in claim order (priority, then
id).

Delivery guarantee: a message is marked sent right after Telegram accepts it, so in normal
operation each message goes out once. A crash (or a failed database write) between Telegram's
answer and that mark resends at most the messages then in flight, at most one per chat; so does
a timeout whose request Telegram in fact carried out. A restart resends what was not marked
sent: `start()` first makes the claims of a previous process due again. Run one sender per
database: claims held by this process are not leased against another sender.

What each failure leads to:
- `RetryAfter`: every send pauses for `retry_after` (a flood signal for the whole bot), then the
  message is retried; this costs no attempt.
- `NetworkError`, `TimedOut` and other transient Telegram errors: the message is retried after a
  doubling delay, later messages to its chat wait behind it; after `max_attempts` claims and
  tries it is marked failed for good (logged at ERROR).
- `Forbidden` (the user blocked the bot or is gone): every waiting message to the chat is skipped
  and the customer flagged blocked.
- `BadRequest` (bad HTML, chat not found, ...) and unreadable payloads: failed for good at once.

Payload kinds (the payload is `Reply.to_json()`): "message" sends the text (a photo with the text
as caption when `Reply.photo` is set); "edit" edits message `extra["edit_message_id"]` (caption
when `Reply.photo` is set), counts "message is not modified" as delivered, and sends a new
message when the old one cannot be edited any more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.reply import Reply
from storage.models import NewMessage, OutboxMessage
from storage.outbox import OutboxStore

logger = logging.getLogger(__name__)

MESSAGE: Final = "message"
EDIT: Final = "edit"

# A claim is only a guard against a crashed process: start() releases them, so a long lease
# costs nothing and spares re-claims of messages held through a long flood pause.
_LEASE = timedelta(minutes=5)
# Sends waiting for Telegram's answer at once: 30/s with round trips up to 2 s, and well below
# python-telegram-bot's default connection pool of 256.
_MAX_IN_FLIGHT = 64
_RETRY_FIRST = 1.0
_RETRY_MAX = 60.0
_STORE_RETRY = 5.0
# Telegram's words for an edit that can never succeed: the message is gone or not editable.
_EDIT_GONE = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    "there is no text in the message to edit",
    "there is no caption in the message to edit",
)
_NOT_MODIFIED = "message is not modified"


def new_message(chat_id: int, reply: Reply, *, dedup_key: str, priority: int = 0) -> NewMessage:
    """Return an outbox row that sends `reply` to a chat."""
    return NewMessage(
        chat_id=chat_id,
        kind=MESSAGE,
        payload=reply.to_json(),
        dedup_key=dedup_key,
        priority=priority,
    )


def new_edit(
    chat_id: int, message_id: int, reply: Reply, *, dedup_key: str, priority: int = 0
) -> NewMessage:
    """Return an outbox row that edits a message the bot sent into `reply`."""
    edit = Reply(
        reply.text,
        reply.buttons,
        reply.photo,
        extra={**reply.extra, "edit_message_id": message_id},
    )
    return NewMessage(
        chat_id=chat_id, kind=EDIT, payload=edit.to_json(), dedup_key=dedup_key, priority=priority
    )


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    """What one sender did since it was built."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    flood_waits: int = 0


@dataclass(slots=True)
class _Held:
    """A claimed message waiting in memory for its turn."""

    message: OutboxMessage
    attempt: int
    not_before: float = 0.0


class _Unreadable(Exception):
    """The payload cannot be turned into a Telegram call."""


class OutboxSender:
    """Claims due outbox messages and sends them with pacing, retries and blocked-chat handling."""

    def __init__(
        self,
        outbox: OutboxStore,
        bot: Bot,
        *,
        overall_rate: float = 30.0,
        chat_interval: float = 1.0,
        batch: int = 50,
        max_attempts: int = 8,
    ) -> None:
        if overall_rate <= 0 or chat_interval < 0 or batch < 1 or max_attempts < 1:
            raise ValueError(
                "rate, batch and attempts must be positive, chat_interval not negative"
            )
        self._outbox = outbox
        self._bot = bot
        self._interval = 1.0 / overall_rate
        self._chat_interval = chat_interval
        self._batch = batch
        self._max_attempts = max_attempts
        self._senders: Mapping[str, Callable[[int, Reply], Awaitable[None]]] = {
            MESSAGE: self._send_message,
            EDIT: self._send_edit,
        }
        self._held: dict[int, deque[_Held]] = {}
        self._held_ids: set[int] = set()
        self._busy_chats: set[int] = set()
        self._chat_free_at: dict[int, float] = {}
        self._in_flight: set[asyncio.Task[None]] = set()
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._claim_at = 0.0
        self._kick = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._counts = DeliveryCounts()

    @property
    def counts(self) -> DeliveryCounts:
        """Return what was delivered, failed, skipped and retried so far."""
        return self._counts

    async def start(self) -> None:
        """Make a previous process's claims due again, then run the delivery loop as a task."""
        if self._task is not None:
            raise RuntimeError("the outbox sender is already running")
        released = await self._outbox.release_claims()
        if released:
            logger.info("outbox: %d messages claimed by a previous run are due again", released)
        self._stopping = False
        self._claim_at = 0.0
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Let the sends in flight finish, then stop; held messages become due again."""
        task = self._task
        if task is None:
            return
        self._stopping = True
        self._kick.set()
        # Shielded: a caller cancelled while waiting must not cut the settling short.
        await asyncio.shield(task)
        self._task = None

    def wake(self) -> None:
        """Look for due messages now (call from the event loop right after enqueueing)."""
        self._claim_at = 0.0
        self._kick.set()

    async def deliver_due(self) -> int:
        """Deliver every message due now, waiting out pauses and retries; return how many."""
        if self._task is not None:
            raise RuntimeError("the delivery loop is running")
        before = self._counts.sent
        self._claim_at = 0.0
        try:
            while True:
                self._kick.clear()
                wait = await self._advance()
                now = self._now()
                if not self._held and not self._in_flight and self._claim_at > now:
                    break
                await self._sleep(wait)
        finally:
            await self._settle()
        return self._counts.sent - before

    # -- the loop --------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self._stopping:
                self._kick.clear()
                try:
                    wait = await self._advance()
                except Exception:
                    # The database may be busy or briefly failing: keep the loop alive.
                    logger.exception("outbox: claiming failed, next try in %.0f s", _STORE_RETRY)
                    wait = _STORE_RETRY
                if not self._stopping:
                    await self._sleep(wait)
        finally:
            await self._settle()

    async def _settle(self) -> None:
        """Wait for the sends in flight, then hand held messages back to the store."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        if self._held:
            self._held.clear()
            self._held_ids.clear()
            await self._outbox.release_claims()

    async def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(None if math.isinf(seconds) else seconds):
                await self._kick.wait()

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    async def _advance(self) -> float:
        """Claim and dispatch what may go now; return the seconds until that may change."""
        now = self._now()
        if self._paused_until > now:
            return self._paused_until - now
        if self._claim_at <= now and self._wants_more():
            await self._claim()
            now = self._now()
        wait = math.inf
        while len(self._in_flight) < _MAX_IN_FLIGHT:
            if self._next_slot > now:
                wait = self._next_slot - now
                break
            held, eligible_at = self._next_ready(now)
            if held is None:
                wait = eligible_at - now
                break
            self._dispatch(held, now)
        if self._wants_more():
            wait = min(wait, self._claim_at - now)
        return wait

    def _wants_more(self) -> bool:
        # Refill once half the batch of chats is served; the cap bounds a chat's backlog in memory.
        return len(self._held) <= self._batch // 2 and len(self._held_ids) < 4 * self._batch

    async def _claim(self) -> None:
        claimed = await self._outbox.claim_due(self._batch, lease=_LEASE)
        for message in claimed:
            # A message held past its lease comes back from claim_due: it is already ours.
            if message.id in self._held_ids:
                continue
            self._held_ids.add(message.id)
            self._held.setdefault(message.chat_id, deque()).append(
                _Held(message, attempt=message.attempts)
            )
        now = self._now()
        self._chat_free_at = {c: t for c, t in self._chat_free_at.items() if t > now}
        if len(claimed) == self._batch:
            self._claim_at = now
            return
        due = await self._outbox.next_due_at()
        if due is None:
            self._claim_at = math.inf
        else:
            delay = (due - datetime.now(UTC)).total_seconds()
            self._claim_at = self._now() + max(0.0, delay)

    def _next_ready(self, now: float) -> tuple[_Held | None, float]:
        """Return the first message that may go now, else None and when one may."""
        best: _Held | None = None
        eligible_at = math.inf
        for chat_id, queue in self._held.items():
            if chat_id in self._busy_chats:
                continue
            head = queue[0]
            at = max(head.not_before, self._chat_free_at.get(chat_id, 0.0))
            if at > now:
                eligible_at = min(eligible_at, at)
            elif best is None or _order(head) < _order(best):
                best = head
        return best, eligible_at

    def _dispatch(self, held: _Held, now: float) -> None:
        chat_id = held.message.chat_id
        queue = self._held[chat_id]
        queue.popleft()
        if not queue:
            del self._held[chat_id]
        self._busy_chats.add(chat_id)
        self._chat_free_at[chat_id] = now + self._chat_interval
        # Anchored to the schedule, so the pace holds on average; lateness beyond one interval
        # is not caught up, so no burst follows a pause or an idle spell.
        self._next_slot = max(self._next_slot, now - self._interval) + self._interval
        task = asyncio.create_task(self._deliver(held), name=f"outbox-{held.message.id}")
        self._in_flight.add(task)
        task.add_done_callback(self._sent_one)

    def _sent_one(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._kick.set()

    def _hold_again(self, held: _Held) -> None:
        self._held.setdefault(held.message.chat_id, deque()).appendleft(held)

    def _count(
        self,
        *,
        sent: int = 0,
        failed: int = 0,
        skipped: int = 0,
        retried: int = 0,
        flood_waits: int = 0,
    ) -> None:
        current = self._counts
        self._counts = DeliveryCounts(
            sent=current.sent + sent,
            failed=current.failed + failed,
            skipped=current.skipped + skipped,
            retried=current.retried + retried,
            flood_waits=current.flood_waits + flood_waits,
        )

    # -- one delivery ----------------------------------------------------------------------

    async def _deliver(self, held: _Held) -> None:
        message = held.message
        retry = False
        try:
            retry = await self._attempt(held)
        except Exception:
            # A storage failure: the message stays claimed and goes again once its lease ends.
            logger.exception("outbox %d to chat %d: delivery crashed", message.id, message.chat_id)
        finally:
            self._busy_chats.discard(message.chat_id)
            if retry:
                self._hold_again(held)
            else:
                self._held_ids.discard(message.id)

    async def _attempt(self, held: _Held) -> bool:
        """Send one message and record the outcome; return True when it must be held again."""
        message = held.message
        try:
            reply, send = self._read(message)
            await send(message.chat_id, reply)
        except _Unreadable as exc:
            logger.error(
                "outbox %d to chat %d: failed for good: %s", message.id, message.chat_id, exc
            )
            await self._outbox.mark_failed(message.id, error=str(exc), retry_at=None)
            self._count(failed=1)
        except RetryAfter as exc:
            seconds = _seconds(exc.retry_after)
            self._paused_until = max(self._paused_until, self._now() + seconds)
            self._next_slot = max(self._next_slot, self._paused_until)
            self._count(flood_waits=1)
            logger.warning(
                "outbox %d to chat %d: flood control, every send waits %.0f s",
                message.id,
                message.chat_id,
                seconds,
            )
            return True
        except Forbidden as exc:
            # One transaction marks the chat's messages skipped and the customer blocked.
            skipped = await self._outbox.mark_chat_blocked(message.chat_id, error=exc.message)
            self._drop_chat(message.chat_id)
            self._count(skipped=skipped)
            logger.warning(
                "outbox %d to chat %d: %s; %d messages to the chat skipped",
                message.id,
                message.chat_id,
                exc.message,
                skipped,
            )
        except BadRequest as exc:
            await self._outbox.mark_failed(message.id, error=exc.message, retry_at=None)
            self._count(failed=1)
            logger.error(
                "outbox %d to chat %d: refused by Telegram, failed for good: %s",
                message.id,
                message.chat_id,
                exc.message,
            )
        except TelegramError as exc:
            # Network errors, timeouts and the rest: Telegram may be back soon.
            return await self._transient(held, exc)
        else:
            await self._outbox.mark_sent(message.id)
            self._count(sent=1)
        return False

    async def _transient(self, held: _Held, exc: TelegramError) -> bool:
        message = held.message
        error = f"{type(exc).__name__}: {exc.message}"
        if held.attempt >= self._max_attempts:
            await self._outbox.mark_failed(message.id, error=error, retry_at=None)
            self._count(failed=1)
            logger.error(
                "outbox %d to chat %d: failed for good after %d attempts: %s",
                message.id,
                message.chat_id,
                held.attempt,
                error,
            )
            return False
        delay = min(_RETRY_FIRST * 2 ** (held.attempt - 1), _RETRY_MAX)
        held.not_before = self._now() + delay
        held.attempt += 1
        self._count(retried=1)
        logger.warning(
            "outbox %d to chat %d: attempt %d failed (%s), retry in %.0f s",
            message.id,
            message.chat_id,
            held.attempt - 1,
            error,
            delay,
        )
        return True

    def _drop_chat(self, chat_id: int) -> None:
        for held in self._held.pop(chat_id, ()):
            self._held_ids.discard(held.message.id)

    def _read(
        self, message: OutboxMessage
    ) -> tuple[Reply, Callable[[int, Reply], Awaitable[None]]]:
        send = self._senders.get(message.kind)
        if send is None:
            raise _Unreadable(f"unknown kind {message.kind!r}")
        try:
            reply = Reply.from_json(message.payload)
        except (ValueError, KeyError, TypeError) as exc:
            raise _Unreadable(f"unreadable payload ({type(exc).__name__})") from exc
        return reply, send

    async def _send_message(self, chat_id: int, reply: Reply) -> None:
        silent = bool(reply.extra.get("disable_notification", False))
        markup: InlineKeyboardMarkup | None = reply.markup()
        if reply.photo is not None:
            await self._bot.send_photo(
                chat_id,
                reply.photo,
                caption=reply.text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                disable_notification=silent,
            )
        else:
            await self._bot.send_message(
                chat_id,
                reply.text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                disable_notification=silent,
            )

    async def _send_edit(self, chat_id: int, reply: Reply) -> None:
        message_id = reply.extra.get("edit_message_id")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise _Unreadable("an edit without an integer edit_message_id")
        try:
            if reply.photo is not None:
                await self._bot.edit_message_caption(
                    chat_id,
                    message_id,
                    caption=reply.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=reply.markup(),
                )
            else:
                await self._bot.edit_message_text(
                    reply.text,
                    chat_id,
                    message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=reply.markup(),
                )
        except BadRequest as exc:
            lowered = exc.message.lower()
            if _NOT_MODIFIED in lowered:
                return
            if not any(words in lowered for words in _EDIT_GONE):
                raise
            # The customer must still learn the news: say it in a new message.
            await self._send_message(chat_id, reply)


def _order(held: _Held) -> tuple[int, int]:
    return held.message.priority, held.message.id


def _seconds(value: int | timedelta) -> float:
    """Return RetryAfter.retry_after in seconds (a timedelta under PTB_TIMEDELTA, else an int)."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)
