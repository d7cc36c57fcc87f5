"""Limits surfaced to the customer: operator maximums, Ligdicash's refusals, open payins."""

from __future__ import annotations

from bot.app import Runtime
from bot.emulator import TelegramEmulator
from bot.i18n import money
from bot.messages import checkout as words
from storage import audit
from storage.models import OrderState, PayinState, Product
from tests.bot.checkout_support import by_name, new_customer, reference_of

MAXIMUM = 2_000_000
# How Ligdicash's "amount out of range" refusal reads to customers (payments.errors).
AMOUNT_REFUSED = "Ce montant n'est pas accepté"


async def test_an_amount_over_every_maximum_is_refused_and_the_order_kept(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    tractor = await bot.stores.products.add(name="Motoculteur", price=2_500_000, actor=audit.SYSTEM)
    customer = await new_customer(bot, emulator, [(tractor, 1)])
    summary = await customer.checkout()
    reference = reference_of(summary)

    for method in (words.ORANGE, words.MOOV):
        refused = await customer.choose(summary, method)
        assert money(MAXIMUM, "fr") in refused.content
        assert f"{words.METHOD}{method}:{reference}" not in refused.callback_data()
    # Ligdicash itself refuses a link over its maximum: the customer is told, nothing is lost.
    await customer.choose(summary, words.LINK)
    refused = await emulator.wait_for_message(customer.uid, contains=AMOUNT_REFUSED)
    assert f"{words.METHOD}{words.ORANGE}:{reference}" in refused.callback_data()
    (payin,) = await customer.payins()
    assert payin.state is PayinState.FAILED
    assert (await customer.order()).state is OrderState.AWAITING_PAYMENT


async def test_a_fourth_open_payment_is_refused_politely(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    coffee = by_name(catalog, "Café")
    customer = await new_customer(bot, emulator, [])
    for _ in range(3):
        await bot.stores.carts.add(customer.uid, coffee.id)
        placeholder = await customer.choose(await customer.checkout(), words.LINK)
        await customer.status(after=placeholder.message_id - 1)
    await bot.stores.carts.add(customer.uid, coffee.id)
    summary = await customer.checkout()

    await customer.choose(summary, words.LINK)

    refused = await emulator.wait_for_message(
        customer.uid, contains="3 paiements en cours", after=summary.message_id
    )
    assert f"{words.METHOD}{words.LINK}:{reference_of(summary)}" in refused.callback_data()
    assert await customer.payins() == ()
    assert len(await bot.stores.payins.open_for_customer(customer.uid)) == 3
