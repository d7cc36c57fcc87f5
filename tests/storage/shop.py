"""Building blocks for storage tests: a manual clock, a shop with products, orders to pay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from storage import Stores
from storage.models import NewMessage, Order, Payin, PayinMethod, Product

ADMIN = 900
ADMIN_ACTOR = f"admin:{ADMIN}"
PHONE = "22670123456"


class ManualClock:
    """A clock that starts at a fixed UTC instant and moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward (same keywords as timedelta) and return the new time."""
        self.now += timedelta(**delta)
        return self.now


def message(chat_id: int, key: str, text: str = "hello") -> NewMessage:
    """Return an outbox message with a JSON text payload."""
    return NewMessage(
        chat_id=chat_id, kind="text", payload=json.dumps({"text": text}), dedup_key=key
    )


async def product(stores: Stores, *, price: int = 5000, stock: int | None = None) -> Product:
    """Add a product to the catalog."""
    return await stores.products.add(
        name=f"Item {price}", price=price, stock=stock, actor=ADMIN_ACTOR
    )


async def order(
    stores: Stores, customer_id: int = 1, *, items: list[tuple[Product, int]] | None = None
) -> Order:
    """Create an awaiting-payment order for a customer (a 5000 XOF item by default)."""
    await stores.customers.seen(customer_id, first_name=f"C{customer_id}", language="fr")
    for item, quantity in items or [(await product(stores), 1)]:
        await stores.carts.add(customer_id, item.id, quantity)
    created = await stores.orders.create_from_cart(
        customer_id, first_name="Awa", last_name="Ouedraogo", email=None, actor="customer:1"
    )
    assert created.order is not None
    return created.order


async def pending_payin(
    stores: Stores, the_order: Order, method: PayinMethod = PayinMethod.LINK
) -> Payin:
    """Create a payin for an order and store Ligdicash's token, as the bot does."""
    phone = None if method is PayinMethod.LINK else PHONE
    created = await stores.payins.create(
        the_order.id, method=method, phone=phone, actor="customer:1"
    )
    assert created.payin is not None
    marked = await stores.payins.mark_pending(
        created.payin.transaction_id, token="eyJ.token.x", payment_url="https://pay.example/x"
    )
    assert marked.payin is not None
    return marked.payin


async def paid_order(stores: Stores, customer_id: int = 1, *, price: int = 5000) -> Order:
    """Return an order paid through a completed payin."""
    the_order = await order(stores, customer_id, items=[(await product(stores, price=price), 1)])
    payin = await pending_payin(stores, the_order)
    result = await stores.payins.complete(payin.transaction_id, amount=payin.amount)
    assert result.order is not None
    return result.order
