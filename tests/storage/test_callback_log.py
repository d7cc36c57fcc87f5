"""The callback log's group commit: callbacks logged together share a transaction."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from storage import Database, Stores
from storage.models import CallbackEntry

RECEIVED = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def entry(number: int, outcome: str = "state_completed") -> CallbackEntry:
    """A callback about transaction `tx-<number>`, received `number` seconds after RECEIVED."""
    body = json.dumps({"transaction_id": f"tx-{number}", "customer": "22670123456"})
    return CallbackEntry(
        received_at=RECEIVED + timedelta(seconds=number),
        content_type="json",
        body=body,
        transaction_id=f"tx-{number}",
        outcome=outcome,
    )


async def test_a_logged_callback_is_committed_masked_with_its_time_and_outcome(
    stores: Stores,
) -> None:
    await stores.callbacks.log(entry(1, "already_completed"))
    (record,) = await stores.callbacks.for_transaction("tx-1")
    assert record.received_at == RECEIVED + timedelta(seconds=1)
    assert record.outcome == "already_completed"
    assert record.content_type == "json"
    assert "22670123456" not in record.body
    assert "tx-1" in record.body


async def test_callbacks_logged_while_the_writer_is_busy_all_land_once_it_frees(
    db: Database, stores: Stores
) -> None:
    busy, release = asyncio.Event(), asyncio.Event()

    async def hold_the_writer() -> None:
        async with db.transaction():
            busy.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_writer())
    await busy.wait()
    logging = [asyncio.create_task(stores.callbacks.log(entry(n))) for n in range(5)]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in logging)
    assert await stores.callbacks.recent() == ()

    release.set()
    await asyncio.gather(holder, *logging)
    records = sorted(await stores.callbacks.recent(), key=lambda record: record.id)
    assert [record.transaction_id for record in records] == [f"tx-{n}" for n in range(5)]


async def test_a_caller_who_stops_waiting_still_has_its_callback_logged(stores: Stores) -> None:
    first = asyncio.create_task(stores.callbacks.log(entry(1)))
    second = asyncio.create_task(stores.callbacks.log(entry(2)))
    await asyncio.sleep(0)  # both handed their callback over; the writer has not run yet
    first.cancel()
    await second
    assert first.cancelled()
    assert [record.transaction_id for record in await stores.callbacks.recent()] == [
        "tx-2",
        "tx-1",
    ]
