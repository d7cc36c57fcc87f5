"""The callback log: every Ligdicash callback as received (masked) and what came of it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from storage.database import Database, Row
from storage.models import CallbackEntry, CallbackRecord, from_ms, to_ms

BODY_LIMIT = 8192
# Rows written by one transaction of `log` at most (bounds how long it holds the write lock).
LOG_BATCH = 500

# Numbers standing alone (not inside ids like P2777636082026 or hex): phone numbers.
_PHONE = re.compile(r"(?<![\w])(\+?)(\d{3})(\d{3,10})(\d{2})(?![\w])")
_JWT = re.compile(r"eyJ[\w-]*\.[\w-]*\.[\w-]*")
_SECRET_FIELD = re.compile(
    r"(?i)(token|hash|otp|apikey|api_key|authorization|logfile)(\]?\"?\s*[:=]\s*\"?)([^\"&,\s}\]]+)"
)
_EMAIL = re.compile(r"([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")


def mask_phone(phone: str) -> str:
    """Return a phone number with its middle hidden (22670123456 -> 226XXXXXX56)."""
    digits = phone.strip()
    if len(digits) <= 5:
        return "X" * len(digits)
    return digits[:3] + "X" * (len(digits) - 5) + digits[-2:]


def mask_text(text: str) -> str:
    """Hide phone numbers, emails, tokens, hashes and OTPs in a callback body or log text."""
    text = _JWT.sub("<token>", text)
    text = _SECRET_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _PHONE.sub(lambda m: m.group(1) + m.group(2) + "X" * len(m.group(3)) + m.group(4), text)


def _record(row: Row) -> CallbackRecord:
    return CallbackRecord(
        id=row["id"],
        received_at=from_ms(row["received_at"]),
        content_type=row["content_type"],
        body=row["body"],
        transaction_id=row["transaction_id"],
        outcome=row["outcome"],
    )


class CallbackLog:
    """Keeps callbacks for support: masked on the way in, capped at 8 KiB each."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: list[tuple[CallbackEntry, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def log(self, entry: CallbackEntry) -> None:
        """Store one callback, once committed; those logged meanwhile share its transaction.

        A burst of callbacks would otherwise queue one commit (one fsync) each on the write
        lock, ahead of the payments they announce; this support data is written in groups.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((entry, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_waiting(), name="callback-log")
        await done

    async def _write_waiting(self) -> None:
        """Write what waits, a group per transaction, until nothing does."""
        batch: list[tuple[CallbackEntry, asyncio.Future[None]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:LOG_BATCH], self._waiting[LOG_BATCH:]
                try:
                    await self.record_many([entry for entry, _ in batch])
                except Exception as exc:  # every caller of the group learns it failed
                    _settle(batch, exc)
                else:
                    _settle(batch, None)
        except BaseException:
            # Cancelled (the loop is closing): nobody may wait forever for a writer.
            for _, done in [*batch, *self._waiting]:
                done.cancel()
            self._waiting = []
            raise
        finally:
            self._writer = None

    async def record_many(self, entries: Sequence[CallbackEntry]) -> None:
        """Store callbacks with their outcomes in one transaction (masked here, whatever came)."""
        rows = [
            (
                to_ms(entry.received_at),
                entry.content_type[:200],
                mask_text(entry.body)[:BODY_LIMIT],
                entry.transaction_id,
                entry.outcome[:200],
            )
            for entry in entries
        ]
        if not rows:
            return
        async with self._db.transaction() as tx:
            await tx.execute_many(
                "INSERT INTO callback_log (received_at, content_type, body, transaction_id,"
                " outcome) VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    async def record(
        self,
        *,
        body: str,
        content_type: str,
        transaction_id: str | None,
        outcome: str = "received",
    ) -> int:
        """Store a callback (masked here, whatever the caller did) and return its id."""
        async with self._db.transaction() as tx:
            return await tx.insert(
                "INSERT INTO callback_log (received_at, content_type, body, transaction_id,"
                " outcome) VALUES (?, ?, ?, ?, ?)",
                (
                    tx.now_ms,
                    content_type[:200],
                    mask_text(body)[:BODY_LIMIT],
                    transaction_id,
                    outcome,
                ),
            )

    async def set_outcome(self, callback_id: int, outcome: str) -> bool:
        """Record what came of a callback (applied, duplicate, unknown transaction...)."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE callback_log SET outcome = ? WHERE id = ?", (outcome, callback_id)
            )
        return changed == 1

    async def for_transaction(self, transaction_id: str) -> tuple[CallbackRecord, ...]:
        """Return the callbacks about one transaction, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM callback_log WHERE transaction_id = ? ORDER BY id", (transaction_id,)
        )
        return tuple(_record(row) for row in rows)

    async def recent(self, limit: int = 50) -> tuple[CallbackRecord, ...]:
        """Return the latest callbacks, newest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM callback_log ORDER BY id DESC LIMIT ?", (limit,)
        )
        return tuple(_record(row) for row in rows)


def _settle(
    batch: Sequence[tuple[CallbackEntry, asyncio.Future[None]]], error: Exception | None
) -> None:
    for _, done in batch:
        if done.done():  # its caller stopped waiting
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
