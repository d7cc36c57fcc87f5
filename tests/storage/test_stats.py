"""Stats and export: figures computed in SQL match what happened."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import Stores
from storage.models import OrderState, PayinMethod, PayoutKind
from tests.storage.shop import ADMIN, ADMIN_ACTOR, PHONE, ManualClock, order, pending_payin, product


async def _sell(
    stores: Stores, customer: int, price: int, method: PayinMethod, operator: str
) -> None:
    the_order = await order(stores, customer, items=[(await product(stores, price=price), 1)])
    payin = await pending_payin(stores, the_order, method)
    await stores.payins.complete(payin.transaction_id, amount=payin.amount, operator=operator)


async def test_period_stats_split_by_day_method_and_operator(
    stores: Stores, clock: ManualClock
) -> None:
    first_day = clock.now.date()
    await _sell(stores, 1, 5000, PayinMethod.LINK, "orange")
    await _sell(stores, 2, 3000, PayinMethod.ORANGE_OTP, "orange")
    clock.advance(days=1)
    await _sell(stores, 3, 10_000, PayinMethod.MOOV_APPROVAL, "moov")
    await order(stores, 4)
    paid = await stores.orders.page(states=[OrderState.PAID], limit=1)
    refund = await stores.payouts.request(
        order_id=paid.orders[0].id,
        amount=4000,
        phone=PHONE,
        kind=PayoutKind.MERCHANT,
        requested_by=ADMIN,
        reason="damaged",
    )
    assert refund.payout is not None
    tx = refund.payout.transaction_id
    await stores.payouts.claim(tx, actor=ADMIN_ACTOR)
    await stores.payouts.mark_pending(tx, token="t")
    await stores.payouts.complete(tx, amount=4000)
    stats = await stores.stats.period(first_day, first_day + timedelta(days=2))
    assert (stats.revenue, stats.payins_completed, stats.paid_orders) == (18_000, 3, 3)
    assert (stats.orders_created, stats.orders_created_paid) == (4, 3)
    assert stats.conversion_permille == 750
    assert stats.average_basket == 6000
    assert (stats.refunds_total, stats.refunds_count) == (4000, 1)
    assert [(d.day.day, d.revenue, d.payins) for d in stats.per_day] == [
        (1, 8000, 2),
        (2, 10_000, 1),
        (3, 0, 0),
    ]
    assert [(g.key, g.revenue) for g in stats.per_method] == [
        ("moov_approval", 10_000),
        ("link", 5000),
        ("orange_otp", 3000),
    ]
    assert [(g.key, g.revenue, g.payins) for g in stats.per_operator] == [
        ("moov", 10_000, 1),
        ("orange", 8000, 2),
    ]
    nothing = await stores.stats.period(first_day - timedelta(days=10), first_day - timedelta(1))
    assert (nothing.revenue, nothing.average_basket, nothing.conversion_permille) == (0, 0, 0)


async def test_export_lists_every_order_and_payment_of_the_period(
    stores: Stores, clock: ManualClock
) -> None:
    start = clock.now
    for customer in range(1, 8):
        await _sell(stores, customer, 1000 * customer, PayinMethod.LINK, "orange")
        clock.advance(minutes=1)
    await order(stores, 9)
    end = clock.now + timedelta(seconds=1)
    rows = [row async for row in stores.stats.export_orders(start, end, batch_size=3)]
    assert len(rows) == 8
    assert [row.total for row in rows][:3] == [1000, 2000, 3000]
    assert rows[0].items.startswith("1 x Item 1000")
    assert rows[0].operator == "orange"
    assert rows[0].transaction_id
    assert rows[-1].method == ""
    assert rows[-1].state is OrderState.AWAITING_PAYMENT
    payments = [row async for row in stores.stats.export_payments(start, end, batch_size=2)]
    assert len(payments) == 7
    assert {row.direction for row in payments} == {"payin"}
    assert all(row.order_reference.startswith("LB-") for row in payments)


async def test_rollups_match_a_recount_from_the_base_tables(
    stores: Stores, clock: ManualClock
) -> None:
    await _sell(stores, 1, 5000, PayinMethod.LINK, "orange")
    clock.advance(days=1)
    late = await order(stores, 2)
    clock.advance(days=1)
    payin = await pending_payin(stores, late)
    await stores.payins.complete(payin.transaction_id, amount=payin.amount)
    days = (clock.now.date() - timedelta(days=3), clock.now.date())
    before = await stores.stats.period(*days)
    await stores.stats.rebuild_rollups()
    assert await stores.stats.period(*days) == before
    assert (before.orders_created, before.orders_created_paid, before.paid_orders) == (2, 2, 2)


async def test_period_must_run_forward(stores: Stores, clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="before"):
        await stores.stats.period(clock.now.date(), clock.now.date() - timedelta(days=1))
