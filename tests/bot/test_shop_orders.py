"""My orders: the list, pages, an order's detail, and the payment buttons it offers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import Runtime
from bot.cashier import PayinStarted
from bot.emulator import TelegramEmulator
from bot.i18n import money
from bot.messages import payment
from bot.messages import shop as say
from bot.messages.shop import TEXT
from storage import audit
from storage.models import Order, Product
from tests.bot.shop_support import Shopper, named, shop_errors, text


@pytest.fixture(autouse=True)
def _every_update_is_handled(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    assert shop_errors(caplog) == []


async def place_order(bot: Runtime, shopper: Shopper, *items: tuple[Product, int]) -> Order:
    """Make an order awaiting payment for the shopper, as the checkout would."""
    await bot.stores.customers.seen(shopper.id, first_name="Awa", language="fr")
    for product, quantity in items:
        await bot.stores.carts.add(shopper.id, product.id, quantity)
    created = await bot.stores.orders.create_from_cart(
        shopper.id, first_name="Awa", last_name="", email=None, actor=audit.SYSTEM
    )
    assert created.order is not None
    return created.order


async def start_link(bot: Runtime, order: Order) -> PayinStarted:
    customer = await bot.stores.customers.get(order.customer_id)
    assert customer is not None
    started = await bot.cashier.start_link(order, customer)
    assert isinstance(started, PayinStarted)
    return started


async def test_no_orders_yet_points_to_the_catalog(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    awa = Shopper.create(emulator)
    reply = await awa.say("/orders", expect=text("fr", "orders_empty"))
    assert "🛍 Catalogue" in reply.button_texts()


async def test_orders_are_listed_newest_first_with_date_total_and_state(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa = Shopper.create(emulator)
    older = await place_order(bot, awa, (named(catalog, "Miel"), 2))
    newer = await place_order(bot, awa, (named(catalog, "Café"), 1))
    await bot.stores.orders.cancel(older.id, actor=audit.SYSTEM, why="test")
    menu = await awa.say("/start", expect="Bienvenue")
    listed, _ = await awa.tap(menu, text="📦 Mes commandes", expect="Mes commandes")
    assert listed.message_id == menu.message_id
    assert listed.content.index(newer.reference) < listed.content.index(older.reference)
    assert f"{money(7000, 'fr')} · Annulée" in listed.content
    assert f"{money(1500, 'fr')} · En attente de paiement" in listed.content
    assert listed.callback_data()[:2] == [say.ORDER + newer.reference, say.ORDER + older.reference]


async def test_many_orders_are_paged_with_older_and_newest_buttons(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa = Shopper.create(emulator)
    orders = [await place_order(bot, awa, (named(catalog, "Soumbala"), 1)) for _ in range(7)]
    first = await awa.say("/orders", expect="Mes commandes")
    shown = [data for data in first.callback_data() if data.startswith(say.ORDER)]
    assert shown == [say.ORDER + o.reference for o in reversed(orders[2:])]
    second, _ = await awa.tap(first, text="Plus anciennes ▶", expect=orders[1].reference)
    assert second.message_id == first.message_id
    assert orders[0].reference in second.content
    assert "Plus anciennes ▶" not in second.button_texts()
    again, _ = await awa.tap(second, text="◀ Plus récentes", expect=orders[6].reference)
    assert "Plus anciennes ▶" in again.button_texts()


async def test_an_unpaid_order_without_payin_offers_pay_and_cancel(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel = named(catalog, "Miel")
    awa = Shopper.create(emulator)
    order = await place_order(bot, awa, (miel, 2))
    listed = await awa.say("/orders", expect=order.reference)
    detail, _ = await awa.tap(listed, data=say.ORDER + order.reference, expect="Commande")
    assert f"2 × {miel.name} — {money(7000, 'fr')}" in detail.content
    assert "État : ⏳ En attente de paiement" in detail.content
    assert detail.button("💳 Payer")["callback_data"] == payment.RETRY + order.reference
    cancel = detail.button(payment.TEXT("fr", "btn_cancel"))
    assert cancel["callback_data"] == payment.CANCEL + order.reference
    assert not any(data.startswith(payment.CHECK) for data in detail.callback_data())


async def test_an_order_with_an_open_payin_offers_check_the_page_and_pay_again(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa = Shopper.create(emulator)
    order = await place_order(bot, awa, (named(catalog, "Pagne"), 1))
    started = await start_link(bot, order)
    listed = await awa.say("/orders", expect=order.reference)
    detail, _ = await awa.tap(listed, data=say.ORDER + order.reference, expect="Paiements")
    method = payment.method_name("fr", started.payin.method)
    assert f"{method}, {money(12000, 'fr')} : en attente" in detail.content
    check = detail.button(payment.TEXT("fr", "btn_check"))
    assert check["callback_data"] == payment.CHECK + started.payin.transaction_id
    assert detail.button("🌐 Ouvrir la page de paiement")["url"] == started.payin.payment_url
    assert detail.button("🔁 Payer à nouveau")["callback_data"] == payment.RETRY + order.reference


async def test_a_paid_order_shows_its_payment_and_no_payment_buttons(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa = Shopper.create(emulator)
    order = await place_order(bot, awa, (named(catalog, "Beurre"), 2))
    started = await start_link(bot, order)
    assert bot.sandbox is not None
    assert started.payin.token is not None
    await bot.sandbox.pay(started.payin.token)
    await emulator.wait_for_message(awa.id, contains=order.reference)  # the receipt
    listed = await awa.say("/orders", expect="Payée")
    detail, _ = await awa.tap(listed, data=say.ORDER + order.reference, expect="réussi")
    assert "État : ✅ Payée" in detail.content
    assert not any(data.startswith("pay:") for data in detail.callback_data())
    back, _ = await awa.tap(detail, text="◀ Mes commandes", expect=order.reference)
    assert back.message_id == detail.message_id


async def test_someone_elses_order_is_not_shown(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa, moussa = Shopper.create(emulator, "Awa"), Shopper.create(emulator, "Moussa")
    theirs = await place_order(bot, moussa, (named(catalog, "Miel"), 1))
    await place_order(bot, awa, (named(catalog, "Café"), 1))
    listed = await awa.say("/orders", expect="Mes commandes")
    assert theirs.reference not in listed.content
    # A forged press: the button of an order the customer does not own.
    sent = await bot.application.bot.send_message(
        awa.id, "x", reply_markup=say.orders("fr", [theirs], next_cursor=None, first=True).markup()
    )
    answer = await awa.tap_for_answer(
        emulator.message(awa.id, sent.message_id), data=say.ORDER + theirs.reference
    )
    assert answer.text == TEXT("fr", "order_not_found")
    assert answer.show_alert


async def test_order_detail_speaks_english_to_an_english_customer(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    john = Shopper.create(emulator, "John", language_code="en")
    await john.say("/start", expect="Welcome")
    await bot.stores.carts.add(john.id, named(catalog, "Miel").id, 1)
    created = await bot.stores.orders.create_from_cart(
        john.id, first_name="John", last_name="", email=None, actor=audit.SYSTEM
    )
    assert created.order is not None
    listed = await john.say("/orders", expect="My orders")
    detail, _ = await john.tap(
        listed, data=say.ORDER + created.order.reference, expect="Awaiting payment"
    )
    assert "💳 Pay" in detail.button_texts()
