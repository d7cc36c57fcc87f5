"""A key-value space of JSON texts, for the bot's conversation persistence."""

from __future__ import annotations

from collections.abc import Mapping

from storage.database import Database


class KeyValueStore:
    """Stores JSON texts under (namespace, key)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, namespace: str, key: str) -> str | None:
        """Return the JSON text stored under a key, or None."""
        row = await self._db.fetch_one(
            "SELECT value FROM kv WHERE namespace = ? AND key = ?", (namespace, key)
        )
        return None if row is None else str(row["value"])

    async def items(self, namespace: str) -> dict[str, str]:
        """Return every key of a namespace with its JSON text."""
        rows = await self._db.fetch_all(
            "SELECT key, value FROM kv WHERE namespace = ? ORDER BY key", (namespace,)
        )
        return {str(row["key"]): str(row["value"]) for row in rows}

    async def set(self, namespace: str, key: str, value: str) -> None:
        """Store a JSON text under a key, replacing what was there."""
        await self.set_many(namespace, {key: value})

    async def set_many(self, namespace: str, values: Mapping[str, str | None]) -> None:
        """Store several keys in one transaction; a None value deletes its key."""
        async with self._db.transaction() as tx:
            await tx.execute_many(
                "DELETE FROM kv WHERE namespace = ? AND key = ?",
                [(namespace, key) for key, value in values.items() if value is None],
            )
            await tx.execute_many(
                "INSERT INTO kv (namespace, key, value, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at",
                [
                    (namespace, key, value, tx.now_ms)
                    for key, value in values.items()
                    if value is not None
                ],
            )

    async def delete(self, namespace: str, key: str) -> bool:
        """Delete a key; False if it was not there."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "DELETE FROM kv WHERE namespace = ? AND key = ?", (namespace, key)
            )
        return changed == 1

    async def clear(self, namespace: str) -> int:
        """Delete every key of a namespace; return how many."""
        async with self._db.transaction() as tx:
            return await tx.execute("DELETE FROM kv WHERE namespace = ?", (namespace,))
