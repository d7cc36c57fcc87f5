"""The outbox: messages written with the change that causes them, delivered at least once.

A producer is idempotent through `dedup_key` (one key per event, e.g. `payin:<tx>:completed`):
enqueueing the same key twice keeps the first message. The sender claims due messages for a
lease, then marks each one sent, failed (with a retry time, or for good) or skipped because the
chat blocked the bot. A claim that is never settled (crash) becomes due again when its lease ends,
or at once after `release_claims()` at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from storage.database import Database, Row, Transaction
from storage.models import NewMessage, OutboxMessage, OutboxState, from_ms, opt_from_ms, to_ms

_ERROR_LIMIT = 500


async def insert_messages(
    tx: Transaction, messages: Iterable[NewMessage], *, broadcast_id: int | None = None
) -> int:
    """Enqueue messages inside an open transaction; return how many were new."""
    rows = [
        (
            message.chat_id,
            message.kind,
            message.payload,
            message.dedup_key,
            message.priority,
            broadcast_id,
            tx.now_ms,
            tx.now_ms,
            tx.now_ms,
        )
        for message in messages
    ]
    if not rows:
        return 0
    # ON CONFLICT names the dedup key only: a CHECK violation still raises (OR IGNORE would not).
    return await tx.execute_many(
        "INSERT INTO outbox (chat_id, kind, payload, dedup_key, priority, broadcast_id, state,"
        " next_attempt_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)"
        " ON CONFLICT (dedup_key) DO NOTHING",
        rows,
    )


def message_from_row(row: Row) -> OutboxMessage:
    """Return the outbox record of a row."""
    return OutboxMessage(
        id=row["id"],
        chat_id=row["chat_id"],
        kind=row["kind"],
        payload=row["payload"],
        dedup_key=row["dedup_key"],
        priority=row["priority"],
        broadcast_id=row["broadcast_id"],
        state=OutboxState(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=from_ms(row["next_attempt_at"]),
        last_error=row["last_error"],
        created_at=from_ms(row["created_at"]),
        sent_at=opt_from_ms(row["sent_at"]),
    )


class OutboxStore:
    """Queues messages for Telegram and records their delivery."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, message: NewMessage) -> bool:
        """Queue one message; return False when its dedup_key was already queued."""
        async with self._db.transaction() as tx:
            return await insert_messages(tx, [message]) == 1

    async def enqueue_many(self, messages: Iterable[NewMessage]) -> int:
        """Queue messages in one transaction; return how many were new."""
        async with self._db.transaction() as tx:
            return await insert_messages(tx, messages)

    async def claim_due(
        self, limit: int = 30, *, lease: timedelta = timedelta(seconds=60)
    ) -> tuple[OutboxMessage, ...]:
        """Lease up to `limit` due messages (transactional before broadcast, oldest first)."""
        async with self._db.transaction() as tx:
            until = tx.now_ms + int(lease.total_seconds() * 1000)
            rows = await tx.fetch_all(
                "UPDATE outbox SET next_attempt_at = :until, claimed_until = :until,"
                " attempts = attempts + 1, updated_at = :now"
                " WHERE id IN (SELECT id FROM outbox WHERE state = 'queued'"
                "   AND next_attempt_at <= :now"
                "   ORDER BY priority, next_attempt_at, id LIMIT :limit)"
                " RETURNING *",
                {"until": until, "now": tx.now_ms, "limit": limit},
            )
        messages = [message_from_row(row) for row in rows]
        messages.sort(key=lambda message: (message.priority, message.id))
        return tuple(messages)

    async def mark_sent(self, message_id: int) -> bool:
        """Record a delivery; return False if the message was not waiting."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?, updated_at = ?,"
                " claimed_until = NULL WHERE id = ? AND state = 'queued'",
                (tx.now_ms, tx.now_ms, message_id),
            )
        return changed == 1

    async def mark_failed(self, message_id: int, *, error: str, retry_at: datetime | None) -> bool:
        """Record a failed delivery: retry at `retry_at`, or give up when it is None."""
        async with self._db.transaction() as tx:
            if retry_at is None:
                changed = await tx.execute(
                    "UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ?,"
                    " claimed_until = NULL WHERE id = ? AND state = 'queued'",
                    (error[:_ERROR_LIMIT], tx.now_ms, message_id),
                )
            else:
                changed = await tx.execute(
                    "UPDATE outbox SET next_attempt_at = ?, last_error = ?, updated_at = ?,"
                    " claimed_until = NULL WHERE id = ? AND state = 'queued'",
                    (to_ms(retry_at), error[:_ERROR_LIMIT], tx.now_ms, message_id),
                )
        return changed == 1

    async def mark_chat_blocked(self, chat_id: int, *, error: str = "blocked by the user") -> int:
        """Skip every waiting message to a chat that blocked the bot and flag the customer."""
        async with self._db.transaction() as tx:
            skipped = await tx.execute(
                "UPDATE outbox SET state = 'skipped', last_error = ?, updated_at = ?,"
                " claimed_until = NULL WHERE chat_id = ? AND state = 'queued'",
                (error[:_ERROR_LIMIT], tx.now_ms, chat_id),
            )
            await tx.execute("UPDATE customers SET blocked = 1 WHERE id = ?", (chat_id,))
        return skipped

    async def release_claims(self) -> int:
        """Make every leased, unsettled message due now (call once at start-up)."""
        async with self._db.transaction() as tx:
            return await tx.execute(
                "UPDATE outbox SET next_attempt_at = ?, claimed_until = NULL, updated_at = ?"
                " WHERE state = 'queued' AND claimed_until IS NOT NULL",
                (tx.now_ms, tx.now_ms),
            )

    async def get(self, message_id: int) -> OutboxMessage | None:
        """Return one message by id."""
        row = await self._db.fetch_one("SELECT * FROM outbox WHERE id = ?", (message_id,))
        return None if row is None else message_from_row(row)

    async def by_dedup_key(self, dedup_key: str) -> OutboxMessage | None:
        """Return the message queued under an event's key."""
        row = await self._db.fetch_one("SELECT * FROM outbox WHERE dedup_key = ?", (dedup_key,))
        return None if row is None else message_from_row(row)

    async def for_chat(self, chat_id: int, limit: int = 50) -> tuple[OutboxMessage, ...]:
        """Return the messages still waiting for one chat, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM outbox WHERE chat_id = ? AND state = 'queued' ORDER BY id LIMIT ?",
            (chat_id, limit),
        )
        return tuple(message_from_row(row) for row in rows)

    async def backlog(self) -> int:
        """Return how many messages wait for delivery."""
        return await self._db.fetch_int("SELECT count(*) FROM outbox WHERE state = 'queued'")

    async def next_due_at(self) -> datetime | None:
        """Return when the earliest waiting message becomes due, or None if none waits."""
        value = await self._db.fetch_value(
            "SELECT min(next_attempt_at) FROM outbox WHERE state = 'queued'"
        )
        return from_ms(value) if isinstance(value, int) else None

    async def prune(self, older_than: datetime) -> int:
        """Delete settled messages last touched before `older_than`; return how many."""
        async with self._db.transaction() as tx:
            return await tx.execute(
                "DELETE FROM outbox WHERE state <> 'queued' AND updated_at < ?",
                (to_ms(older_than),),
            )
