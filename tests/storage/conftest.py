"""Fixtures of the storage tests: a real SQLite file under tmp_path and a clock we move."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Database, Stores
from tests.storage.shop import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    """Return a clock that only moves when told."""
    return ManualClock()


@pytest.fixture
async def db(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Database]:
    """Return an open database on a fresh file."""
    async with Database.open(tmp_path / "shop.sqlite3", clock=clock) as database:
        yield database


@pytest.fixture
def stores(db: Database) -> Stores:
    """Return every store over the test database."""
    return Stores.over(db)
