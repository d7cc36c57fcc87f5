"""Outbox and broadcast rules: every message delivered at least once, each event once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from storage import Stores
from storage.models import BroadcastState, NewMessage, OutboxState
from tests.storage.shop import ADMIN, ADMIN_ACTOR, ManualClock, message


async def test_same_dedup_key_queues_one_message(stores: Stores) -> None:
    assert await stores.outbox.enqueue(message(1, "event:1"))
    assert not await stores.outbox.enqueue(message(1, "event:1", "other text"))
    assert await stores.outbox.enqueue_many([message(1, "event:1"), message(2, "event:2")]) == 1
    assert await stores.outbox.backlog() == 2


def test_payload_must_be_json() -> None:
    with pytest.raises(ValueError, match="Expecting value"):
        NewMessage(chat_id=1, kind="text", payload="not json", dedup_key="k")
    with pytest.raises(ValueError, match="dedup_key"):
        NewMessage(chat_id=1, kind="text", payload="{}", dedup_key="")


async def test_claimed_messages_are_leased_then_due_again(
    stores: Stores, clock: ManualClock
) -> None:
    await stores.outbox.enqueue(message(1, "a"))
    claimed = await stores.outbox.claim_due(lease=timedelta(seconds=60))
    assert [m.dedup_key for m in claimed] == ["a"]
    assert claimed[0].attempts == 1
    assert await stores.outbox.claim_due() == ()
    clock.advance(seconds=61)
    again = await stores.outbox.claim_due()
    assert [m.attempts for m in again] == [2]


async def test_restart_releases_unsettled_claims(stores: Stores) -> None:
    await stores.outbox.enqueue(message(1, "a"))
    await stores.outbox.claim_due()
    assert await stores.outbox.release_claims() == 1
    assert [m.dedup_key for m in await stores.outbox.claim_due()] == ["a"]


async def test_sent_messages_are_not_sent_again(stores: Stores, clock: ManualClock) -> None:
    await stores.outbox.enqueue(message(1, "a"))
    (claimed,) = await stores.outbox.claim_due()
    assert await stores.outbox.mark_sent(claimed.id)
    assert not await stores.outbox.mark_sent(claimed.id)
    clock.advance(days=1)
    assert await stores.outbox.claim_due() == ()
    sent = await stores.outbox.get(claimed.id)
    assert sent is not None
    assert sent.state is OutboxState.SENT
    assert sent.sent_at == clock.now - timedelta(days=1)


async def test_failed_delivery_is_retried_at_the_given_time(
    stores: Stores, clock: ManualClock
) -> None:
    await stores.outbox.enqueue(message(1, "a"))
    (claimed,) = await stores.outbox.claim_due()
    await stores.outbox.mark_failed(
        claimed.id, error="RetryAfter 5", retry_at=clock.now + timedelta(seconds=5)
    )
    assert await stores.outbox.claim_due() == ()
    assert await stores.outbox.next_due_at() == clock.now + timedelta(seconds=5)
    clock.advance(seconds=5)
    (retried,) = await stores.outbox.claim_due()
    assert retried.last_error == "RetryAfter 5"
    await stores.outbox.mark_failed(retried.id, error="Bad Request", retry_at=None)
    given_up = await stores.outbox.get(retried.id)
    assert given_up is not None
    assert given_up.state is OutboxState.FAILED
    assert await stores.outbox.backlog() == 0


async def test_blocked_chat_skips_its_messages_and_flags_the_customer(stores: Stores) -> None:
    await stores.customers.seen(7, first_name="B", language="fr")
    await stores.outbox.enqueue_many([message(7, "a"), message(7, "b"), message(8, "c")])
    assert await stores.outbox.mark_chat_blocked(7) == 2
    customer = await stores.customers.get(7)
    assert customer is not None
    assert customer.blocked
    assert [m.chat_id for m in await stores.outbox.claim_due()] == [8]
    await stores.customers.seen(7, first_name="B", language="fr")
    unblocked = await stores.customers.get(7)
    assert unblocked is not None
    assert not unblocked.blocked


async def test_transactional_messages_go_before_broadcasts(stores: Stores) -> None:
    for user in (1, 2, 3):
        await stores.customers.seen(user, first_name="U", language="fr")
    await stores.broadcasts.create(created_by=ADMIN, kind="text", payload='{"text": "promo"}')
    await stores.outbox.enqueue(message(2, "receipt"))
    claimed = await stores.outbox.claim_due(limit=2)
    assert next(m.dedup_key for m in claimed) == "receipt"
    assert await stores.outbox.for_chat(3) != ()


async def test_broadcast_skips_blocked_customers_and_reports_progress(stores: Stores) -> None:
    for user in range(1, 6):
        await stores.customers.seen(user, first_name="U", language="fr")
    await stores.customers.set_blocked(5, True)
    broadcast = await stores.broadcasts.create(
        created_by=ADMIN, kind="text", payload=json.dumps({"text": "Nouveautés"})
    )
    assert broadcast.recipients == 4
    assert await stores.broadcasts.set_status_message(broadcast.id, ADMIN, 42)
    claimed = await stores.outbox.claim_due(limit=10)
    await stores.outbox.mark_sent(claimed[0].id)
    await stores.outbox.mark_failed(claimed[1].id, error="Bad Request", retry_at=None)
    await stores.outbox.mark_chat_blocked(claimed[2].chat_id)
    progress = await stores.broadcasts.progress(broadcast.id)
    assert progress is not None
    assert (progress.sent, progress.failed, progress.skipped, progress.remaining) == (1, 1, 1, 1)
    assert not await stores.broadcasts.finish(broadcast.id)
    await stores.outbox.mark_sent(claimed[3].id)
    assert await stores.broadcasts.finish(broadcast.id)
    done = await stores.broadcasts.get(broadcast.id)
    assert done is not None
    assert done.state is BroadcastState.FINISHED
    assert done.status_message_id == 42


async def test_cancelled_broadcast_sends_nothing_more(stores: Stores) -> None:
    for user in range(1, 4):
        await stores.customers.seen(user, first_name="U", language="fr")
    broadcast = await stores.broadcasts.create(created_by=ADMIN, kind="text", payload="{}")
    assert [b.id for b in await stores.broadcasts.sending()] == [broadcast.id]
    assert await stores.broadcasts.cancel(broadcast.id, actor=ADMIN_ACTOR) == 3
    assert await stores.broadcasts.cancel(broadcast.id, actor=ADMIN_ACTOR) == 0
    assert await stores.outbox.claim_due() == ()
    progress = await stores.broadcasts.progress(broadcast.id)
    assert progress is not None
    assert progress.cancelled == 3
    assert progress.state is BroadcastState.CANCELLED


async def test_settled_messages_are_pruned(stores: Stores, clock: ManualClock) -> None:
    await stores.outbox.enqueue_many([message(1, "a"), message(1, "b")])
    first, _ = await stores.outbox.claim_due()
    await stores.outbox.mark_sent(first.id)
    clock.advance(days=31)
    assert await stores.outbox.prune(clock.now - timedelta(days=30)) == 1
    assert await stores.outbox.backlog() == 1
