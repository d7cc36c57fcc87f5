"""Paying with the hosted payment link: paid, cancelled, callbacks lost, forged, doubled."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp
import pytest

from bot.app import Runtime, Tuning
from bot.emulator import TelegramEmulator
from bot.emulator.records import ChatMessage
from bot.i18n import money
from bot.messages import checkout as words
from bot.messages import payment
from storage.models import OrderState, Payin, PayinState, Product
from tests.bot.checkout_support import (
    Clock,
    Customer,
    by_name,
    eventually,
    new_customer,
    paid_once,
    pay_text,
    reference_of,
    transaction_of,
)
from tests.bot.conftest import ADMIN_ID, FAST_SANDBOX


@pytest.fixture
def clock() -> Clock:
    """The bot's clock, moved forward by the reconciliation tests."""
    return Clock()


@pytest.fixture
def tuning(clock: Clock) -> Tuning:
    """Fast sandbox, a reconciliation tick of 50 ms and a clock the tests can move."""
    return Tuning(sandbox=FAST_SANDBOX, reconcile_tick=0.05, clock=clock)


async def _link(
    bot: Runtime, emulator: TelegramEmulator, product: Product, quantity: int = 1
) -> tuple[Customer, ChatMessage, ChatMessage, Payin]:
    """A customer with `quantity` of a product, at the link's status message."""
    customer = await new_customer(bot, emulator, [(product, quantity)])
    summary = await customer.checkout()
    await customer.choose(summary, words.LINK)
    status = await customer.status()
    payin = await bot.stores.payins.get(transaction_of(status))
    assert payin is not None
    assert payin.token is not None
    assert payin.payment_url
    return customer, summary, status, payin


async def test_link_paid_sends_one_paid_status_one_receipt_and_takes_stock_once(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    assert bot.sandbox is not None
    emulator.create_user("Admin", user_id=ADMIN_ID)
    honey = by_name(catalog, "Miel")
    customer, summary, status, payin = await _link(bot, emulator, honey, 2)
    assert money(7000, "fr") in summary.content
    button = status.inline_keyboard[0][0]
    assert button["text"] == payment.TEXT("fr", "btn_pay", total=money(7000, "fr"))
    assert button["url"] == payin.payment_url
    assert set(status.callback_data()) == {
        payment.CHECK + payin.transaction_id,
        payment.CANCEL + reference_of(summary),
    }

    await bot.sandbox.pay(payin.token or "", "orange")

    await customer.wait_text(status.message_id, "Paiement reçu")
    await emulator.wait_for_message(customer.uid, contains="Reçu — commande")
    await emulator.wait_for_message(ADMIN_ID, contains=reference_of(summary))
    await paid_once(bot, customer)
    assert customer.count("Paiement reçu") == 1
    assert customer.count("Reçu — commande") == 1
    assert len(emulator.messages(ADMIN_ID)) == 1
    stocked = await bot.stores.products.get(honey.id)
    assert stocked is not None
    assert stocked.stock == (honey.stock or 0) - 2


async def test_link_paid_on_the_payment_page_like_a_browser(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer, _, status, payin = await _link(bot, emulator, by_name(catalog, "Café"), 3)
    async with aiohttp.ClientSession() as browser:
        async with browser.get(payin.payment_url or "") as page:
            assert page.status == 200
            html = await page.text()
        assert "Payer" in html
        assert "4\u202f500" in html
        form = {"operator": "moov", "action": "pay"}
        async with browser.post(payin.payment_url or "", data=form, allow_redirects=False) as done:
            assert done.status == 303
            assert done.headers["Location"] == bot.links.return_url(reference_of(status))

    await customer.wait_text(status.message_id, "Paiement reçu")
    order = await paid_once(bot, customer)
    completed = await bot.stores.payins.get(payin.transaction_id)
    assert completed is not None
    assert completed.operator == "MOOV AFRICA BURKINA"
    assert order.state is OrderState.PAID


async def test_link_cancelled_on_the_page_offers_to_try_again_and_keeps_the_order(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer, _, status, payin = await _link(bot, emulator, by_name(catalog, "Café"))
    async with aiohttp.ClientSession() as browser:
        form = {"action": "cancel"}
        async with browser.post(payin.payment_url or "", data=form, allow_redirects=False) as done:
            assert done.status == 303

    failed = await customer.wait_text(status.message_id, "n'a pas abouti")
    reference = reference_of(failed)
    assert payment.RETRY + reference in failed.callback_data()
    order = await customer.order()
    assert order.state is OrderState.AWAITING_PAYMENT
    assert order.paid_amount == 0

    # Trying again with the same order: straight to the method choice, then a new link.
    methods = await customer.tap_then(failed, payment.RETRY + reference, expect=reference)
    assert f"{words.METHOD}{words.LINK}:{reference}" in methods.callback_data()
    await customer.choose(methods, words.LINK)
    again = await customer.status(after=methods.message_id)
    assert transaction_of(again) != payin.transaction_id


async def test_lost_callbacks_are_made_up_by_reconciliation(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], clock: Clock
) -> None:
    assert bot.sandbox is not None
    bot.sandbox.faults.drop_callbacks = True
    customer, _, status, payin = await _link(bot, emulator, by_name(catalog, "Soumbala"))
    await bot.sandbox.pay(payin.token or "", "orange")
    await bot.sandbox.drain()
    assert (await customer.order()).paid_amount == 0

    clock.advance(timedelta(seconds=10))  # the payin's next check is due

    await customer.wait_text(status.message_id, "Paiement reçu")
    await paid_once(bot, customer)
    assert await bot.stores.callbacks.for_transaction(payin.transaction_id) == ()


async def test_a_forged_callback_pays_nothing(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer, _, status, payin = await _link(bot, emulator, by_name(catalog, "Beurre"))
    forged = {
        "transaction_id": payin.transaction_id,
        "status": "completed",
        "response_code": "00",
        "montant": str(payin.amount),
        "token": "",
        "custom_data": [],
    }
    async with (
        aiohttp.ClientSession() as attacker,
        attacker.post(
            f"{bot.url}/ligdicash/callback",
            data=json.dumps(forged),
            headers={"Content-Type": "application/json"},
        ) as answer,
    ):
        assert answer.status == 200

    async def confirmed() -> bool:
        logged = await bot.stores.callbacks.for_transaction(payin.transaction_id)
        return any(record.outcome == "state_pending" for record in logged)

    await eventually(confirmed, what="the forged callback was confirmed with Ligdicash")
    order = await customer.order()
    assert order.state is OrderState.AWAITING_PAYMENT
    assert order.paid_amount == 0
    after = await bot.stores.payins.get(payin.transaction_id)
    assert after is not None
    assert after.state is PayinState.PENDING
    assert emulator.message(customer.uid, status.message_id).content == status.content
    assert customer.count("Paiement reçu") == 0


async def test_duplicate_and_out_of_order_callbacks_pay_once(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    assert bot.sandbox is not None
    faults = bot.sandbox.faults
    faults.duplicate_callbacks = True
    faults.form_first = True
    faults.stale_pending_after = True
    emulator.create_user("Admin", user_id=ADMIN_ID)
    customer, summary, status, payin = await _link(bot, emulator, by_name(catalog, "Miel"))

    await bot.sandbox.pay(payin.token or "", "moov")

    await customer.wait_text(status.message_id, "Paiement reçu")
    await paid_once(bot, customer)

    async def all_logged() -> bool:
        return len(await bot.stores.callbacks.for_transaction(payin.transaction_id)) == 5

    await eventually(all_logged, what="2 pairs and the stale pending callback logged")
    await paid_once(bot, customer)
    assert customer.count("Paiement reçu") == 1
    assert customer.count("Reçu — commande") == 1
    assert len(emulator.messages(ADMIN_ID)) == 1
    honey = await bot.stores.products.get(by_name(catalog, "Miel").id)
    assert honey is not None
    assert honey.stock == 39
    assert reference_of(summary) in emulator.messages(ADMIN_ID)[0].content


async def test_check_now_is_throttled_then_shows_the_outcome(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], clock: Clock
) -> None:
    assert bot.sandbox is not None
    bot.sandbox.faults.drop_callbacks = True
    customer, _, status, payin = await _link(bot, emulator, by_name(catalog, "Café"))
    check = payment.CHECK + payin.transaction_id

    first = await customer.tap(status, check)
    assert first.text == payment.TEXT("fr", "still_pending")
    second = await customer.tap(status, check)
    assert second.text == payment.TEXT("fr", "check_too_soon")

    await bot.sandbox.pay(payin.token or "", "orange")
    clock.advance(timedelta(seconds=3.5))
    await customer.tap(status, check)

    await customer.wait_text(status.message_id, "Paiement reçu")
    await paid_once(bot, customer)
    assert customer.count("Paiement reçu") == 1


async def test_cancel_button_cancels_the_unpaid_order_and_is_refused_once_paid(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    assert bot.sandbox is not None
    customer, summary, status, payin = await _link(bot, emulator, by_name(catalog, "Café"))
    reference = reference_of(summary)
    answer = await customer.tap(status, payment.CANCEL + reference)
    assert answer.text == words.TEXT("fr", "cancelled_toast")
    await customer.wait_text(status.message_id, pay_text("fr", "cancelled", ref=reference))
    assert (await customer.order()).state is OrderState.CANCELLED

    # Money that still arrives is recorded (flagged for the merchant), never dropped.
    await bot.sandbox.pay(payin.token or "", "orange")

    async def recorded() -> bool:
        return (await customer.order()).paid_amount == payin.amount

    await eventually(recorded, what="the late payment recorded")
    late = await customer.order()
    assert late.state is OrderState.PAID
    assert late.flags
    refused = await customer.tap(summary, f"{words.CANCEL_ORDER}:{reference}")
    assert refused.text == words.TEXT("fr", "already_paid")


async def test_choosing_the_link_again_shows_the_same_link(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer, summary, status, payin = await _link(bot, emulator, by_name(catalog, "Café"))
    await customer.choose(summary, words.LINK)
    again = await customer.status(after=status.message_id)
    assert transaction_of(again) == payin.transaction_id
    assert len(await customer.payins()) == 1


async def test_an_english_customer_pays_by_link_in_english(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    assert bot.sandbox is not None
    customer = await new_customer(
        bot,
        emulator,
        [(by_name(catalog, "Café"), 1)],
        first_name="John",
        last_name="Doe",
        lang="en",
    )
    summary = await customer.checkout()
    assert "Total: " + money(1500, "en") in summary.content
    await customer.choose(summary, words.LINK)
    status = await customer.status()
    assert status.inline_keyboard[0][0]["text"] == payment.TEXT(
        "en", "btn_pay", total=money(1500, "en")
    )
    payin = await bot.stores.payins.get(transaction_of(status))
    assert payin is not None
    await bot.sandbox.pay(payin.token or "", "orange")
    await customer.wait_text(status.message_id, "Payment received")
    await emulator.wait_for_message(customer.uid, contains="Receipt — order")
