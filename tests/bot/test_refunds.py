"""Refunds and manual payouts driven by admins through Telegram, paid out by the sandbox."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.app import Runtime
from bot.emulator import TelegramEmulator
from bot.i18n import money
from bot.messages import refunds as words
from bot.messages import shop as shop_words
from bot.outbox import new_message
from bot.reply import Button, Reply
from bot.settings import Settings
from storage.models import OrderState, PayoutKind, PayoutState, Product
from tests.bot.conftest import ADMIN_ID
from tests.bot.refunds_support import (
    Admin,
    fragment,
    paid_order,
    payout_in,
    settled_outbox,
    text,
    transaction_of,
    unpaid_order,
)

SECOND_ADMIN = 900_002
MOOV_PAYER = "70 12 34 56"  # 22670123456, Moov: paid the order, gets the refund
MOOV_DECLINES_PAYOUT = "70 12 34 99"
ORANGE_OTHER = "07 65 43 21"
TELECEL = "58 12 34 56"
HONEY_TWICE = 7000  # two "Miel du Sahel 500 g" at 3500


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    """Two admins, and wallet payouts sent with top_up_wallet=1."""
    return bot_settings.model_copy(
        update={"admin_ids": (ADMIN_ID, SECOND_ADMIN), "ligdicash_top_up_wallet": 1}
    )


@pytest.fixture
def admin(bot: Runtime, emulator: TelegramEmulator) -> Admin:
    """The first admin, in French."""
    emulator.create_user("Admin", user_id=ADMIN_ID)
    emulator.create_user("Second", user_id=SECOND_ADMIN, language_code="en")
    return Admin(bot, emulator, ADMIN_ID)


async def test_refund_to_the_number_that_paid_tells_customer_and_admins_and_refunds_the_order(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], admin: Admin
) -> None:
    assert bot.sandbox is not None
    customer, order = await paid_order(bot, emulator, catalog, moov_number=MOOV_PAYER)

    review = await admin.review(f"/refund {order.reference}")

    assert money(HONEY_TWICE, "fr") in review.content
    assert "226 70 XX XX 56" in review.content
    assert "22670123456" not in review.content
    assert text("fr", "operator_moov") in review.content
    assert text("fr", "way_merchant") in review.content
    tx = transaction_of(review)
    assert set(review.callback_data()) == {
        words.CONFIRM + tx,
        words.SWITCH_WAY + tx,
        words.OTHER_NUMBER + tx,
        words.CANCEL + tx,
    }
    assert bot.sandbox.request_count("merchant_payout") == 0  # nothing sent before Confirm

    shown = await admin.confirm(review)

    assert fragment("fr", "outcome_pending") in shown.content
    sent = await emulator.wait_for_message(customer.uid, contains="a été envoyé")
    assert "226 70 XX XX 56" in sent.content
    assert money(HONEY_TWICE, "fr") in sent.content
    arrived = await emulator.wait_for_message(customer.uid, contains="est arrivé")
    assert order.reference in arrived.content
    await admin.wait_text(fragment("fr", "outcome_completed"))
    # An admin who never talked to the bot is told in the shop's default language.
    await emulator.wait_for_message(SECOND_ADMIN, contains="Paiement sortant effectué")
    payout = await payout_in(bot, tx, PayoutState.COMPLETED)
    after = await bot.stores.orders.get(order.id)
    assert after is not None
    assert after.state is OrderState.REFUNDED
    assert after.refunded_amount == HONEY_TWICE
    assert payout.requested_by == ADMIN_ID
    assert payout.kind is PayoutKind.MERCHANT
    assert bot.sandbox.request_count("merchant_payout") == 1
    trail = await bot.stores.audit.for_entity("payout", tx)
    assert trail[0].actor == f"admin:{ADMIN_ID}"
    assert order.reference in trail[0].why
    assert [entry.to_state for entry in trail] == ["intent", "sending", "pending", "completed"]
    await settled_outbox(bot)
    assert customer.count("a été envoyé") == 1
    assert customer.count("est arrivé") == 1


async def test_partial_refund_then_the_rest_then_one_more_is_refused(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], admin: Admin
) -> None:
    assert bot.sandbox is not None
    _, order = await paid_order(bot, emulator, catalog, moov_number=MOOV_PAYER)

    first = await admin.review(f"/refund {order.reference} 2000 un pot abîmé")
    assert money(2000, "fr") in first.content
    assert "un pot abîmé" in first.content
    await admin.confirm(first)
    await payout_in(bot, transaction_of(first), PayoutState.COMPLETED)
    partly = await bot.stores.orders.get(order.id)
    assert partly is not None
    assert partly.state is OrderState.PARTIALLY_REFUNDED

    rest = await admin.review(f"/refund {order.reference}")
    assert money(5000, "fr") in rest.content
    await admin.confirm(rest)
    await payout_in(bot, transaction_of(rest), PayoutState.COMPLETED)

    for command in (f"/refund {order.reference}", f"/refund {order.reference} 500"):
        refused = await admin.say(command, expect=order.reference)
        assert "Il ne reste rien à rembourser" in refused.content
        assert not refused.callback_data()
    after = await bot.stores.orders.get(order.id)
    assert after is not None
    assert after.state is OrderState.REFUNDED
    assert after.refunded_amount == after.paid_amount == HONEY_TWICE
    assert bot.sandbox.request_count("merchant_payout") == 2


async def test_refund_of_a_link_payment_asks_for_the_number_and_offers_the_wallet_to_telecel(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], admin: Admin
) -> None:
    assert bot.sandbox is not None
    _, order = await paid_order(bot, emulator, catalog)

    await admin.say(f"/refund {order.reference}", expect="Le numéro qui a payé n'est pas connu")
    refused = await admin.say("12", expect=fragment("fr", "bad_number"))
    assert text("fr", "why_not_a_number") in refused.content
    last = admin.last_id()
    await emulator.inject_text(ADMIN_ID, TELECEL)
    telecel = await admin.wait_review(after=last)
    assert "226 58 XX XX 56" in telecel.content
    assert fragment("fr", "operator_not_supported") in telecel.content
    assert text("fr", "way_client") in telecel.content
    first = transaction_of(telecel)

    press = await emulator.press_button(ADMIN_ID, telecel.message_id, data=words.SWITCH_WAY + first)
    toast = await emulator.wait_for_callback_answer(str(press["callback_query"]["id"]))
    assert toast.text == text("fr", "mobile_money_impossible", operator="Telecel")
    await admin.press(telecel, words.OTHER_NUMBER + first)
    await admin.wait_text(fragment("fr", "ask_other_number"), after=telecel.message_id - 1)
    last = admin.last_id()
    await emulator.inject_text(ADMIN_ID, ORANGE_OTHER)
    orange = await admin.wait_review(after=last)
    assert "226 07 XX XX 21" in orange.content
    assert text("fr", "operator_orange") in orange.content
    assert text("fr", "way_merchant") in orange.content

    await admin.confirm(orange)
    payout = await payout_in(bot, transaction_of(orange), PayoutState.COMPLETED)
    assert payout.phone == "22607654321"
    cancelled = await payout_in(bot, first, PayoutState.CANCELLED)
    assert cancelled.phone == "22658123456"
    assert bot.sandbox.request_count("merchant_payout") == 1
    assert bot.sandbox.request_count("client_payout") == 0


async def test_wallet_refund_goes_to_withdrawal_create_with_the_configured_top_up_wallet(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], admin: Admin
) -> None:
    assert bot.sandbox is not None
    customer, order = await paid_order(bot, emulator, catalog, moov_number=MOOV_PAYER)
    review = await admin.review(f"/refund {order.reference}")

    await admin.press(review, words.SWITCH_WAY + transaction_of(review))
    # The review is edited in place into the wallet way, with a new intent behind Confirm.
    wallet = await emulator.wait_for(
        ADMIN_ID,
        lambda m: m.message_id == review.message_id and text("fr", "way_client") in m.content,
    )
    assert transaction_of(wallet) != transaction_of(review)
    await admin.confirm(wallet)

    payout = await payout_in(bot, transaction_of(wallet), PayoutState.COMPLETED)
    assert payout.kind is PayoutKind.CLIENT
    await emulator.wait_for_message(customer.uid, contains="votre portefeuille Ligdicash")
    assert bot.sandbox.request_count("client_payout") == 1
    assert bot.sandbox.request_count("merchant_payout") == 0
    [sent] = [t for t in bot.sandbox.transactions() if t.kind.value == "client_payout"]
    assert sent.top_up_wallet == 1
    assert sent.amount == HONEY_TWICE


async def test_two_admins_confirming_the_same_refund_at_once_send_one_payout(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], admin: Admin
) -> None:
    assert bot.sandbox is not None
    _, order = await paid_order(bot, emulator, catalog, moov_number=MOOV_PAYER)
    second = Admin(bot, emulator, SECOND_ADMIN, lang="en")
    first_review = await admin.review(f"/refund {order.reference}")
    second_review = await second.review(f"/refund {order.reference}")
    assert "already prepared (by admin 900001)" in second_review.content
    tx = transaction_of(first_review)
    assert transaction_of(second_review) == tx

    await asyncio.gather(
        admin.press(first_review, words.CONFIRM + tx),
        second.press(second_review, words.CONFIRM + tx),
    )

    await payout_in(bot, tx, PayoutState.COMPLETED)
    await settled_outbox(bot)
    shown = [
        emulator.message(ADMIN_ID, first_review.message_id).content,
        emulator.message(SECOND_ADMIN, second_review.message_id).content,
    ]
    handled = [fragment("fr", "already_handled"), fragment("en", "already_handled")]
    assert sum(any(h in content for h in handled) for content in shown) == 1, shown
    assert bot.sandbox.request_count("merchant_payout") == 1
    after = await bot.stores.orders.get(order.id)
    assert after is not None
    assert after.refunded_amount == HONEY_TWICE
    assert [p.state for p in await bot.stores.payouts.for_order(order.id)] == [
        PayoutState.COMPLETED
    ]


async def test_a_failed_payout_tells_everyone_and_the_refund_can_be_asked_again(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], admin: Admin
) -> None:
    assert bot.sandbox is not None
    customer, order = await paid_order(bot, emulator, catalog)
    await admin.say(f"/refund {order.reference}", expect="Le numéro qui a payé n'est pas connu")
    last = admin.last_id()
    await emulator.inject_text(ADMIN_ID, MOOV_DECLINES_PAYOUT)
    review = await admin.wait_review(after=last)

    await admin.confirm(review)

    payout = await payout_in(bot, transaction_of(review), PayoutState.FAILED)
    assert payout.detail == "Ligdicash: not completed"
    failed = await admin.wait_text(fragment("fr", "outcome_failed"))
    assert text("fr", "retry_refund").strip() in failed.content
    await emulator.wait_for_message(customer.uid, contains="n'a pas pu aboutir")
    after = await bot.stores.orders.get(order.id)
    assert after is not None
    assert after.state is OrderState.PAID
    assert after.refunded_amount == 0
    again = await admin.say(f"/refund {order.reference}", expect="Le numéro qui a payé")
    assert again.content
    assert bot.sandbox.request_count("merchant_payout") == 1


async def test_cancelling_at_review_sends_nothing_and_frees_the_order(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], admin: Admin
) -> None:
    assert bot.sandbox is not None
    _, order = await paid_order(bot, emulator, catalog, moov_number=MOOV_PAYER)
    review = await admin.review(f"/refund {order.reference} 3000")
    tx = transaction_of(review)

    await admin.press(review, words.CANCEL + tx)

    await emulator.wait_for(
        ADMIN_ID,
        lambda m: m.message_id == review.message_id and "rien n'a été envoyé" in m.content,
    )
    await payout_in(bot, tx, PayoutState.CANCELLED)
    again = await admin.review(f"/refund {order.reference}")
    assert money(HONEY_TWICE, "fr") in again.content
    assert bot.sandbox.request_count("merchant_payout") == 0
    trail = await bot.stores.audit.for_entity("payout", tx)
    assert trail[-1].actor == f"admin:{ADMIN_ID}"
    assert trail[-1].to_state == "cancelled"


async def test_bad_refund_requests_get_a_clear_message_and_record_nothing(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], admin: Admin
) -> None:
    _, order = await paid_order(bot, emulator, catalog, moov_number=MOOV_PAYER)
    ref, unpaid = order.reference, (await unpaid_order(bot, emulator, catalog)).reference
    table = [
        ("/refund", "usage_refund"),
        ("/refund LB-ZZZZZZ", "order_not_found"),
        (f"/refund {ref} 0", "bad_amount"),
        (f"/refund {ref} -5", "bad_amount"),
        (f"/refund {ref} abc", "bad_amount"),
        (f"/refund {ref} 100", "below_minimum"),
        (f"/refund {ref} 7001", "exceeds_paid"),
        (f"/refund {ref} 3000000", "exceeds_paid"),
        (f"/refund {unpaid}", "not_refundable"),
    ]
    for command, key in table:
        reply = await admin.say(command)
        assert fragment("fr", key) in reply.content, (command, reply.content)
        assert not reply.callback_data(), command
    assert await bot.stores.payouts.for_order(order.id) == ()


async def test_manual_payout_goes_through_the_same_review_and_safety(
    bot: Runtime, emulator: TelegramEmulator, admin: Admin
) -> None:
    assert bot.sandbox is not None
    for command, key in [
        ("/payout 70123456 5000", "usage_payout"),
        ("/payout 123 5000 prix", "not_a_phone"),
        ("/payout 70123456 abc prix", "bad_amount"),
        ("/payout 70123456 100 prix", "below_minimum"),
    ]:
        reply = await admin.say(command)
        assert fragment("fr", key) in reply.content, (command, reply.content)

    review = await admin.review("/payout 70123456 5000 prix du concours")

    assert "Paiement manuel" in review.content
    assert "prix du concours" in review.content
    assert "226 70 XX XX 56" in review.content
    shown = await admin.confirm(review)
    assert fragment("fr", "outcome_pending") in shown.content
    payout = await payout_in(bot, transaction_of(review), PayoutState.COMPLETED)
    assert payout.order_id is None
    assert payout.reason == "prix du concours"
    assert payout.amount == 5000
    await admin.wait_text("paiement manuel (prix du concours)")
    trail = await bot.stores.audit.for_entity("payout", payout.transaction_id)
    assert trail[0].actor == f"admin:{ADMIN_ID}"
    assert "prix du concours" in trail[0].why
    assert bot.sandbox.request_count("merchant_payout") == 1


async def test_non_admins_get_the_unknown_command_reply_and_a_log_line(
    bot: Runtime,
    emulator: TelegramEmulator,
    catalog: list[Product],
    admin: Admin,
    caplog: pytest.LogCaptureFixture,
) -> None:
    customer, order = await paid_order(bot, emulator, catalog, moov_number=MOOV_PAYER)
    expected = await customer.say("/nimportequoi")
    assert shop_words.TEXT("fr", "unknown_command") in expected.content

    with caplog.at_level(logging.WARNING, logger="bot.refunds"):
        for command in (f"/refund {order.reference}", "/payout 70123456 5000 cadeau"):
            reply = await customer.say(command)
            assert reply.content == expected.content
            assert reply.inline_keyboard == expected.inline_keyboard

    assert f"non-admin {customer.uid} tried /refund" in caplog.text
    assert f"non-admin {customer.uid} tried /payout" in caplog.text
    assert await bot.stores.payouts.for_order(order.id) == ()
    assert await bot.stores.payouts.recent() == ()


async def test_the_order_detail_refund_button_starts_a_full_refund(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], admin: Admin
) -> None:
    _, order = await paid_order(bot, emulator, catalog, moov_number=MOOV_PAYER)
    button = Button("Rembourser", data=words.START + order.reference)
    detail = Reply("Fiche de la commande (console)", ((button,),))
    await bot.stores.outbox.enqueue(new_message(ADMIN_ID, detail, dedup_key="test:detail"))
    bot.outbox.wake()
    shown = await admin.wait_text("Fiche de la commande")

    await admin.press(shown, words.START + order.reference)

    review = await admin.wait_review(after=shown.message_id)
    assert money(HONEY_TWICE, "fr") in review.content
    assert order.reference in review.content


async def test_a_refund_button_pressed_by_a_non_admin_does_nothing(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], admin: Admin
) -> None:
    assert bot.sandbox is not None
    customer, order = await paid_order(bot, emulator, catalog, moov_number=MOOV_PAYER)
    review = await admin.review(f"/refund {order.reference}")
    tx = transaction_of(review)
    # A copy of the review's buttons landing in a customer's chat (forged or forwarded).
    await bot.stores.outbox.enqueue(
        new_message(customer.uid, Reply("Copie", review_buttons(tx)), dedup_key="test:copy")
    )
    bot.outbox.wake()
    copy = await emulator.wait_for_message(customer.uid, contains="Copie")

    for data in (words.CONFIRM + tx, words.SWITCH_WAY + tx, words.CANCEL + tx):
        await customer.tap(copy, data)

    await settled_outbox(bot)
    assert (await payout_in(bot, tx, PayoutState.INTENT)).requested_by == ADMIN_ID
    assert bot.sandbox.request_count("merchant_payout") == 0
    assert bot.sandbox.request_count("client_payout") == 0


def review_buttons(tx: str) -> tuple[tuple[Button, ...], ...]:
    """The data of a review's buttons, on buttons of their own."""
    return tuple(
        (Button(data, data=data),)
        for data in (words.CONFIRM + tx, words.SWITCH_WAY + tx, words.CANCEL + tx)
    )
