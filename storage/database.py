"""The one place that opens SQLite: connections, numbered migrations, transactions and backups.

Two aiosqlite connections share one file in WAL mode: a writer, used only inside `transaction()`
(an asyncio lock plus `BEGIN IMMEDIATE`, so coroutines never interleave statements of different
transactions and other processes wait their turn), and a read-only reader that only ever sees
committed data. Migrations are the numbered `NNNN_name.sql` files of `storage.migrations`, applied
in order by `PRAGMA user_version`, each in its own transaction, and checked against the
checksums recorded when they were applied so that a released migration is never edited.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

import aiosqlite

from storage.models import Clock, IntegrityReport, to_ms, utc_now

logger = logging.getLogger(__name__)

Params = Sequence[object] | Mapping[str, object]
Row = sqlite3.Row

# Page cache per connection: enough for the hot index pages of a million orders, bounded so
# that the bot stays small (two connections, 32 MiB at most).
CACHE_KIB = 16 * 1024
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    sha256     TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT
"""


class StorageError(Exception):
    """Base of the storage failures a caller may want to tell apart."""


class MigrationError(StorageError):
    """The migrations on disk and the database's schema disagree."""


class BackupError(StorageError):
    """A backup file failed its verification and was discarded."""


class Queryable(Protocol):
    """Something reads can be run on: the database's reader or an open transaction."""

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """Return the first row of a query, or None."""
        ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Return every row of a query."""
        ...


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str

    @property
    def sha256(self) -> str:
        """Return the checksum recorded when the migration is applied."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(root: Traversable | None = None) -> tuple[Migration, ...]:
    """Return the migrations under `root` (default: the storage.migrations package) in order."""
    folder = root if root is not None else resources.files("storage.migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match is None:
            if entry.name.endswith(".sql"):
                raise MigrationError(f"migration file not named NNNN_name.sql: {entry.name}")
            continue
        found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda migration: migration.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(f"migration {expected:04d} missing before {migration.name}")
    return tuple(found)


def split_statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (triggers included)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if not _only_comments(statement):
                statements.append(statement)
            buffer = ""
    if buffer.strip() and not _only_comments(buffer):
        raise MigrationError(f"incomplete SQL statement at the end: {buffer.strip()[:60]}")
    return statements


def _only_comments(text: str) -> bool:
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    return not code.strip().strip(";").strip()


class Transaction:
    """Statements of one open write transaction; every timestamp in it is `now`."""

    def __init__(self, connection: aiosqlite.Connection, now_ms: int) -> None:
        self._connection = connection
        self.now_ms = now_ms
        self._deferred: dict[str, list[Params]] = {}

    def defer(self, sql: str, params: Params) -> None:
        """Queue a write-only statement to run, batched with its like, just before COMMIT."""
        self._deferred.setdefault(sql, []).append(params)

    async def flush(self) -> None:
        """Run the deferred statements (one executemany per distinct statement)."""
        deferred, self._deferred = self._deferred, {}
        for sql, rows in deferred.items():
            await self.execute_many(sql, rows)

    # Writes read rowcount/lastrowid and leave the cursor to the garbage collector instead of
    # awaiting close(): every await is a hop to the database thread while the write lock is held,
    # and a finished INSERT/UPDATE/DELETE cursor holds nothing.

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement and return how many rows it changed."""
        cursor = await self._connection.execute(sql, params)
        return cursor.rowcount

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement per parameter set and return how many rows changed in all."""
        cursor = await self._connection.executemany(sql, rows)
        return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT and return the new row's id."""
        cursor = await self._connection.execute(sql, params)
        rowid = cursor.lastrowid
        if rowid is None:
            raise StorageError("INSERT did not create a row")
        return rowid

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """Return the first row of a query inside the transaction, or None."""
        rows = await self._connection.execute_fetchall(sql, params)
        for row in rows:
            return row
        return None

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Return every row of a query inside the transaction."""
        return list(await self._connection.execute_fetchall(sql, params))


class Database:
    """A SQLite database file opened for the bot: `async with Database.open(path) as db`."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = utc_now,
        busy_timeout_ms: int = 5000,
        migrations: Traversable | None = None,
        schema_target: int | None = None,
        checkpoint_every: float = 1.0,
    ) -> None:
        self.path = Path(path)
        self._checkpoint_every = checkpoint_every
        self._checkpointer: asyncio.Task[None] | None = None
        self._clock = clock
        self._busy_timeout_ms = busy_timeout_ms
        self._migrations = load_migrations(migrations)
        self._schema_target = len(self._migrations) if schema_target is None else schema_target
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._lock_owner: asyncio.Task[object] | None = None

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        clock: Clock = utc_now,
        busy_timeout_ms: int = 5000,
        migrations: Traversable | None = None,
        schema_target: int | None = None,
        checkpoint_every: float = 1.0,
    ) -> Self:
        """Return a database to use as `async with Database.open(path) as db`."""
        return cls(
            path,
            clock=clock,
            busy_timeout_ms=busy_timeout_ms,
            migrations=migrations,
            schema_target=schema_target,
            checkpoint_every=checkpoint_every,
        )

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def now(self) -> int:
        """Return the clock's time in epoch milliseconds."""
        return to_ms(self._clock())

    @property
    def clock(self) -> Clock:
        """Return the clock every timestamp comes from."""
        return self._clock

    async def connect(self) -> None:
        """Open both connections and bring the schema up to date."""
        if self._writer is not None:
            raise StorageError("database already open")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            writer.row_factory = sqlite3.Row
            await self._pragma(writer, f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            mode = await self._pragma(writer, "PRAGMA journal_mode = WAL")
            if str(mode).lower() != "wal":
                raise StorageError(f"cannot switch {self.path.name} to WAL (got {mode})")
            await self._pragma(writer, "PRAGMA synchronous = FULL")
            await self._pragma(writer, f"PRAGMA cache_size = -{CACHE_KIB}")
            # Off while migrating (table rebuilds), checked by foreign_key_check before commit.
            await self._pragma(writer, "PRAGMA foreign_keys = OFF")
            await self._migrate(writer)
            await self._pragma(writer, "PRAGMA foreign_keys = ON")
            # Checkpoints run beside the writer (see _checkpoint_loop), not inside its commits.
            await self._pragma(writer, "PRAGMA wal_autocheckpoint = 0")
            reader = await aiosqlite.connect(self.path, isolation_level=None)
        except BaseException:
            await writer.close()
            raise
        try:
            reader.row_factory = sqlite3.Row
            await self._pragma(reader, f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            await self._pragma(reader, "PRAGMA query_only = ON")
            await self._pragma(reader, f"PRAGMA cache_size = -{CACHE_KIB}")
        except BaseException:
            await reader.close()
            await writer.close()
            raise
        self._writer, self._reader = writer, reader
        self._checkpointer = asyncio.create_task(self._checkpoint_loop(), name="wal-checkpoint")
        logger.info("database %s open at schema version %d", self.path.name, self._schema_target)

    async def close(self) -> None:
        """Close both connections (the writer last, once no transaction is running)."""
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await checkpointer
        reader, writer = self._reader, self._writer
        self._reader = self._writer = None
        if reader is not None:
            await reader.close()
        if writer is not None:
            async with self._write_lock:
                try:
                    await writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    await writer.close()

    async def _checkpoint_loop(self) -> None:
        """Copy the WAL into the database file every few moments, off the writer's path.

        A PASSIVE checkpoint from its own connection waits for nobody, so a commit never pays
        for copying thousands of pages (SQLite's automatic checkpoint would make one unlucky
        commit do it, holding the write lock).
        """
        connection = await asyncio.to_thread(_checkpoint_connection, self.path)
        try:
            while True:
                await asyncio.sleep(self._checkpoint_every)
                running = asyncio.ensure_future(asyncio.to_thread(_checkpoint, connection))
                try:
                    await asyncio.shield(running)
                except asyncio.CancelledError:
                    # Let the thread finish with the connection before it is closed.
                    await asyncio.wait([running])
                    raise
                except sqlite3.Error:
                    logger.warning("WAL checkpoint failed; retrying later", exc_info=True)
        finally:
            connection.close()

    @staticmethod
    async def _pragma(connection: aiosqlite.Connection, sql: str) -> object:
        rows = list(await connection.execute_fetchall(sql))
        return rows[0][0] if rows else None

    async def _migrate(self, writer: aiosqlite.Connection) -> None:
        known = len(self._migrations)
        current = int(str(await self._pragma(writer, "PRAGMA user_version")))
        if current > known:
            raise MigrationError(
                f"database schema {current} is newer than this code's migrations ({known})"
            )
        if current > 0:
            await self._verify_applied(writer, current)
        for migration in self._migrations:
            if migration.version <= current or migration.version > self._schema_target:
                continue
            await writer.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated while we waited for the write lock.
                version = int(str(await self._pragma(writer, "PRAGMA user_version")))
                if version >= migration.version:
                    await writer.execute("ROLLBACK")
                    continue
                await writer.execute(_MIGRATIONS_TABLE)
                for statement in split_statements(migration.sql):
                    await writer.execute(statement)
                violations = list(await writer.execute_fetchall("PRAGMA foreign_key_check"))
                if violations:
                    raise MigrationError(
                        f"{migration.name} leaves {len(violations)} foreign key violations"
                    )
                await writer.execute(
                    "INSERT INTO schema_migrations (version, name, sha256, applied_at)"
                    " VALUES (?, ?, ?, ?)",
                    (migration.version, migration.name, migration.sha256, self.now()),
                )
                await writer.execute(f"PRAGMA user_version = {migration.version}")
                await writer.execute("COMMIT")
            except BaseException:
                await self._rollback(writer)
                raise
            logger.info("applied migration %s", migration.name)

    async def _verify_applied(self, writer: aiosqlite.Connection, current: int) -> None:
        rows = await writer.execute_fetchall("SELECT version, name, sha256 FROM schema_migrations")
        recorded = {int(row["version"]): (str(row["name"]), str(row["sha256"])) for row in rows}
        for migration in self._migrations[:current]:
            name_sha = recorded.get(migration.version)
            if name_sha is None:
                raise MigrationError(f"{migration.name} is not recorded as applied")
            if name_sha[1] != migration.sha256:
                raise MigrationError(f"{migration.name} was edited after it was applied")

    @staticmethod
    async def _rollback(connection: aiosqlite.Connection) -> None:
        try:
            await connection.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            # SQLite already rolled back (disk full, I/O error): nothing left to undo.
            if "no transaction is active" not in str(exc):
                raise

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run a write transaction: serialised, committed on success, rolled back on error."""
        task = asyncio.current_task()
        if task is not None and task is self._lock_owner:
            raise StorageError("nested transaction: pass the open Transaction down instead")
        async with self._write_lock:
            writer = self._writer
            if writer is None:
                raise StorageError("database is not open")
            self._lock_owner = task
            try:
                await writer.execute("BEGIN IMMEDIATE")
                tx = Transaction(writer, self.now())
                try:
                    yield tx
                    await tx.flush()
                except BaseException:
                    await self._rollback(writer)
                    raise
                try:
                    await writer.execute("COMMIT")
                except asyncio.CancelledError:
                    # The COMMIT is queued on the connection's thread and runs anyway.
                    raise
                except BaseException:
                    await self._rollback(writer)
                    raise
            finally:
                self._lock_owner = None

    def _read_connection(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise StorageError("database is not open")
        return self._reader

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """Return the first row of a read-only query on committed data, or None."""
        rows = await self._read_connection().execute_fetchall(sql, params)
        for row in rows:
            return row
        return None

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Return every row of a read-only query on committed data."""
        return list(await self._read_connection().execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Params = ()) -> object:
        """Return the first column of the first row of a query, or None."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def fetch_int(self, sql: str, params: Params = ()) -> int:
        """Return an integer aggregate (count, sum), 0 when it is NULL."""
        value = await self.fetch_value(sql, params)
        if value is None:
            return 0
        if not isinstance(value, int):
            raise StorageError(f"expected an integer, got {type(value).__name__}")
        return value

    async def ping(self) -> bool:
        """Return whether the database answers a trivial query."""
        return await self.fetch_value("SELECT 1") == 1

    @property
    def schema_version(self) -> int:
        """Return the schema version this database was brought to."""
        return self._schema_target

    async def check(self) -> IntegrityReport:
        """Run integrity_check and count rows on the live file (from a separate connection)."""
        return await asyncio.to_thread(check_file, self.path, self._busy_timeout_ms)

    async def backup(self, target: str | Path, *, overwrite: bool = False) -> IntegrityReport:
        """Copy the live database to `target` while writes go on, then verify the copy.

        The copy is a `VACUUM INTO` snapshot written next to the target, fsynced, checked with
        `PRAGMA integrity_check` and row counts, and only then renamed into place, so a file
        at `target` is always a complete, verified backup.
        """
        if self._writer is None:
            raise StorageError("database is not open")
        started = time.monotonic()
        report = await asyncio.to_thread(
            _backup_file, self.path, Path(target), overwrite, self._busy_timeout_ms
        )
        logger.info(
            "backup %s written: %d bytes in %.2f s",
            Path(target).name,
            report.size_bytes,
            time.monotonic() - started,
        )
        return report


def _checkpoint_connection(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA busy_timeout = 1000")
    return connection


def _checkpoint(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def check_file(path: str | Path, busy_timeout_ms: int = 5000) -> IntegrityReport:
    """Return integrity_check, per-table row counts and size of a database file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(str(path))
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        connection.execute("PRAGMA query_only = ON")
        problems = [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
        tables = [
            str(row[0])
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts: dict[str, int] = {}
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            count_sql = f"SELECT count(*) FROM {quoted}"  # noqa: S608 (names from sqlite_master)
            counts[table] = int(connection.execute(count_sql).fetchone()[0])
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    finally:
        connection.close()
    return IntegrityReport(
        path=str(path),
        integrity="ok" if problems == ["ok"] else "; ".join(problems[:20]),
        row_counts=counts,
        size_bytes=path.stat().st_size,
        schema_version=version,
    )


def _backup_file(
    source: Path, target: Path, overwrite: bool, busy_timeout_ms: int
) -> IntegrityReport:
    if target.exists() and not overwrite:
        raise FileExistsError(str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    connection = sqlite3.connect(source, isolation_level=None)
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        connection.execute("VACUUM INTO ?", (str(partial),))
    finally:
        connection.close()
    try:
        _fsync(partial)
        report = check_file(partial, busy_timeout_ms)
        if not report.ok:
            raise BackupError(f"backup failed its integrity check: {report.integrity}")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    _fsync_directory(target.parent)
    return IntegrityReport(
        path=str(target),
        integrity=report.integrity,
        row_counts=report.row_counts,
        size_bytes=report.size_bytes,
        schema_version=report.schema_version,
    )


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_directory(path: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    with contextlib.suppress(OSError):
        _fsync(path)
