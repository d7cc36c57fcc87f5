"""Many coroutines (and two processes' connections) on the same money: one outcome each."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage import Database, Stores
from storage.models import (
    OrderFlag,
    OrderState,
    Outcome,
    PayinChange,
    PayoutKind,
    PayoutState,
    Rejection,
)
from tests.storage.shop import (
    ADMIN,
    PHONE,
    ManualClock,
    message,
    order,
    paid_order,
    pending_payin,
    product,
)


async def test_many_coroutines_on_one_payin_pay_once(stores: Stores) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    tx = payin.transaction_id

    async def complete() -> PayinChange:
        return await stores.payins.complete(
            tx, amount=payin.amount, messages=[message(1, f"payin:{tx}:completed")]
        )

    async def fail() -> PayinChange:
        return await stores.payins.fail(tx, detail="notcompleted", messages=[message(1, "failed")])

    async def expire() -> PayinChange:
        return await stores.payins.expire(tx)

    results = await asyncio.gather(
        *(action() for _ in range(20) for action in (complete, fail, expire))
    )
    applied = [r for r in results if r.outcome is Outcome.APPLIED]
    assert len(applied) == 1
    final = await stores.payins.get(tx)
    after = await stores.orders.get(the_order.id)
    assert final is not None
    assert after is not None
    if final.state.value == "completed":
        assert after.paid_amount == the_order.total
        assert await stores.outbox.backlog() == 1
    else:
        assert after.paid_amount == 0


async def test_duplicate_callbacks_racing_enqueue_one_message(stores: Stores) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    key = f"payin:{payin.transaction_id}:completed"
    results = await asyncio.gather(
        *(
            stores.payins.complete(
                payin.transaction_id, amount=payin.amount, messages=[message(1, key)]
            )
            for _ in range(30)
        )
    )
    assert sorted(r.outcome for r in results).count(Outcome.APPLIED) == 1
    assert await stores.outbox.backlog() == 1
    paid = await stores.orders.get(the_order.id)
    assert paid is not None
    assert paid.paid_amount == the_order.total


async def test_stock_never_negative_under_concurrent_payments(stores: Stores) -> None:
    scarce = await product(stores, price=2000, stock=3)
    orders = [await order(stores, customer, items=[(scarce, 1)]) for customer in range(1, 11)]
    payins = [await pending_payin(stores, o) for o in orders]
    results = await asyncio.gather(
        *(stores.payins.complete(p.transaction_id, amount=p.amount) for p in payins)
    )
    assert all(r.outcome is Outcome.APPLIED for r in results)
    assert all(r.order is not None and r.order.state is OrderState.PAID for r in results)
    short = [r for r in results if OrderFlag.STOCK_SHORT in r.flags_raised]
    assert len(short) == 7
    left = await stores.products.get(scarce.id)
    assert left is not None
    assert left.stock == 0


async def test_two_admins_refunding_at_once_create_one_payout(stores: Stores) -> None:
    paid = await paid_order(stores, price=5000)
    requests = await asyncio.gather(
        *(
            stores.payouts.request(
                order_id=paid.id,
                amount=5000,
                phone=PHONE,
                kind=PayoutKind.MERCHANT,
                requested_by=admin,
                reason="refund",
            )
            for admin in (ADMIN, ADMIN + 1)
        )
    )
    assert sorted(r.outcome for r in requests) == [Outcome.APPLIED, Outcome.REJECTED]
    (intent,) = [r.payout for r in requests if r.outcome is Outcome.APPLIED]
    assert intent is not None
    claims = await asyncio.gather(
        *(stores.payouts.claim(intent.transaction_id, actor=f"admin:{a}") for a in range(5))
    )
    assert [c.outcome for c in claims].count(Outcome.APPLIED) == 1
    assert len(await stores.payouts.for_order(paid.id)) == 1


async def test_concurrent_refunds_never_exceed_paid_amount(stores: Stores) -> None:
    paid = await paid_order(stores, price=5000)
    results = await asyncio.gather(
        *(
            stores.payouts.request(
                order_id=paid.id,
                amount=1000,
                phone=PHONE,
                kind=PayoutKind.MERCHANT,
                requested_by=ADMIN,
                reason="partial",
                allow_concurrent=True,
            )
            for _ in range(20)
        )
    )
    assert [r.outcome for r in results].count(Outcome.APPLIED) == 5
    assert {r.reason for r in results if r.outcome is Outcome.REJECTED} == {Rejection.EXCEEDS_PAID}
    assert await stores.payouts.refundable(paid.id) == 0


async def test_two_processes_refunding_at_once_create_one_payout(
    tmp_path: Path, stores: Stores
) -> None:
    paid = await paid_order(stores, price=5000)
    async with Database.open(stores.db.path, clock=ManualClock()) as other_db:
        other = Stores.over(other_db)
        requests = await asyncio.gather(
            *(
                side.payouts.request(
                    order_id=paid.id,
                    amount=3000,
                    phone=PHONE,
                    kind=PayoutKind.MERCHANT,
                    requested_by=ADMIN,
                    reason="refund",
                )
                for side in (stores, other, stores, other)
            )
        )
    assert [r.outcome for r in requests].count(Outcome.APPLIED) == 1
    active = await stores.payouts.active()
    assert [p.state for p in active] == [PayoutState.INTENT]
