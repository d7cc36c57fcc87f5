"""The callback log: every Ligdicash callback as received (masked) and what came of it."""

from __future__ import annotations

import re

from storage.database import Database, Row
from storage.models import CallbackRecord, from_ms

BODY_LIMIT = 8192

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
