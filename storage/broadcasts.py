"""Broadcasts: one admin message queued to every reachable customer, with progress and cancel."""

from __future__ import annotations

from storage import audit
from storage.database import Database, Row
from storage.models import Broadcast, BroadcastProgress, BroadcastState, from_ms, opt_from_ms

# Receipts and payment messages go first: a broadcast waits behind them in the outbox.
BROADCAST_PRIORITY = 10


def _broadcast(row: Row) -> Broadcast:
    return Broadcast(
        id=row["id"],
        created_by=row["created_by"],
        kind=row["kind"],
        payload=row["payload"],
        state=BroadcastState(row["state"]),
        recipients=row["recipients"],
        created_at=from_ms(row["created_at"]),
        finished_at=opt_from_ms(row["finished_at"]),
        status_chat_id=row["status_chat_id"],
        status_message_id=row["status_message_id"],
    )


class BroadcastStore:
    """Creates broadcasts and tells how far they went."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, *, created_by: int, kind: str, payload: str) -> Broadcast:
        """Queue `payload` (JSON) to every customer not blocking the bot, in one transaction.

        Each outbox row gets the dedup key `broadcast:<id>:<chat_id>` and a lower priority
        than transactional messages.
        """
        async with self._db.transaction() as tx:
            broadcast_id = await tx.insert(
                "INSERT INTO broadcasts (created_by, kind, payload, state, recipients, created_at)"
                " VALUES (?, ?, ?, 'sending', 0, ?)",
                (created_by, kind, payload, tx.now_ms),
            )
            recipients = await tx.execute(
                "INSERT INTO outbox (chat_id, kind, payload, dedup_key, priority, broadcast_id,"
                " state, next_attempt_at, created_at, updated_at)"
                " SELECT id, ?, ?, 'broadcast:' || ? || ':' || id, ?, ?, 'queued', ?, ?, ?"
                " FROM customers WHERE blocked = 0 ORDER BY id"
                " ON CONFLICT (dedup_key) DO NOTHING",
                (
                    kind,
                    payload,
                    broadcast_id,
                    BROADCAST_PRIORITY,
                    broadcast_id,
                    tx.now_ms,
                    tx.now_ms,
                    tx.now_ms,
                ),
            )
            await tx.execute(
                "UPDATE broadcasts SET recipients = ? WHERE id = ?", (recipients, broadcast_id)
            )
            audit.record(
                tx,
                entity="broadcast",
                entity_id=broadcast_id,
                actor=audit.admin_actor(created_by),
                why=f"broadcast to {recipients} customers",
                to_state=BroadcastState.SENDING,
            )
            row = await tx.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        assert row is not None
        return _broadcast(row)

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """Return one broadcast."""
        row = await self._db.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return None if row is None else _broadcast(row)

    async def set_status_message(self, broadcast_id: int, chat_id: int, message_id: int) -> bool:
        """Remember the admin's progress message, to edit it as the broadcast goes."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE broadcasts SET status_chat_id = ?, status_message_id = ? WHERE id = ?",
                (chat_id, message_id, broadcast_id),
            )
        return changed == 1

    async def progress(self, broadcast_id: int) -> BroadcastProgress | None:
        """Return sent/failed/skipped/cancelled/remaining counts of a broadcast."""
        broadcast = await self.get(broadcast_id)
        if broadcast is None:
            return None
        rows = await self._db.fetch_all(
            "SELECT state, count(*) AS n FROM outbox WHERE broadcast_id = ? GROUP BY state",
            (broadcast_id,),
        )
        counts = {row["state"]: row["n"] for row in rows}
        return BroadcastProgress(
            broadcast_id=broadcast_id,
            state=broadcast.state,
            recipients=broadcast.recipients,
            sent=counts.get("sent", 0),
            failed=counts.get("failed", 0),
            skipped=counts.get("skipped", 0),
            cancelled=counts.get("cancelled", 0),
            remaining=counts.get("queued", 0),
        )

    async def cancel(self, broadcast_id: int, *, actor: str) -> int:
        """Stop a broadcast: its messages not sent yet are cancelled; return how many."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE broadcasts SET state = 'cancelled', finished_at = ?"
                " WHERE id = ? AND state = 'sending'",
                (tx.now_ms, broadcast_id),
            )
            if not changed:
                return 0
            cancelled = await tx.execute(
                "UPDATE outbox SET state = 'cancelled', claimed_until = NULL, updated_at = ?"
                " WHERE broadcast_id = ? AND state = 'queued'",
                (tx.now_ms, broadcast_id),
            )
            audit.record(
                tx,
                entity="broadcast",
                entity_id=broadcast_id,
                actor=actor,
                why=f"cancelled, {cancelled} messages not sent",
                from_state=BroadcastState.SENDING,
                to_state=BroadcastState.CANCELLED,
            )
        return cancelled

    async def finish(self, broadcast_id: int) -> bool:
        """Mark a broadcast finished once none of its messages waits; False otherwise."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE broadcasts SET state = 'finished', finished_at = ?"
                " WHERE id = ? AND state = 'sending' AND NOT EXISTS (SELECT 1 FROM outbox"
                "   WHERE broadcast_id = ? AND state = 'queued')",
                (tx.now_ms, broadcast_id, broadcast_id),
            )
            if changed:
                audit.record(
                    tx,
                    entity="broadcast",
                    entity_id=broadcast_id,
                    actor=audit.SYSTEM,
                    why="every message settled",
                    from_state=BroadcastState.SENDING,
                    to_state=BroadcastState.FINISHED,
                )
        return changed == 1

    async def sending(self) -> tuple[Broadcast, ...]:
        """Return the broadcasts still going (to resume progress reports after a restart)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM broadcasts WHERE state = 'sending' ORDER BY id"
        )
        return tuple(_broadcast(row) for row in rows)
