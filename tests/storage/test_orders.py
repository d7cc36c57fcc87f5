"""Order rules: made from the cart at today's prices, findable, listable page by page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import Stores
from storage.models import OrderFlag, OrderState, Outcome, Rejection
from storage.orders import (
    REFERENCE_ALPHABET,
    decode_cursor,
    new_reference,
    normalize_reference,
)
from tests.storage.shop import ADMIN_ACTOR, ManualClock, order, paid_order, pending_payin, product


async def test_order_copies_cart_lines_with_prices_of_the_moment(stores: Stores) -> None:
    tee = await product(stores, price=5000)
    cap = await product(stores, price=1500)
    the_order = await order(stores, items=[(tee, 2), (cap, 1)])
    await stores.products.update(tee.id, price=9000, actor=ADMIN_ACTOR)
    again = await stores.orders.get(the_order.id)
    assert again is not None
    assert [(line.product_id, line.unit_price, line.quantity) for line in again.lines] == [
        (tee.id, 5000, 2),
        (cap.id, 1500, 1),
    ]
    assert again.total == 11_500
    assert again.state is OrderState.AWAITING_PAYMENT
    assert (await stores.carts.get(1)).is_empty


async def test_empty_cart_makes_no_order(stores: Stores) -> None:
    await stores.customers.seen(1, first_name="A", language="fr")
    result = await stores.orders.create_from_cart(
        1, first_name="A", last_name="", email=None, actor="customer:1"
    )
    assert (result.order, result.reason) == (None, Rejection.EMPTY_CART)


async def test_hidden_or_short_products_make_no_order(stores: Stores) -> None:
    await stores.customers.seen(1, first_name="A", language="fr")
    scarce = await product(stores, stock=1)
    hidden = await product(stores, price=700)
    await stores.carts.add(1, scarce.id, 2)
    await stores.carts.add(1, hidden.id, 1)
    await stores.products.update(hidden.id, active=False, actor=ADMIN_ACTOR)
    result = await stores.orders.create_from_cart(
        1, first_name="A", last_name="", email=None, actor="customer:1"
    )
    assert result.reason is Rejection.UNAVAILABLE
    assert sorted(result.unavailable) == sorted([scarce.id, hidden.id])
    assert not (await stores.carts.get(1)).is_empty


def test_references_are_short_and_unambiguous() -> None:
    references = {new_reference() for _ in range(2000)}
    assert len(references) == 2000
    for reference in references:
        assert reference.startswith("LB-")
        assert len(reference) == 9
        assert set(reference[3:]) <= set(REFERENCE_ALPHABET)
    assert not set("01OILU") & set(REFERENCE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("LB-7K3F9Q", "LB-7K3F9Q"),
        ("lb-7k3f9q", "LB-7K3F9Q"),
        (" lb 7k3 f9q ", "LB-7K3F9Q"),
        ("7K3F9Q", "LB-7K3F9Q"),
        ("LB7K3F9Q", "LB-7K3F9Q"),
        ("LB-7K3F9", None),
        ("LB-7K3F0Q", None),
        ("", None),
    ],
)
def test_typed_references_are_normalized(typed: str, expected: str | None) -> None:
    assert normalize_reference(typed) == expected


async def test_order_is_found_by_reference(stores: Stores) -> None:
    the_order = await order(stores)
    found = await stores.orders.by_reference(the_order.reference.lower())
    assert found == the_order
    assert await stores.orders.by_reference("LB-2222222") is None


async def test_cancel_only_unpaid_orders(stores: Stores) -> None:
    unpaid = await order(stores)
    cancelled = await stores.orders.cancel(unpaid.id, actor="customer:1", why="no longer")
    again = await stores.orders.cancel(unpaid.id, actor="customer:1", why="no longer")
    assert (cancelled.outcome, again.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    paid = await paid_order(stores, customer_id=2)
    refused = await stores.orders.cancel(paid.id, actor=ADMIN_ACTOR, why="oops")
    assert (refused.outcome, refused.reason) == (Outcome.REJECTED, Rejection.ILLEGAL_STATE)


async def test_abandoned_orders_expire_unless_a_payin_is_open(
    stores: Stores, clock: ManualClock
) -> None:
    abandoned = await order(stores, customer_id=1)
    paying = await order(stores, customer_id=2)
    await pending_payin(stores, paying)
    clock.advance(hours=2)
    fresh = await order(stores, customer_id=3)
    expired = await stores.orders.expire_stale(clock.now - timedelta(hours=1))
    assert [o.id for o in expired] == [abandoned.id]
    assert expired[0].state is OrderState.EXPIRED
    still = await stores.orders.get(fresh.id)
    assert still is not None
    assert still.state is OrderState.AWAITING_PAYMENT


async def test_flags_are_cleared_by_a_person(stores: Stores) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    await stores.orders.expire(the_order.id)
    await stores.payins.complete(payin.transaction_id, amount=payin.amount)
    cleared = await stores.orders.clear_flag(
        the_order.id, OrderFlag.PAID_AFTER_CANCEL, actor=ADMIN_ACTOR, why="delivered anyway"
    )
    assert cleared.order is not None
    assert cleared.order.flags == frozenset()
    assert await stores.orders.flagged() == ()
    trail = await stores.audit.for_order(the_order.id)
    assert any("cleared paid_after_cancel" in entry.why for entry in trail)


async def test_orders_are_listed_newest_first_page_by_page(
    stores: Stores, clock: ManualClock
) -> None:
    made = []
    for customer in range(1, 8):
        made.append(await order(stores, customer_id=customer))
        clock.advance(minutes=1)
    seen: list[int] = []
    cursor = None
    while True:
        page = await stores.orders.page(cursor=cursor, limit=3)
        seen.extend(o.id for o in page.orders)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [o.id for o in reversed(made)]


async def test_orders_are_filtered_by_states_customer_and_dates(
    stores: Stores, clock: ManualClock
) -> None:
    start = clock.now
    unpaid = await order(stores, customer_id=1)
    clock.advance(hours=1)
    paid = await paid_order(stores, customer_id=2)
    clock.advance(hours=1)
    cancelled = await order(stores, customer_id=1)
    await stores.orders.cancel(cancelled.id, actor="customer:1", why="x")
    both = await stores.orders.page(states=[OrderState.PAID, OrderState.CANCELLED], limit=1)
    assert [o.id for o in both.orders] == [cancelled.id]
    assert both.next_cursor is not None
    rest = await stores.orders.page(
        states=[OrderState.PAID, OrderState.CANCELLED], cursor=both.next_cursor, limit=5
    )
    assert [o.id for o in rest.orders] == [paid.id]
    assert rest.next_cursor is None
    mine = await stores.orders.page(customer_id=1)
    assert [o.id for o in mine.orders] == [cancelled.id, unpaid.id]
    window = await stores.orders.page(
        created_from=start + timedelta(minutes=30), created_to=start + timedelta(minutes=90)
    )
    assert [o.id for o in window.orders] == [paid.id]


def test_cursors_are_checked() -> None:
    with pytest.raises(ValueError, match="cursor"):
        decode_cursor("1;drop table orders")


async def test_products_once_ordered_are_known(stores: Stores) -> None:
    the_order = await order(stores)
    assert await stores.orders.ever_ordered(the_order.lines[0].product_id)
    assert not await stores.orders.ever_ordered(999)
