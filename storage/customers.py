"""Customers: the Telegram users who talked to the bot, their language, numbers and reachability."""

from __future__ import annotations

from storage.database import Database, Row
from storage.models import Customer, from_ms, to_ms

# Seeing a customer again only costs a write when something changed or this much time passed.
_SEEN_EVERY_MS = 5 * 60 * 1000


def _customer(row: Row) -> Customer:
    return Customer(
        id=row["id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        username=row["username"],
        language=row["language"],
        email=row["email"],
        blocked=bool(row["blocked"]),
        created_at=from_ms(row["created_at"]),
        last_seen_at=from_ms(row["last_seen_at"]),
    )


class CustomerStore:
    """Keeps what we know about each customer."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def seen(
        self,
        user_id: int,
        *,
        first_name: str,
        last_name: str = "",
        username: str | None = None,
        language: str,
    ) -> Customer:
        """Record that a user wrote: create them, or refresh names and unblock them.

        `language` is only used for a new customer; an existing one keeps the language they
        chose. Writes only when a name changed, the user was marked blocked, or a few minutes
        passed since the last write, so that every update does not cost a commit.
        """
        row = await self._db.fetch_one("SELECT * FROM customers WHERE id = ?", (user_id,))
        if row is not None:
            known = _customer(row)
            fresh = self._db.now() - to_ms(known.last_seen_at) < _SEEN_EVERY_MS
            same = (known.first_name, known.last_name, known.username) == (
                first_name,
                last_name,
                username,
            )
            if fresh and same and not known.blocked:
                return known
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO customers (id, first_name, last_name, username, language,"
                " created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name,"
                " last_name = excluded.last_name, username = excluded.username,"
                " blocked = 0, last_seen_at = excluded.last_seen_at",
                (user_id, first_name, last_name, username, language, tx.now_ms, tx.now_ms),
            )
            stored = await tx.fetch_one("SELECT * FROM customers WHERE id = ?", (user_id,))
        assert stored is not None
        return _customer(stored)

    async def get(self, user_id: int) -> Customer | None:
        """Return one customer."""
        row = await self._db.fetch_one("SELECT * FROM customers WHERE id = ?", (user_id,))
        return None if row is None else _customer(row)

    async def set_language(self, user_id: int, language: str) -> bool:
        """Change a customer's language; False if unknown."""
        return await self._set(user_id, "language", language)

    async def set_email(self, user_id: int, email: str | None) -> bool:
        """Change (or forget, with None) a customer's email; False if unknown."""
        return await self._set(user_id, "email", email)

    async def set_blocked(self, user_id: int, blocked: bool) -> bool:
        """Record whether the customer blocked the bot; False if unknown."""
        return await self._set(user_id, "blocked", int(blocked))

    async def _set(self, user_id: int, column: str, value: object) -> bool:
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                f"UPDATE customers SET {column} = ? WHERE id = ?",  # noqa: S608
                (value, user_id),
            )
        return changed == 1

    async def add_phone(self, user_id: int, phone: str) -> None:
        """Remember a (normalised) number the customer used, most recent first."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO customer_phones (customer_id, phone, first_used_at, last_used_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (customer_id, phone)"
                " DO UPDATE SET last_used_at = excluded.last_used_at",
                (user_id, phone, tx.now_ms, tx.now_ms),
            )

    async def phones(self, user_id: int) -> tuple[str, ...]:
        """Return the numbers a customer used, most recently used first."""
        rows = await self._db.fetch_all(
            "SELECT phone FROM customer_phones WHERE customer_id = ?"
            " ORDER BY last_used_at DESC, phone",
            (user_id,),
        )
        return tuple(row["phone"] for row in rows)

    async def count(self, *, reachable_only: bool = False) -> int:
        """Return how many customers there are (only those not blocking the bot, if asked)."""
        if reachable_only:
            return await self._db.fetch_int("SELECT count(*) FROM customers WHERE blocked = 0")
        return await self._db.fetch_int("SELECT count(*) FROM customers")
