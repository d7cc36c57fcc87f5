"""Paying with Moov Money: approval on the phone, declined, never confirmed, amount limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import Runtime, Tuning
from bot.cashier import LIFETIME
from bot.emulator import TelegramEmulator
from bot.i18n import money
from bot.messages import checkout as words
from bot.messages import payment
from storage import audit
from storage.models import OrderState, PayinMethod, PayinState, Product
from tests.bot.checkout_support import (
    MOOV_DECLINES,
    MOOV_NEVER_CONFIRMS,
    MOOV_NUMBER,
    ORANGE_NUMBER,
    Clock,
    Customer,
    by_name,
    new_customer,
    paid_once,
    reference_of,
    text,
)
from tests.bot.conftest import FAST_SANDBOX

MOOV_LIFETIME = timedelta(minutes=1)


@pytest.fixture
def clock() -> Clock:
    """The bot's clock, moved forward to let a payin grow old."""
    return Clock()


@pytest.fixture
def tuning(clock: Clock) -> Tuning:
    """Fast sandbox, fast reconciliation, a one-minute Moov lifetime and a movable clock."""
    lifetimes = {**LIFETIME, PayinMethod.MOOV_APPROVAL: MOOV_LIFETIME}
    # A second of "approval on the phone": the status message is always watched by then, so
    # the tests can insist that it is edited in place.
    sandbox = replace(FAST_SANDBOX, approval_delay=1.0)
    return Tuning(sandbox=sandbox, reconcile_tick=0.05, payin_lifetimes=lifetimes, clock=clock)


async def _moov(customer: Customer, number: str) -> None:
    """Checkout, Moov, the number: the request is sent to the phone."""
    await customer.choose(await customer.checkout(), words.MOOV)
    await customer.say(number, expect=text("fr", "phone_ok", operator="Moov Money", phone=""))


async def test_moov_approval_on_the_phone_pays(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 2)])
    await _moov(customer, MOOV_NUMBER)
    assert emulator.reply_keyboard(customer.uid) is None

    status = await customer.status()
    assert "226 70 XX XX 56" in status.content
    assert money(3000, "fr") in status.content
    assert "*555*6#" in status.content

    await customer.wait_text(status.message_id, "Paiement reçu")
    await emulator.wait_for_message(customer.uid, contains="Reçu — commande")
    order = await paid_once(bot, customer)
    assert order.state is OrderState.PAID
    (payin,) = await customer.payins()
    assert payin.method is PayinMethod.MOOV_APPROVAL
    assert payin.phone == "22670123456"


async def test_moov_declined_on_the_phone_offers_to_try_again(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    await _moov(customer, MOOV_DECLINES)
    status = await customer.status()

    failed = await customer.wait_text(status.message_id, "n'a pas abouti")

    assert payment.RETRY + reference_of(failed) in failed.callback_data()
    order = await customer.order()
    assert order.state is OrderState.AWAITING_PAYMENT
    assert [payin.state for payin in await customer.payins()] == [PayinState.FAILED]


async def test_moov_never_confirmed_is_expired_by_reconciliation(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], clock: Clock
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    await _moov(customer, MOOV_NEVER_CONFIRMS)
    status = await customer.status()

    clock.advance(MOOV_LIFETIME + timedelta(seconds=5))

    expired = await customer.wait_text(status.message_id, "pas reçu de confirmation")
    assert payment.RETRY + reference_of(expired) in expired.callback_data()
    assert [payin.state for payin in await customer.payins()] == [PayinState.EXPIRED]
    assert (await customer.order()).state is OrderState.AWAITING_PAYMENT


async def test_an_amount_below_moovs_minimum_is_refused_before_asking_the_number(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    water = await bot.stores.products.add(name="Sachet d'eau", price=50, actor=audit.SYSTEM)
    customer = await new_customer(bot, emulator, [(water, 1)])
    summary = await customer.checkout()
    reference = reference_of(summary)

    refused = await customer.choose(summary, words.MOOV)

    assert money(100, "fr") in refused.content
    assert refused.callback_data() == [
        f"{words.METHOD}{words.LINK}:{reference}",
        f"{words.METHOD}{words.ORANGE}:{reference}",
        f"{words.CANCEL_ORDER}:{reference}",
    ]
    assert emulator.reply_keyboard(customer.uid) is None
    assert await customer.payins() == ()
    # Orange's minimum is 10 F: the same order can be paid that way.
    await customer.choose(refused, words.ORANGE)
    await customer.say(ORANGE_NUMBER, expect="*144*4*6*50#")


async def test_an_orange_number_is_refused_for_moov(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    summary = await customer.checkout()
    await customer.choose(summary, words.MOOV)

    refused = await customer.say(ORANGE_NUMBER, expect="Orange Money")

    reference = reference_of(summary)
    assert refused.callback_data() == [
        f"{words.METHOD}{words.LINK}:{reference}",
        f"{words.METHOD}{words.ORANGE}:{reference}",
    ]
    assert await customer.payins() == ()
    await customer.say(MOOV_NUMBER, expect=text("fr", "phone_ok", operator="Moov Money", phone=""))
