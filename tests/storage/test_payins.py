"""Payin rules: money is recorded once, with the right amount, and never undone."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from storage import Stores
from storage.models import (
    NewMessage,
    OrderFlag,
    OrderState,
    Outcome,
    PayinChange,
    PayinMethod,
    PayinState,
    Rejection,
)
from tests.storage.shop import ManualClock, message, order, pending_payin, product


async def test_payin_is_recorded_as_creating_before_ligdicash_is_called(stores: Stores) -> None:
    the_order = await order(stores)
    created = await stores.payins.create(the_order.id, method=PayinMethod.LINK, actor="customer:1")
    assert created.outcome is Outcome.APPLIED
    assert created.payin is not None
    assert created.payin.state is PayinState.CREATING
    assert created.payin.token is None
    assert await stores.payins.get(created.payin.transaction_id) == created.payin


async def test_payin_amount_is_the_order_total(stores: Stores) -> None:
    item = await product(stores, price=2500)
    the_order = await order(stores, items=[(item, 3)])
    payin = await pending_payin(stores, the_order)
    assert the_order.total == 7500
    assert payin.amount == 7500


async def test_transaction_ids_are_random_uuids(stores: Stores) -> None:
    the_order = await order(stores)
    ids = [(await pending_payin(stores, the_order)).transaction_id for _ in range(5)]
    assert len(set(ids)) == 5
    assert all(uuid.UUID(hex=tx).version == 4 for tx in ids)


async def test_completion_pays_the_order_and_enqueues_its_messages(stores: Stores) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    result = await stores.payins.complete(
        payin.transaction_id,
        amount=payin.amount,
        operator="ORANGE BURKINA",
        request_id="P2777636082026",
        messages=[message(1, f"payin:{payin.transaction_id}:completed")],
    )
    assert result.outcome is Outcome.APPLIED
    assert result.payin is not None
    assert result.order is not None
    assert result.payin.state is PayinState.COMPLETED
    assert result.payin.request_id == "P2777636082026"
    assert result.order.state is OrderState.PAID
    assert result.order.paid_amount == the_order.total
    assert result.order.paid_at is not None
    assert await stores.outbox.backlog() == 1
    assert result.payin == await stores.payins.get(payin.transaction_id)
    assert result.order == await stores.orders.get(the_order.id)


async def test_duplicate_completion_enqueues_one_message(stores: Stores) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    key = f"payin:{payin.transaction_id}:completed"
    first = await stores.payins.complete(
        payin.transaction_id, amount=payin.amount, messages=[message(1, key)]
    )
    second = await stores.payins.complete(
        payin.transaction_id, amount=payin.amount, messages=[message(1, key, "again")]
    )
    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert await stores.outbox.backlog() == 1
    queued = await stores.outbox.by_dedup_key(key)
    assert queued is not None
    assert json.loads(queued.payload) == {"text": "hello"}


async def test_messages_are_built_from_the_applied_change(stores: Stores) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    seen: list[PayinChange] = []

    def receipt(change: PayinChange) -> list[NewMessage]:
        seen.append(change)
        assert change.order is not None
        return [message(1, f"receipt:{change.order.reference}", change.order.state)]

    await stores.payins.complete(payin.transaction_id, amount=payin.amount, messages=receipt)
    await stores.payins.complete(payin.transaction_id, amount=payin.amount, messages=receipt)
    assert len(seen) == 1
    queued = await stores.outbox.by_dedup_key(f"receipt:{the_order.reference}")
    assert queued is not None
    assert json.loads(queued.payload) == {"text": "paid"}


async def test_late_pending_never_undoes_completed(stores: Stores) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    await stores.payins.complete(payin.transaction_id, amount=payin.amount)
    late = await stores.payins.mark_pending(payin.transaction_id, token="other")
    assert late.outcome is Outcome.REJECTED
    assert late.payin is not None
    assert late.payin.state is PayinState.COMPLETED
    assert late.payin.token == "eyJ.token.x"


@pytest.mark.parametrize("late", ["fail", "expire", "mark_unknown"])
async def test_late_news_never_undoes_completed(stores: Stores, late: str) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    await stores.payins.complete(payin.transaction_id, amount=payin.amount)
    if late == "fail":
        result = await stores.payins.fail(payin.transaction_id, detail="notcompleted")
    elif late == "expire":
        result = await stores.payins.expire(payin.transaction_id)
    else:
        result = await stores.payins.mark_unknown(payin.transaction_id, detail="timeout")
    assert result.outcome is Outcome.REJECTED
    assert result.reason is Rejection.ILLEGAL_STATE
    assert result.payin is not None
    assert result.payin.state is PayinState.COMPLETED
    assert result.order is not None
    assert result.order.state is OrderState.PAID


async def test_late_completion_after_our_expiry_is_honoured(stores: Stores) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    await stores.payins.expire(payin.transaction_id)
    late = await stores.payins.complete(payin.transaction_id, amount=payin.amount)
    assert late.outcome is Outcome.APPLIED
    assert late.order is not None
    assert late.order.state is OrderState.PAID


async def test_failed_payin_is_final(stores: Stores) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    await stores.payins.fail(payin.transaction_id, detail="notcompleted")
    late = await stores.payins.complete(payin.transaction_id, amount=payin.amount)
    assert late.outcome is Outcome.REJECTED
    assert late.order is not None
    assert late.order.state is OrderState.AWAITING_PAYMENT


async def test_wrong_amount_pays_nothing_and_flags_the_order(stores: Stores) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    result = await stores.payins.complete(
        payin.transaction_id, amount=payin.amount - 1, messages=[message(1, "never")]
    )
    assert result.outcome is Outcome.REJECTED
    assert result.reason is Rejection.AMOUNT_MISMATCH
    assert result.payin is not None
    assert result.payin.state is PayinState.UNKNOWN
    assert result.payin.next_check_at is None
    assert result.order is not None
    assert result.order.state is OrderState.AWAITING_PAYMENT
    assert result.order.paid_amount == 0
    assert result.order.flags == {OrderFlag.AMOUNT_MISMATCH}
    assert await stores.outbox.backlog() == 0


async def test_payment_for_a_cancelled_order_is_kept_and_flagged(stores: Stores) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    await stores.orders.cancel(the_order.id, actor="customer:1", why="changed my mind")
    result = await stores.payins.complete(payin.transaction_id, amount=payin.amount)
    assert result.outcome is Outcome.APPLIED
    assert result.order is not None
    assert result.order.state is OrderState.PAID
    assert result.flags_raised == {OrderFlag.PAID_AFTER_CANCEL}
    assert [o.id for o in await stores.orders.flagged()] == [the_order.id]


async def test_second_payment_of_a_paid_order_is_kept_and_flagged(stores: Stores) -> None:
    the_order = await order(stores)
    first = await pending_payin(stores, the_order)
    second = await pending_payin(stores, the_order)
    await stores.payins.complete(first.transaction_id, amount=first.amount)
    result = await stores.payins.complete(second.transaction_id, amount=second.amount)
    assert result.outcome is Outcome.APPLIED
    assert result.order is not None
    assert result.order.paid_amount == 2 * the_order.total
    assert result.flags_raised == {OrderFlag.DOUBLE_PAYMENT}


async def test_stock_is_taken_once_when_the_order_is_paid(stores: Stores) -> None:
    item = await product(stores, stock=5)
    the_order = await order(stores, items=[(item, 2)])
    assert (await stores.products.get(item.id)) == item
    first = await pending_payin(stores, the_order)
    second = await pending_payin(stores, the_order)
    await stores.payins.complete(first.transaction_id, amount=first.amount)
    await stores.payins.complete(second.transaction_id, amount=second.amount)
    after = await stores.products.get(item.id)
    assert after is not None
    assert after.stock == 3


async def test_stock_shortfall_still_pays_and_flags(stores: Stores) -> None:
    item = await product(stores, stock=2)
    the_order = await order(stores, items=[(item, 2)])
    await stores.products.update(item.id, stock=1, actor="admin:900")
    payin = await pending_payin(stores, the_order)
    result = await stores.payins.complete(payin.transaction_id, amount=payin.amount)
    assert result.order is not None
    assert result.order.state is OrderState.PAID
    assert result.flags_raised == {OrderFlag.STOCK_SHORT}
    after = await stores.products.get(item.id)
    assert after is not None
    assert after.stock == 0


async def test_only_an_order_awaiting_payment_gets_a_payin(stores: Stores) -> None:
    the_order = await order(stores)
    await stores.orders.cancel(the_order.id, actor="customer:1", why="no")
    refused = await stores.payins.create(the_order.id, method=PayinMethod.LINK, actor="customer:1")
    assert refused.outcome is Outcome.REJECTED
    assert refused.reason is Rejection.ORDER_NOT_PAYABLE


async def test_direct_payins_need_a_phone_and_remember_it(stores: Stores) -> None:
    the_order = await order(stores)
    with pytest.raises(ValueError, match="phone"):
        await stores.payins.create(the_order.id, method=PayinMethod.ORANGE_OTP, actor="customer:1")
    await stores.payins.create(
        the_order.id, method=PayinMethod.MOOV_APPROVAL, phone="22660000000", actor="customer:1"
    )
    assert await stores.customers.phones(1) == ("22660000000",)


async def test_unknown_transaction_is_a_rejection_not_an_error(stores: Stores) -> None:
    for result in (
        await stores.payins.complete("nope", amount=1),
        await stores.payins.fail("nope", detail="x"),
        await stores.payins.expire("nope"),
        await stores.payins.mark_pending("nope", token="t"),
        await stores.payins.mark_unknown("nope", detail="x"),
    ):
        assert (result.outcome, result.reason) == (Outcome.REJECTED, Rejection.NOT_FOUND)


async def test_due_payins_follow_their_next_check_time(stores: Stores, clock: ManualClock) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    assert await stores.payins.due() == ()
    clock.advance(seconds=5)
    assert [p.transaction_id for p in await stores.payins.due()] == [payin.transaction_id]
    assert await stores.payins.record_check(
        payin.transaction_id, next_check_at=clock.now + timedelta(seconds=10)
    )
    checked = await stores.payins.get(payin.transaction_id)
    assert checked is not None
    assert checked.attempts == 1
    assert checked.last_checked_at == clock.now
    assert await stores.payins.due() == ()
    assert len(await stores.payins.due(clock.now + timedelta(seconds=10))) == 1
    assert await stores.payins.record_check(payin.transaction_id, next_check_at=None)
    assert await stores.payins.due(clock.advance(days=1)) == ()


async def test_final_payins_are_never_due(stores: Stores, clock: ManualClock) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    await stores.payins.complete(payin.transaction_id, amount=payin.amount)
    assert await stores.payins.due(clock.advance(days=1)) == ()
    assert not await stores.payins.record_check(payin.transaction_id, next_check_at=clock.now)


async def test_abuse_limits_can_be_counted(stores: Stores, clock: ManualClock) -> None:
    the_order = await order(stores)
    start = clock.now
    first = await pending_payin(stores, the_order)
    await pending_payin(stores, the_order)
    await stores.payins.fail(first.transaction_id, detail="notcompleted")
    assert len(await stores.payins.open_for_customer(1)) == 1
    assert await stores.payins.created_since(1, start) == 2
    assert await stores.payins.created_since(1, clock.advance(minutes=1)) == 0
    assert (await stores.payins.count_open())[PayinState.PENDING] == 1
