"""Rules for keeping conversation states and user_data across restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.persistence import SqlitePersistence
from storage.database import Database
from storage.kv import KeyValueStore


async def test_conversation_states_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "kv.sqlite3"
    async with Database.open(path) as db:
        persistence = SqlitePersistence(KeyValueStore(db))
        await persistence.update_conversation("checkout", (10, 10), "otp")
        await persistence.update_conversation("checkout", (11, 11), "phone")
        await persistence.update_conversation("checkout", (11, 11), None)
        await persistence.update_conversation("other", (10, 10), "x")
    async with Database.open(path) as db:
        persistence = SqlitePersistence(KeyValueStore(db))
        assert await persistence.get_conversations("checkout") == {(10, 10): "otp"}
        assert await persistence.get_conversations("missing") == {}


async def test_user_data_survives_a_reopen_and_empty_data_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "kv.sqlite3"
    async with Database.open(path) as db:
        persistence = SqlitePersistence(KeyValueStore(db))
        await persistence.update_user_data(10, {"otp": "12", "tries": 1})
        await persistence.update_user_data(11, {"otp": "9"})
        await persistence.update_user_data(11, {})
        await persistence.update_user_data(12, {"x": 1})
        await persistence.drop_user_data(12)
    async with Database.open(path) as db:
        persistence = SqlitePersistence(KeyValueStore(db))
        assert await persistence.get_user_data() == {10: {"otp": "12", "tries": 1}}


async def test_unreadable_stored_values_are_skipped(tmp_path: Path) -> None:
    async with Database.open(tmp_path / "kv.sqlite3") as db:
        kv = KeyValueStore(db)
        await kv.set("ptb:conversation:checkout", "not-a-key", '"otp"')
        await kv.set("ptb:conversation:checkout", "[1, 2]", '"phone"')
        persistence = SqlitePersistence(kv)
        assert await persistence.get_conversations("checkout") == {(1, 2): "phone"}


async def test_many_updates_handed_over_at_once_are_all_stored(tmp_path: Path) -> None:
    path = tmp_path / "kv.sqlite3"
    async with Database.open(path) as db:
        persistence = SqlitePersistence(KeyValueStore(db))
        await asyncio.gather(
            *(persistence.update_user_data(user, {"n": user}) for user in range(50)),
            *(persistence.update_conversation("checkout", (u, u), "otp") for u in range(50)),
            persistence.drop_user_data(7),
            persistence.update_conversation("checkout", (3, 3), None),
        )
        await persistence.update_user_data(8, {})
    async with Database.open(path) as db:
        persistence = SqlitePersistence(KeyValueStore(db))
        users = await persistence.get_user_data()
        assert set(users) == set(range(50)) - {7, 8}
        assert users[9] == {"n": 9}
        states = await persistence.get_conversations("checkout")
        assert set(states) == {(u, u) for u in range(50)} - {(3, 3)}


async def test_a_failed_write_is_reported_to_every_caller_of_its_batch(tmp_path: Path) -> None:
    async with Database.open(tmp_path / "kv.sqlite3") as db:
        persistence = SqlitePersistence(KeyValueStore(db))
    # The database is closed now: the shared write fails, and each caller hears it.
    results = await asyncio.gather(
        persistence.update_user_data(1, {"a": 1}),
        persistence.update_conversation("checkout", (1, 1), "otp"),
        return_exceptions=True,
    )
    assert all(isinstance(result, Exception) for result in results)
