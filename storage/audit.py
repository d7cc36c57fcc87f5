"""The audit trail: every state transition and admin action, with who, why and when."""

from __future__ import annotations

from storage.database import Database, Queryable, Row, Transaction
from storage.models import AuditEntry, from_ms

SYSTEM = "system"
LIGDICASH = "ligdicash"


def admin_actor(user_id: int) -> str:
    """Return the actor name of an admin."""
    return f"admin:{user_id}"


def customer_actor(user_id: int) -> str:
    """Return the actor name of a customer."""
    return f"customer:{user_id}"


def record(
    tx: Transaction,
    *,
    entity: str,
    entity_id: str | int,
    actor: str,
    why: str = "",
    from_state: str | None = None,
    to_state: str | None = None,
    order_id: int | None = None,
) -> None:
    """Append one audit entry, written with the transaction that makes the change."""
    tx.defer(
        "INSERT INTO audit_log (at, actor, entity, entity_id, order_id, from_state, to_state, why)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (tx.now_ms, actor, entity, str(entity_id), order_id, from_state, to_state, why),
    )


def _entry(row: Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=from_ms(row["at"]),
        actor=row["actor"],
        entity=row["entity"],
        entity_id=row["entity_id"],
        order_id=row["order_id"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        why=row["why"],
    )


async def entries_for_order(reader: Queryable, order_id: int) -> tuple[AuditEntry, ...]:
    """Return an order's trail (its payins and payouts included), oldest first."""
    rows = await reader.fetch_all(
        "SELECT * FROM audit_log WHERE order_id = ? AND order_id IS NOT NULL ORDER BY id",
        (order_id,),
    )
    return tuple(_entry(row) for row in rows)


class AuditStore:
    """Reads and writes the audit trail."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record_action(
        self,
        *,
        actor: str,
        entity: str,
        entity_id: str | int,
        why: str,
        from_state: str | None = None,
        to_state: str | None = None,
        order_id: int | None = None,
    ) -> None:
        """Record an action that changes no stored state (an admin viewing, exporting...)."""
        async with self._db.transaction() as tx:
            record(
                tx,
                entity=entity,
                entity_id=entity_id,
                actor=actor,
                why=why,
                from_state=from_state,
                to_state=to_state,
                order_id=order_id,
            )

    async def for_order(self, order_id: int) -> tuple[AuditEntry, ...]:
        """Return an order's trail (its payins and payouts included), oldest first."""
        return await entries_for_order(self._db, order_id)

    async def for_entity(self, entity: str, entity_id: str | int) -> tuple[AuditEntry, ...]:
        """Return one entity's trail, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id",
            (entity, str(entity_id)),
        )
        return tuple(_entry(row) for row in rows)

    async def recent(self, limit: int = 50) -> tuple[AuditEntry, ...]:
        """Return the latest entries, newest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
        )
        return tuple(_entry(row) for row in rows)
