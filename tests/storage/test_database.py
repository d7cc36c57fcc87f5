"""The connection's promises: durable settings, serialised writers, clean reads, safe backups."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from storage import Database, StorageError, Stores, check_file
from storage.models import to_ms
from tests.storage.shop import ManualClock, message


async def test_database_runs_in_wal_with_full_sync_and_foreign_keys(db: Database) -> None:
    assert await db.fetch_value("PRAGMA journal_mode") == "wal"
    async with db.transaction() as tx:
        synchronous = await tx.fetch_one("PRAGMA synchronous")
        foreign_keys = await tx.fetch_one("PRAGMA foreign_keys")
    assert synchronous is not None
    assert synchronous[0] == 2
    assert foreign_keys is not None
    assert foreign_keys[0] == 1


async def test_reader_cannot_write(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.fetch_all("DELETE FROM kv")


async def _insert_then_fail(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO kv (namespace, key, value, updated_at) VALUES ('n', 'k', '1', 0)"
        )
        raise RuntimeError("boom")


async def test_failed_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        await _insert_then_fail(db)
    assert await db.fetch_int("SELECT count(*) FROM kv") == 0


async def test_reads_never_see_uncommitted_writes(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO kv (namespace, key, value, updated_at) VALUES ('n', 'k', '1', 0)"
        )
        assert await db.fetch_int("SELECT count(*) FROM kv") == 0
    assert await db.fetch_int("SELECT count(*) FROM kv") == 1


async def test_concurrent_transactions_never_interleave(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO kv (namespace, key, value, updated_at) VALUES ('n', 'counter', '0', 0)"
        )

    async def increment() -> None:
        async with db.transaction() as tx:
            row = await tx.fetch_one("SELECT value FROM kv WHERE key = 'counter'")
            assert row is not None
            await asyncio.sleep(0)
            await tx.execute(
                "UPDATE kv SET value = ? WHERE key = 'counter'", (str(int(row[0]) + 1),)
            )

    await asyncio.gather(*(increment() for _ in range(50)))
    assert await db.fetch_value("SELECT value FROM kv WHERE key = 'counter'") == "50"


async def test_nested_transaction_is_refused(db: Database) -> None:
    async with db.transaction():
        with pytest.raises(StorageError, match="nested"):
            async with db.transaction():
                pass


async def test_cancelled_transaction_rolls_back_and_frees_the_lock(db: Database) -> None:
    entered = asyncio.Event()

    async def slow() -> None:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO kv (namespace, key, value, updated_at) VALUES ('n', 'k', '1', 0)"
            )
            entered.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(slow())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.transaction() as tx:
        assert await tx.fetch_one("SELECT 1 FROM kv") is None


async def test_closed_database_refuses_work(tmp_path: Path) -> None:
    database = Database(tmp_path / "x.sqlite3")
    with pytest.raises(StorageError, match="not open"):
        await database.fetch_all("SELECT 1")
    async with database:
        assert await database.ping()
    with pytest.raises(StorageError, match="not open"):
        async with database.transaction():
            pass


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_ms(datetime(2026, 1, 1))


async def test_backup_while_writes_go_on_is_complete_and_verified(
    tmp_path: Path, stores: Stores
) -> None:
    stop = asyncio.Event()
    fifty = asyncio.Event()
    written = 0

    async def writer() -> None:
        nonlocal written
        while not stop.is_set():
            await stores.outbox.enqueue(message(1, f"m{written}"))
            written += 1
            if written == 50:
                fifty.set()

    task = asyncio.create_task(writer())
    await fifty.wait()
    report = await stores.db.backup(tmp_path / "backup" / "shop.sqlite3")
    stop.set()
    await task
    assert report.ok
    assert 50 <= report.row_counts["outbox"] <= written
    assert report.schema_version == stores.db.schema_version
    assert not (tmp_path / "backup" / "shop.sqlite3.partial").exists()
    restored = check_file(tmp_path / "backup" / "shop.sqlite3")
    assert restored.row_counts == report.row_counts
    async with Database.open(tmp_path / "backup" / "shop.sqlite3", clock=ManualClock()) as copy:
        assert await copy.fetch_int("SELECT count(*) FROM outbox") == report.row_counts["outbox"]


async def test_backup_never_overwrites_unless_asked(tmp_path: Path, db: Database) -> None:
    target = tmp_path / "b.sqlite3"
    await db.backup(target)
    with pytest.raises(FileExistsError):
        await db.backup(target)
    assert (await db.backup(target, overwrite=True)).ok


async def test_check_reports_integrity_and_counts(db: Database) -> None:
    report = await db.check()
    assert report.ok
    assert report.row_counts["orders"] == 0
    assert report.row_counts["schema_migrations"] == db.schema_version
    assert report.size_bytes > 0


def test_check_of_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        check_file(tmp_path / "none.sqlite3")


def _wal_size(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


async def test_wal_is_checkpointed_beside_the_writer_and_emptied_on_close(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wal.sqlite3"
    async with Database.open(path, checkpoint_every=0.01) as database:
        stores = Stores.over(database)
        await stores.outbox.enqueue_many(message(1, f"a{n}") for n in range(300))
        first = _wal_size(path)
        await asyncio.sleep(0.2)
        await stores.outbox.enqueue_many(message(1, f"b{n}") for n in range(300))
        # Once checkpointed, the next writer starts the WAL over instead of growing it.
        assert 0 < _wal_size(path) <= first
    assert _wal_size(path) == 0
