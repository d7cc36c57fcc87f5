"""Refund and payout rules: recorded before sending, sent once, never more than was paid."""

from __future__ import annotations

from datetime import timedelta

from storage import Stores
from storage.models import (
    Order,
    OrderState,
    Outcome,
    PayoutChange,
    PayoutKind,
    PayoutState,
    Rejection,
)
from tests.storage.shop import ADMIN, ADMIN_ACTOR, PHONE, ManualClock, message, order, paid_order


async def refund(
    stores: Stores, the_order: Order, amount: int, *, allow_concurrent: bool = False
) -> PayoutChange:
    """Ask for a refund of an order to the test phone."""
    return await stores.payouts.request(
        order_id=the_order.id,
        amount=amount,
        phone=PHONE,
        kind=PayoutKind.MERCHANT,
        requested_by=ADMIN,
        reason="customer asked",
        allow_concurrent=allow_concurrent,
    )


async def settle(stores: Stores, change: PayoutChange, *, complete: bool = True) -> PayoutChange:
    """Send a recorded refund through Ligdicash's happy path (or a failure)."""
    assert change.payout is not None
    tx = change.payout.transaction_id
    assert (await stores.payouts.claim(tx, actor=ADMIN_ACTOR)).outcome is Outcome.APPLIED
    await stores.payouts.mark_pending(tx, token="ptok")
    if complete:
        return await stores.payouts.complete(tx, amount=change.payout.amount)
    return await stores.payouts.fail(tx, detail="notcompleted")


async def test_refund_intent_is_recorded_before_sending(stores: Stores) -> None:
    paid = await paid_order(stores)
    intent = await refund(stores, paid, 2000)
    assert intent.outcome is Outcome.APPLIED
    assert intent.payout is not None
    assert intent.payout.state is PayoutState.INTENT
    assert intent.payout.is_refund
    assert intent.payout.requested_by == ADMIN
    assert [p.transaction_id for p in await stores.payouts.for_order(paid.id)] == [
        intent.payout.transaction_id
    ]


async def test_refunds_never_exceed_paid_amount(stores: Stores) -> None:
    paid = await paid_order(stores, price=5000)
    assert (await refund(stores, paid, 5001)).reason is Rejection.EXCEEDS_PAID
    await settle(stores, await refund(stores, paid, 3000))
    assert await stores.payouts.refundable(paid.id) == 2000
    too_much = await refund(stores, paid, 2001)
    assert (too_much.outcome, too_much.reason) == (Outcome.REJECTED, Rejection.EXCEEDS_PAID)
    rest = await settle(stores, await refund(stores, paid, 2000))
    assert rest.order is not None
    assert rest.order.state is OrderState.REFUNDED
    one_more = await refund(stores, paid, 1)
    assert one_more.reason is Rejection.EXCEEDS_PAID


async def test_partial_refund_then_the_rest(stores: Stores) -> None:
    paid = await paid_order(stores, price=5000)
    partial = await settle(stores, await refund(stores, paid, 1500))
    assert partial.order is not None
    assert partial.order.state is OrderState.PARTIALLY_REFUNDED
    assert partial.order.refunded_amount == 1500
    assert partial.order.held_amount == 3500


async def test_at_most_one_active_refund_per_order(stores: Stores) -> None:
    paid = await paid_order(stores, price=5000)
    first = await refund(stores, paid, 1000)
    second = await refund(stores, paid, 1000)
    assert second.outcome is Outcome.REJECTED
    assert second.reason is Rejection.ACTIVE_REFUND
    assert second.payout == first.payout
    allowed = await refund(stores, paid, 1000, allow_concurrent=True)
    assert allowed.outcome is Outcome.APPLIED


async def test_a_refund_that_may_have_left_still_counts_against_the_order(stores: Stores) -> None:
    paid = await paid_order(stores, price=5000)
    intent = await refund(stores, paid, 4000)
    assert intent.payout is not None
    await stores.payouts.claim(intent.payout.transaction_id, actor=ADMIN_ACTOR)
    await stores.payouts.mark_unknown(intent.payout.transaction_id, detail="timeout")
    refused = await refund(stores, paid, 2000, allow_concurrent=True)
    assert refused.reason is Rejection.EXCEEDS_PAID


async def test_failed_or_cancelled_refunds_free_the_amount(stores: Stores) -> None:
    paid = await paid_order(stores, price=5000)
    await settle(stores, await refund(stores, paid, 5000), complete=False)
    intent = await refund(stores, paid, 5000)
    assert intent.payout is not None
    await stores.payouts.cancel(intent.payout.transaction_id, actor=ADMIN_ACTOR, why="typo")
    assert await stores.payouts.refundable(paid.id) == 5000
    assert (await refund(stores, paid, 5000)).outcome is Outcome.APPLIED


async def test_unpaid_orders_cannot_be_refunded(stores: Stores) -> None:
    unpaid = await order(stores)
    assert (await refund(stores, unpaid, 100)).reason is Rejection.NOT_REFUNDABLE
    assert (await refund(stores, unpaid, 0)).reason is Rejection.INVALID_AMOUNT


async def test_two_admins_claiming_the_same_intent_send_once(stores: Stores) -> None:
    paid = await paid_order(stores)
    intent = await refund(stores, paid, 1000)
    assert intent.payout is not None
    tx = intent.payout.transaction_id
    first = await stores.payouts.claim(tx, actor="admin:1")
    second = await stores.payouts.claim(tx, actor="admin:2")
    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)


async def test_unknown_payout_is_never_due_unless_asked(stores: Stores, clock: ManualClock) -> None:
    paid = await paid_order(stores)
    intent = await refund(stores, paid, 1000)
    assert intent.payout is not None
    tx = intent.payout.transaction_id
    await stores.payouts.claim(tx, actor=ADMIN_ACTOR)
    await stores.payouts.mark_unknown(tx, detail="read timeout")
    assert await stores.payouts.due(clock.advance(days=30)) == ()
    decided = await stores.payouts.complete(tx, amount=None, actor=ADMIN_ACTOR)
    assert decided.outcome is Outcome.APPLIED


async def test_payout_left_sending_by_a_crash_becomes_due(
    stores: Stores, clock: ManualClock
) -> None:
    paid = await paid_order(stores)
    intent = await refund(stores, paid, 1000)
    assert intent.payout is not None
    await stores.payouts.claim(intent.payout.transaction_id, actor=ADMIN_ACTOR)
    assert await stores.payouts.due() == ()
    due = await stores.payouts.due(clock.now + timedelta(minutes=2))
    assert [p.state for p in due] == [PayoutState.SENDING]


async def test_payout_checks_are_counted_and_rescheduled(
    stores: Stores, clock: ManualClock
) -> None:
    paid = await paid_order(stores)
    intent = await refund(stores, paid, 1000)
    assert intent.payout is not None
    tx = intent.payout.transaction_id
    await stores.payouts.claim(tx, actor=ADMIN_ACTOR)
    await stores.payouts.mark_pending(tx, token="ptok", check_after=timedelta(seconds=30))
    clock.advance(seconds=30)
    assert len(await stores.payouts.due()) == 1
    assert await stores.payouts.record_check(tx, next_check_at=clock.now + timedelta(seconds=45))
    assert await stores.payouts.due() == ()
    checked = await stores.payouts.get(tx)
    assert checked is not None
    assert checked.attempts == 1


async def test_wrong_confirmed_amount_completes_nothing(stores: Stores) -> None:
    paid = await paid_order(stores)
    intent = await refund(stores, paid, 1000)
    assert intent.payout is not None
    tx = intent.payout.transaction_id
    await stores.payouts.claim(tx, actor=ADMIN_ACTOR)
    await stores.payouts.mark_pending(tx, token="ptok")
    result = await stores.payouts.complete(tx, amount=999)
    assert result.reason is Rejection.AMOUNT_MISMATCH
    assert result.payout is not None
    assert result.payout.state is PayoutState.UNKNOWN
    assert result.order is not None
    assert result.order.refunded_amount == 0


async def test_refund_messages_are_enqueued_with_each_step(stores: Stores) -> None:
    paid = await paid_order(stores)
    intent = await refund(stores, paid, 1000)
    assert intent.payout is not None
    tx = intent.payout.transaction_id
    await stores.payouts.claim(tx, actor=ADMIN_ACTOR)
    await stores.payouts.mark_pending(tx, token="t", messages=[message(1, f"payout:{tx}:sent")])
    await stores.payouts.complete(tx, amount=1000, messages=[message(1, f"payout:{tx}:done")])
    await stores.payouts.complete(tx, amount=1000, messages=[message(1, f"payout:{tx}:again")])
    assert await stores.outbox.backlog() == 2


async def test_manual_payout_needs_no_order(stores: Stores) -> None:
    manual = await stores.payouts.request(
        amount=25_000, phone=PHONE, kind=PayoutKind.CLIENT, requested_by=ADMIN, reason="supplier"
    )
    assert manual.outcome is Outcome.APPLIED
    assert manual.payout is not None
    assert not manual.payout.is_refund
    done = await settle(stores, manual)
    assert done.order is None
    assert done.payout is not None
    assert done.payout.state is PayoutState.COMPLETED
    counts = await stores.payouts.count_by_state()
    assert counts[PayoutState.COMPLETED] == 1
    assert sum(counts.values()) == 1
    assert [p.transaction_id for p in await stores.payouts.recent()] == [done.payout.transaction_id]


async def test_active_payouts_are_listed_for_the_admin(stores: Stores) -> None:
    paid = await paid_order(stores)
    intent = await refund(stores, paid, 1000)
    assert [p.transaction_id for p in await stores.payouts.active()] == [
        intent.payout.transaction_id if intent.payout else ""
    ]
