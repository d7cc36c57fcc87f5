"""Checkout before payment: cart checks, names, e-mail, leaving, stale input, timeout."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr
from telegram.ext import Application

from bot.app import Runtime
from bot.cashier import Cashier, Links
from bot.checkout import Checkout
from bot.emulator import TelegramEmulator
from bot.identity import Visitors
from bot.messages import checkout as words
from bot.messages import payment
from bot.persistence import SqlitePersistence
from payments.client import LigdicashClient
from storage import audit
from storage.database import Database
from storage.models import OrderState, Product
from storage.stores import Stores
from tests.bot.checkout_support import (
    ORANGE_NUMBER,
    Customer,
    by_name,
    new_customer,
    reference_of,
    text,
)
from tests.bot.emulator_support import polling


async def test_an_empty_cart_cannot_be_checked_out(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [])
    answer = await customer.say("/checkout")
    assert answer.content == text("fr", "empty_cart")
    assert await customer.orders() == ()


async def test_unavailable_products_are_named_and_nothing_is_ordered(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    hat, statue, honey = (by_name(catalog, name) for name in ("Chapeau", "Statuette", "Miel"))
    customer = await new_customer(bot, emulator, [(hat, 7), (statue, 1), (honey, 1)])
    await bot.stores.products.update(honey.id, active=False, actor=audit.SYSTEM)

    answer = await customer.say("/checkout")

    assert "Chapeau de Saponé : il en reste 5 (vous en demandez 7)" in answer.content
    assert "Statuette en bronze : plus disponible" in answer.content
    assert "Miel du Sahel 500 g : plus disponible" in answer.content
    assert "shop:cart" in answer.callback_data()
    assert await customer.orders() == ()
    assert len((await bot.stores.carts.get(customer.uid)).lines) == 3


async def test_checkout_starts_from_the_carts_order_button(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    await customer.say("/cart")
    cart = await emulator.wait_for(customer.uid, lambda m: words.START in m.callback_data())
    ask = await customer.tap_then(cart, words.START)
    assert ask.content == text(
        "fr", "ask_name", total="1\u202f500\u00a0F\u202fCFA", name="Awa Ouédraogo"
    )


async def test_the_profile_name_can_be_changed_and_bad_names_are_explained(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    ask = await customer.say("/checkout", expect="Au nom de")
    typing = await customer.tap_then(ask, words.NAME_EDIT)
    assert typing.content == text("fr", "type_name")
    for typed, reason in [
        ("70123456", "digits"),
        ("https://spam.example", "link"),
        ("A", "too_short"),
        ("Awa " + "Kaboré" * 12, "too_long"),
        ("Awa 🦁", "characters"),
    ]:
        answer = await customer.say(typed)
        assert answer.content == text("fr", f"name_{reason}"), typed
    await customer.say("Mariam Kaboré-Zongo", expect="e-mail")
    await customer.tap_then(customer.last(), words.EMAIL_SKIP, expect=customer.summary_marker())
    order = await customer.order()
    assert (order.first_name, order.last_name) == ("Mariam", "Kaboré-Zongo")


async def test_typing_oui_confirms_the_profile_name(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    await customer.say("/checkout", expect="Au nom de")
    await customer.say("Oui !", expect="e-mail")
    await customer.say("passer", expect=customer.summary_marker())
    order = await customer.order()
    assert (order.first_name, order.last_name) == ("Awa", "Ouédraogo")
    assert order.email is None


async def test_a_profile_name_that_is_not_a_name_is_asked_for(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(
        bot, emulator, [(by_name(catalog, "Café"), 1)], first_name="🦁", last_name=None
    )
    answer = await customer.say("/checkout")
    assert answer.content == text("fr", "type_name")
    await customer.say("Oui", expect=text("fr", "type_name")[:20])
    await customer.say("Awa", expect="e-mail")


async def test_the_email_is_checked_remembered_and_offered_next_time(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    coffee = by_name(catalog, "Café")
    customer = await new_customer(bot, emulator, [(coffee, 1)])
    ask = await customer.say("/checkout", expect="Au nom de")
    await customer.tap_then(ask, words.NAME_YES, expect="e-mail")
    for typed in ("awa@", "awa at example dot bf", "@example.bf"):
        answer = await customer.say(typed)
        assert answer.content == text("fr", "bad_email"), typed
        assert answer.callback_data() == [words.EMAIL_SKIP]
    summary = await customer.say("Awa@Example.BF", expect=customer.summary_marker())
    assert "Reçu envoyé à : Awa@example.bf" in summary.content
    known = await bot.stores.customers.get(customer.uid)
    assert known is not None
    assert known.email == "Awa@example.bf"
    assert (await customer.order()).email == "Awa@example.bf"

    await bot.stores.carts.add(customer.uid, coffee.id)
    ask = await customer.say("/checkout", expect="Au nom de")
    offer = await customer.tap_then(ask, words.NAME_YES, expect="Awa@example.bf")
    assert offer.callback_data() == [words.EMAIL_KEEP, words.EMAIL_SKIP]
    summary = await customer.tap_then(offer, words.EMAIL_KEEP, expect=customer.summary_marker())
    assert "Awa@example.bf" in summary.content


async def test_unexpected_input_repeats_the_question_and_keeps_the_step(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    ask = await customer.say("/checkout", expect="Au nom de")
    contact = await customer.share_contact("+22607123456")
    assert contact.content == text("fr", "reprompt", prompt=text("fr", "reprompt_buttons"))
    await customer.tap_then(ask, words.NAME_YES, expect="e-mail")
    contact = await customer.share_contact("+22607123456")
    assert "Je n'attends pas cela ici" in contact.content
    assert contact.callback_data() == [words.EMAIL_SKIP]
    summary = await customer.tap_then(customer.last(), words.EMAIL_SKIP, expect="payer")
    reference = reference_of(summary)
    typed = await customer.say("orange")
    assert text("fr", "choose_method") in typed.content
    assert f"{words.METHOD}{words.ORANGE}:{reference}" in typed.callback_data()
    await customer.choose(typed, words.ORANGE)
    await customer.say(ORANGE_NUMBER, expect="*144*4*6*1500#")


async def test_cancel_before_the_order_keeps_the_cart(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 2)])
    ask = await customer.say("/checkout", expect="Au nom de")
    await customer.tap_then(ask, words.NAME_YES, expect="e-mail")
    left = await customer.say("/cancel")
    assert left.content == text("fr", "left_no_order")
    assert await customer.orders() == ()
    cart = await bot.stores.carts.get(customer.uid)
    assert [line.quantity for line in cart.lines] == [2]
    # The e-mail prompt no longer catches text: the shop answers it.
    await customer.say("awa@example.bf")
    assert await customer.orders() == ()


async def test_cancel_after_the_order_keeps_it_in_my_orders(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    await customer.choose(await customer.checkout(), words.ORANGE)
    assert emulator.reply_keyboard(customer.uid) is not None
    left = await customer.say("/cancel", expect="Mes commandes")
    order = await customer.order()
    assert order.state is OrderState.AWAITING_PAYMENT
    assert payment.RETRY + order.reference in left.callback_data()
    assert emulator.reply_keyboard(customer.uid) is None


async def test_cancelling_the_order_puts_its_items_back_in_the_cart(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    coffee, butter = by_name(catalog, "Café"), by_name(catalog, "Beurre")
    customer = await new_customer(bot, emulator, [(coffee, 2), (butter, 1)])
    summary = await customer.checkout()
    assert (await bot.stores.carts.get(customer.uid)).is_empty
    reference = reference_of(summary)

    answer = await customer.tap(summary, f"{words.CANCEL_ORDER}:{reference}")

    assert answer.text == words.TEXT("fr", "cancelled_toast")
    await customer.wait_text(summary.message_id, "Vos articles sont de retour")
    assert (await customer.order()).state is OrderState.CANCELLED
    cart = await bot.stores.carts.get(customer.uid)
    assert {(line.product.id, line.quantity) for line in cart.lines} == {
        (coffee.id, 2),
        (butter.id, 1),
    }


async def test_a_cancelled_order_cannot_be_paid_from_an_old_summary(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    summary = await customer.checkout()
    await customer.say("/cancel", expect="Mes commandes")
    order = await customer.order()
    await bot.stores.orders.cancel(order.id, actor=audit.SYSTEM, why="test")
    answer = await customer.choose(summary, words.LINK)
    assert answer.content == text(
        "fr", "not_payable", ref=order.reference, state=text("fr", "state_cancelled")
    )
    assert await customer.payins() == ()


async def test_stale_buttons_are_answered_and_change_nothing(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    first_ask = await customer.say("/checkout", expect="Au nom de")
    email = await customer.tap_then(first_ask, words.NAME_YES, expect="e-mail")
    # A button of a step already passed, while the checkout goes on.
    await customer.say("/checkout", expect="Au nom de")
    stale = await customer.tap(email, words.EMAIL_SKIP)
    assert stale.text == words.TEXT("fr", "stale_button")
    assert await customer.orders() == ()
    # After the checkout ended, its buttons only say so.
    await customer.say("/cancel")
    ended = await customer.tap(email, words.EMAIL_SKIP)
    assert ended.text == words.TEXT("fr", "ended_button")
    assert await customer.orders() == ()


async def test_an_idle_checkout_times_out_and_keeps_cart_or_order(
    emulator: TelegramEmulator, tmp_path: Path
) -> None:
    async with Database.open(tmp_path / "timeout.sqlite3") as db:
        stores = Stores.over(db)
        coffee = await stores.products.add(name="Café", price=1500, actor=audit.SYSTEM)
        async with LigdicashClient(
            base_url="http://127.0.0.1:9/pay/v01/",
            api_key=SecretStr("unused"),
            api_token=SecretStr("unused"),
            store_name="Boutique",
            store_website_url="https://example.bf",
        ) as client:
            cashier = Cashier(
                stores=stores,
                client=client,
                links=Links("http://127.0.0.1:9"),
                admin_ids=(),
                wake_outbox=lambda: None,
            )
            visitors = Visitors(stores.customers, "fr")
            checkout = Checkout(
                stores=stores, visitors=visitors, cashier=cashier, timeout=timedelta(seconds=0.3)
            )
            app = (
                Application.builder()
                .token(emulator.token)
                .base_url(emulator.base_url)
                .base_file_url(emulator.base_file_url)
                .persistence(SqlitePersistence(stores.kv))
                .build()
            )
            app.add_handlers(checkout.handlers())
            async with polling(app):
                early = await _customer_of(stores, emulator, coffee)
                await early.say("/checkout", expect="Au nom de")
                gone = await emulator.wait_for_message(early.uid, contains="⌛")
                assert gone.content == text("fr", "timed_out_no_order")

                late = await _customer_of(stores, emulator, coffee)
                ask = await late.say("/checkout", expect="Au nom de")
                email = await late.tap_then(ask, words.NAME_YES, expect="e-mail")
                await late.tap_then(email, words.EMAIL_SKIP, expect=late.summary_marker())
                gone = await emulator.wait_for_message(late.uid, contains="⌛")
                order = (await stores.orders.page(customer_id=late.uid)).orders[0]
                assert order.reference in gone.content
                assert payment.RETRY + order.reference in gone.callback_data()
        assert (await stores.carts.get(early.uid)).lines


async def _customer_of(stores: Stores, emulator: TelegramEmulator, product: Product) -> Customer:
    user = emulator.create_user("Awa", last_name="Ouédraogo")
    await stores.customers.seen(user.id, first_name="Awa", last_name="Ouédraogo", language="fr")
    await stores.carts.add(user.id, product.id)
    return Customer(stores, emulator, user.id)


async def test_checkout_again_while_paying_returns_to_the_orders_methods(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    summary = await customer.checkout()
    await customer.choose(summary, words.ORANGE)
    assert emulator.reply_keyboard(customer.uid) is not None

    again = await customer.say("/checkout", expect=customer.summary_marker())

    assert reference_of(again) == reference_of(summary)
    assert emulator.reply_keyboard(customer.uid) is None
    assert len(await customer.orders()) == 1
