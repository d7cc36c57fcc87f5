"""Rules for abandoned checkouts: the running bot expires unpaid orders after CHECKOUT_TIMEOUT."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import Runtime, Tuning
from bot.emulator import TelegramEmulator
from storage.models import Order, OrderState, Product
from tests.bot.checkout_support import Clock, by_name, eventually, new_customer
from tests.bot.conftest import FAST_SANDBOX


@pytest.fixture
def clock() -> Clock:
    """The bot's clock, moved forward past the checkout timeout."""
    return Clock()


@pytest.fixture
def tuning(clock: Clock) -> Tuning:
    """Fast reconciliation on a clock the test moves."""
    return Tuning(sandbox=FAST_SANDBOX, reconcile_tick=0.05, clock=clock)


async def unpaid_order(
    bot: Runtime, emulator: TelegramEmulator, product: Product, name: str
) -> Order:
    """A customer's order awaiting payment, as the checkout leaves it before any payin."""
    customer = await new_customer(bot, emulator, [(product, 1)], first_name=name)
    created = await bot.stores.orders.create_from_cart(
        customer.uid, first_name=name, last_name="", email=None, actor="customer:1"
    )
    assert created.order is not None
    assert created.order.state is OrderState.AWAITING_PAYMENT
    return created.order


async def test_unpaid_orders_expire_after_the_checkout_timeout_and_not_before(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], clock: Clock
) -> None:
    timeout = timedelta(minutes=bot.settings.checkout_timeout_minutes)
    honey = by_name(catalog, "Miel")
    old = await unpaid_order(bot, emulator, honey, "Awa")
    clock.advance(timeout - timedelta(minutes=20))
    young = await unpaid_order(bot, emulator, honey, "Ali")
    clock.advance(timedelta(minutes=21))

    async def old_expired() -> bool:
        order = await bot.stores.orders.get(old.id)
        return order is not None and order.state is OrderState.EXPIRED

    await eventually(old_expired, what="the abandoned order expired")
    still = await bot.stores.orders.get(young.id)
    assert still is not None
    assert still.state is OrderState.AWAITING_PAYMENT
