"""Migrations: numbered, applied once each, never edited, same schema however they are reached."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage import Database, MigrationError
from storage.database import load_migrations, split_statements

STEPS = {
    "0001_first.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
    "0002_second.sql": (
        "-- a comment line\n"
        "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));\n"
        "CREATE INDEX b_by_a ON b (a_id);\n"
    ),
    "0003_third.sql": (
        "ALTER TABLE a ADD COLUMN note TEXT;\n"
        "CREATE TRIGGER a_note AFTER INSERT ON a BEGIN\n"
        "  UPDATE a SET note = 'new' WHERE id = new.id;\n"
        "END;\n"
    ),
}


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _schema(path: Path) -> list[tuple[str, str, str]]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
        ).fetchall()
        version = connection.execute("PRAGMA user_version").fetchone()[0]
    finally:
        connection.close()
    return [*rows, ("user_version", str(version), "")]


async def _fresh_and_stepwise(tmp_path: Path, folder: Path | None) -> None:
    count = len(load_migrations(folder))
    async with Database.open(tmp_path / "fresh.sqlite3", migrations=folder):
        pass
    for target in range(1, count + 1):
        async with Database.open(
            tmp_path / "steps.sqlite3", migrations=folder, schema_target=target
        ) as database:
            assert await database.fetch_value("PRAGMA user_version") == target
    assert _schema(tmp_path / "fresh.sqlite3") == _schema(tmp_path / "steps.sqlite3")


async def test_real_migrations_fresh_and_step_by_step_give_one_schema(tmp_path: Path) -> None:
    await _fresh_and_stepwise(tmp_path, None)


async def test_fresh_and_step_by_step_give_one_schema(tmp_path: Path) -> None:
    await _fresh_and_stepwise(tmp_path, _write(tmp_path / "migrations", STEPS))


def test_real_migrations_ship_as_package_data() -> None:
    migrations = load_migrations()
    assert migrations[0].name == "0001_initial.sql"
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))


async def test_edited_migration_is_refused(tmp_path: Path) -> None:
    folder = _write(tmp_path / "migrations", STEPS)
    async with Database.open(tmp_path / "db.sqlite3", migrations=folder):
        pass
    (folder / "0002_second.sql").write_text(STEPS["0002_second.sql"] + "-- tweak\n")
    with pytest.raises(MigrationError, match="edited"):
        async with Database.open(tmp_path / "db.sqlite3", migrations=folder):
            pass


async def test_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    folder = _write(tmp_path / "migrations", STEPS)
    async with Database.open(tmp_path / "db.sqlite3", migrations=folder):
        pass
    (folder / "0003_third.sql").unlink()
    with pytest.raises(MigrationError, match="newer"):
        async with Database.open(tmp_path / "db.sqlite3", migrations=folder):
            pass


def test_gap_in_numbering_is_refused(tmp_path: Path) -> None:
    folder = _write(tmp_path / "migrations", {"0001_a.sql": "SELECT 1;", "0003_c.sql": ""})
    with pytest.raises(MigrationError, match="0002 missing"):
        load_migrations(folder)


def test_badly_named_migration_is_refused(tmp_path: Path) -> None:
    folder = _write(tmp_path / "migrations", {"1_a.sql": "SELECT 1;"})
    with pytest.raises(MigrationError, match="NNNN_name"):
        load_migrations(folder)


async def test_failing_migration_keeps_the_previous_version(tmp_path: Path) -> None:
    broken = {**STEPS, "0002_second.sql": "CREATE TABLE b (id INTEGER PRIMARY KEY);\nBAD SQL;\n"}
    folder = _write(tmp_path / "migrations", broken)
    with pytest.raises(sqlite3.OperationalError):
        async with Database.open(tmp_path / "db.sqlite3", migrations=folder):
            pass
    schema = _schema(tmp_path / "db.sqlite3")
    assert schema[-1] == ("user_version", "1", "")
    assert "b" not in {name for _, name, _ in schema}


async def test_migration_breaking_foreign_keys_is_refused(tmp_path: Path) -> None:
    steps = {
        "0001_a.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\n"
        "CREATE TABLE b (a_id INTEGER REFERENCES a (id));\n",
        "0002_orphan.sql": "INSERT INTO b VALUES (42);\n",
    }
    folder = _write(tmp_path / "migrations", steps)
    with pytest.raises(MigrationError, match="foreign key"):
        async with Database.open(tmp_path / "db.sqlite3", migrations=folder):
            pass


def test_statements_are_split_whole() -> None:
    statements = split_statements(STEPS["0002_second.sql"] + STEPS["0003_third.sql"])
    assert len(statements) == 4
    assert statements[-1].endswith("END;")
    with pytest.raises(MigrationError, match="incomplete"):
        split_statements("CREATE TABLE x (id INTEGER")
