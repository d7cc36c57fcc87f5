"""Browsing: categories, pages, product cards, the quantity selector, typed quantities, restock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import Runtime, Tuning, running
from bot.demo import seed_demo_catalog
from bot.emulator import ChatMessage, TelegramEmulator
from bot.i18n import money
from bot.messages import shop as say
from bot.messages.shop import TEXT
from bot.settings import Settings
from bot.shop import TYPING, restock_message
from storage import audit
from storage.models import Product
from tests.bot.emulator_support import tiny_png
from tests.bot.shop_support import Shopper, button_for, named, shop_errors, text


@pytest.fixture(autouse=True)
def _every_update_is_handled(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    assert shop_errors(caplog) == []


async def open_card(shopper: Shopper, product: Product) -> ChatMessage:
    """Open a product's card through its deep link."""
    return await shopper.say(f"/start p_{product.id}", expect=product.name)


def quantity_line(quantity: int, price: int) -> str:
    return text("fr", "quantity", quantity=quantity, total=money(quantity * price, "fr"))


async def test_categories_lead_to_their_products_in_the_same_message(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa = Shopper.create(emulator)
    shelves = await awa.say("/catalog", expect=text("fr", "categories"))
    assert shelves.button_texts() == [
        "Alimentation",
        "Artisanat",
        "📋 Tous les produits",
        "🏠 Menu",
    ]
    food, _ = await awa.tap(shelves, text="Alimentation", expect="Alimentation — page 1/1")
    assert food.message_id == shelves.message_id
    assert food.button_texts()[:4] == [f"{p.name} — {money(p.price, 'fr')}" for p in catalog[:4]]
    back, _ = await awa.tap(food, text="◀ Catégories", expect=text("fr", "categories"))
    assert back.message_id == shelves.message_id


async def test_a_long_list_is_paged_six_at_a_time_with_previous_and_next(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa = Shopper.create(emulator)
    shelves = await awa.say("/catalog", expect=text("fr", "categories"))
    first, _ = await awa.tap(shelves, text="📋 Tous les produits", expect="page 1/2")
    products = [b for b in first.callback_data() if b.startswith(say.PRODUCT)]
    assert len(products) == say.PAGE_SIZE
    assert "Suivant ▶" in first.button_texts()
    assert "◀ Précédent" not in first.button_texts()
    second, _ = await awa.tap(first, text="Suivant ▶", expect="page 2/2")
    assert second.message_id == first.message_id
    assert "Suivant ▶" not in second.button_texts()
    labels = first.button_texts() + second.button_texts()
    assert "❌ Statuette en bronze — épuisé" in labels
    assert len([data for data in second.callback_data() if data.startswith(say.PRODUCT)]) == 1
    again, _ = await awa.tap(second, text="◀ Précédent", expect="page 1/2")
    assert again.message_id == first.message_id


async def test_a_page_past_the_end_shows_the_last_page(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa = Shopper.create(emulator)
    shelves = await awa.say("/catalog", expect=text("fr", "categories"))
    first, _ = await awa.tap(shelves, text="📋 Tous les produits", expect="page 1/2")
    statuette = named(catalog, "Statuette")
    await bot.stores.products.update(statuette.id, active=False, actor=audit.SYSTEM)
    shown, _ = await awa.tap(first, text="Suivant ▶", expect="page 1/1")
    assert "Suivant ▶" not in shown.button_texts()


async def test_a_hidden_category_button_shows_the_categories_again(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa = Shopper.create(emulator)
    shelves = await awa.say("/catalog", expect=text("fr", "categories"))
    crafts = next(c for c in await bot.stores.products.categories() if c.name == "Artisanat")
    await bot.stores.products.update_category(crafts.id, active=False, actor=audit.SYSTEM)
    shown, answer = await awa.tap(shelves, text="Artisanat", expect=text("fr", "categories"))
    assert answer.text == TEXT("fr", "stale_button")
    assert "Artisanat" not in shown.button_texts()


async def test_product_card_shows_price_stock_and_a_quantity_selector(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel = named(catalog, "Miel")
    awa = Shopper.create(emulator)
    shelves = await awa.say("/catalog", expect=text("fr", "categories"))
    food, _ = await awa.tap(shelves, text="Alimentation", expect="page 1/1")
    card, _ = await awa.tap(food, data=button_for(food, f"{say.PRODUCT}{miel.id}:"), expect="Dori")
    assert card.message_id == food.message_id
    assert text("fr", "price", price=money(3500, "fr")) in card.content
    assert "En stock : 40" in card.content
    assert quantity_line(1, 3500) in card.content
    plus, _ = await awa.tap(card, text="➕", expect=quantity_line(2, 3500))
    plus, _ = await awa.tap(plus, text="➕", expect=quantity_line(3, 3500))
    minus, _ = await awa.tap(plus, text="➖", expect=quantity_line(2, 3500))
    assert f"🛒 Ajouter au panier ({money(7000, 'fr')})" in minus.button_texts()
    back, _ = await awa.tap(minus, text="◀ Retour", expect="Alimentation — page 1/1")
    assert back.message_id == card.message_id


async def test_the_selector_stops_at_one_and_at_the_stock(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    chapeau = named(catalog, "Chapeau")  # 5 in stock
    awa = Shopper.create(emulator)
    card = await open_card(awa, chapeau)
    assert "Plus que 5 en stock" in card.content
    answer = await awa.tap_for_answer(card, text="➖")
    assert answer.text == TEXT("fr", "quantity_min")
    for quantity in range(2, 6):
        card, _ = await awa.tap(card, text="➕", expect=quantity_line(quantity, 8000))
    answer = await awa.tap_for_answer(card, text="➕")
    assert answer.text == TEXT("fr", "quantity_max_stock", count=5)
    assert quantity_line(5, 8000) in awa.current(card).content


async def test_add_to_cart_confirms_and_offers_the_cart(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel = named(catalog, "Miel")
    awa = Shopper.create(emulator)
    card = await open_card(awa, miel)
    card, _ = await awa.tap(card, text="➕", expect=quantity_line(2, 3500))
    added, answer = await awa.tap(
        card, data=button_for(card, say.ADD), expect=TEXT("fr", "in_cart", count=2)
    )
    assert answer.text == TEXT("fr", "added", quantity=2, name=miel.name)
    assert not answer.show_alert
    cart = await bot.stores.carts.get(awa.id)
    assert [(line.product.id, line.quantity) for line in cart.lines] == [(miel.id, 2)]
    view, _ = await awa.tap(added, text="🛒 Voir le panier (2)", expect="Votre panier")
    assert view.message_id == card.message_id


async def test_adding_beyond_the_stock_is_refused_with_what_is_left(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    chapeau = named(catalog, "Chapeau")  # 5 in stock
    awa = Shopper.create(emulator)
    card = await open_card(awa, chapeau)
    await bot.stores.carts.add(awa.id, chapeau.id, 4)
    card, _ = await awa.tap(card, text="➕", expect=quantity_line(2, 8000))
    answer = await awa.tap_for_answer(card, data=button_for(card, say.ADD))
    assert answer.text == TEXT("fr", "beyond_stock", stock=5, in_cart=4)
    assert answer.show_alert
    cart = await bot.stores.carts.get(awa.id)
    assert cart.item_count == 4


async def test_an_add_button_with_more_than_the_stock_is_refused(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    chapeau = named(catalog, "Chapeau")
    awa = Shopper.create(emulator)
    card = await open_card(awa, chapeau)
    card, _ = await awa.tap(card, text="➕", expect=quantity_line(2, 8000))
    await bot.stores.products.update(chapeau.id, stock=1, actor=audit.SYSTEM)
    answer = await awa.tap_for_answer(card, data=button_for(card, say.ADD))
    assert answer.text == TEXT("fr", "quantity_max_stock", count=1)
    assert (await bot.stores.carts.get(awa.id)).is_empty


# Typed quantities


async def ask_quantity(shopper: Shopper, product: Product) -> ChatMessage:
    card = await open_card(shopper, product)
    prompt, _ = await shopper.tap(
        card, text="✏️ Taper une quantité", expect="Tapez un nombre entre 1 et"
    )
    return prompt


@pytest.mark.parametrize(
    ("product_name", "typed", "key", "maximum"),
    [
        ("Miel", "0", "quantity_too_small", 40),
        ("Miel", "-1", "quantity_too_small", 40),
        ("Miel", "abc", "quantity_not_number", 40),
        ("Miel", "1.5", "quantity_not_number", 40),
        ("Miel", "2 kg", "quantity_not_number", 40),
        ("Miel", "9999", "quantity_too_many_stock", 40),
        ("Miel", "41", "quantity_too_many_stock", 40),
        ("Beurre", "9999", "quantity_too_many", 99),
        ("Beurre", "100", "quantity_too_many", 99),
    ],
)
async def test_a_bad_typed_quantity_is_explained_and_the_prompt_stays(
    bot: Runtime,
    emulator: TelegramEmulator,
    catalog: list[Product],
    product_name: str,
    typed: str,
    key: str,
    maximum: int,
) -> None:
    product = named(catalog, product_name)
    awa = Shopper.create(emulator)
    await ask_quantity(awa, product)
    refusal = await awa.say(typed, expect=TEXT("fr", key, maximum=maximum))
    assert refusal.button_texts() == ["✖️ Annuler"]
    card = await awa.say("3", expect=quantity_line(3, product.price))
    assert card.message_id == refusal.message_id + 2


async def test_a_typed_quantity_is_explained_in_english_to_an_english_customer(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel = named(catalog, "Miel")
    john = Shopper.create(emulator, "John", language_code="en")
    card = await open_card(john, miel)
    await john.tap(card, text="✏️ Type a quantity", expect="Type a number from 1 to 40")
    await john.say("lots", expect=TEXT("en", "quantity_not_number", maximum=40))


async def test_a_good_typed_quantity_shows_the_card_ready_to_add(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel = named(catalog, "Miel")
    awa = Shopper.create(emulator)
    await ask_quantity(awa, miel)
    card = await awa.say(" 12 ", expect=quantity_line(12, 3500))
    await awa.tap(card, data=button_for(card, say.ADD), expect=TEXT("fr", "in_cart", count=12))
    assert (await bot.stores.carts.get(awa.id)).item_count == 12
    # The prompt is over: a number now is just text.
    await awa.say("4", expect=TEXT("fr", "unknown_text"))


async def test_cancel_closes_the_quantity_prompt(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa = Shopper.create(emulator)
    await ask_quantity(awa, named(catalog, "Miel"))
    await awa.say("/cancel", expect=TEXT("fr", "typing_cancelled"))
    await awa.say("4", expect=TEXT("fr", "unknown_text"))
    await awa.say("/cancel", expect=TEXT("fr", "nothing_to_cancel"))


async def test_any_other_shop_button_closes_the_quantity_prompt(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel = named(catalog, "Miel")
    awa = Shopper.create(emulator)
    prompt = await ask_quantity(awa, miel)
    await awa.tap(prompt, text="✖️ Annuler", expect=quantity_line(1, 3500))
    await awa.say("4", expect=TEXT("fr", "unknown_text"))


async def test_a_forgotten_quantity_prompt_no_longer_catches_text(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa = Shopper.create(emulator)
    await ask_quantity(awa, named(catalog, "Miel"))
    # An hour passes: the prompt's start time is what the lifetime is measured from.
    bot.application.user_data[awa.id][TYPING]["at"] -= 3600
    await awa.say("4", expect=TEXT("fr", "unknown_text"))
    await awa.say("5", expect=TEXT("fr", "unknown_text"))


async def test_the_quantity_prompt_survives_a_restart(
    bot_settings: Settings, tuning: Tuning, emulator: TelegramEmulator
) -> None:
    async with running(bot_settings, tuning) as first:
        catalog = await seed_demo_catalog(first.stores)
        awa = Shopper.create(emulator)
        await ask_quantity(awa, named(catalog, "Miel"))
    async with running(bot_settings, tuning):
        await awa.say("7", expect=quantity_line(7, 3500))


# Out of stock, restock, photos


async def test_an_out_of_stock_product_offers_a_restock_notice_instead_of_add(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    statuette = named(catalog, "Statuette")
    awa = Shopper.create(emulator)
    card = await open_card(awa, statuette)
    assert TEXT("fr", "stock_none") in card.content
    assert not any(data.startswith((say.ADD, say.TYPE_QUANTITY)) for data in card.callback_data())
    waiting, answer = await awa.tap(
        card, text="🔔 Me prévenir du retour", expect=TEXT("fr", "restock_waiting")
    )
    assert answer.text == TEXT("fr", "notify_saved")
    assert await bot.stores.products.restock_requested(statuette.id, awa.id)
    again = await awa.tap_for_answer(waiting, text="🔔 Me prévenir du retour")
    assert again.text == TEXT("fr", "notify_known")


async def test_a_customer_who_asked_is_told_when_the_product_is_back(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    statuette = named(catalog, "Statuette")
    awa = Shopper.create(emulator)
    card = await open_card(awa, statuette)
    await awa.tap(card, text="🔔 Me prévenir du retour", expect=TEXT("fr", "restock_waiting"))
    await bot.stores.products.restock(
        statuette.id, 3, actor=audit.SYSTEM, restock_message=restock_message
    )
    bot.outbox.wake()
    notice = await emulator.wait_for_message(
        awa.id, contains="est de retour en stock", after=card.message_id
    )
    back, _ = await awa.tap(notice, text="👀 Voir le produit", expect="Plus que 3 en stock")
    assert back.message_id == notice.message_id
    assert any(data.startswith(say.ADD) for data in back.callback_data())


async def test_a_product_with_a_photo_is_shown_as_a_photo_and_navigation_keeps_one_message(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel = named(catalog, "Miel")
    awa = Shopper.create(emulator)
    shelves = await awa.say("/catalog", expect=text("fr", "categories"))
    uploaded = await bot.application.bot.send_photo(awa.id, tiny_png(8, 8))
    await bot.application.bot.delete_message(awa.id, uploaded.message_id)
    photo_id = uploaded.photo[-1].file_id
    await bot.stores.products.update(miel.id, photo_file_id=photo_id, actor=audit.SYSTEM)
    food, _ = await awa.tap(shelves, text="Alimentation", expect="page 1/1")
    card, _ = await awa.tap(food, data=button_for(food, f"{say.PRODUCT}{miel.id}:"), expect="Dori")
    assert card.photo is not None
    assert card.photo.file_id == photo_id
    # The list is deleted once the photo card is there, so the customer never sees a gap.
    await emulator.wait_until(lambda: awa.current(food).deleted, what="the list deleted")
    more, _ = await awa.tap(card, text="➕", expect=quantity_line(2, 3500))
    assert more.message_id == card.message_id
    assert more.photo is not None
    back, _ = await awa.tap(more, text="◀ Retour", expect="Alimentation — page 1/1")
    assert back.photo is None
    await emulator.wait_until(lambda: awa.current(card).deleted, what="the card deleted")
    live = emulator.messages(awa.id, include_deleted=False)
    assert [m.message_id for m in live if m.from_bot] == [back.message_id]


async def test_a_photo_telegram_no_longer_knows_falls_back_to_a_text_card(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel = named(catalog, "Miel")
    await bot.stores.products.update(
        miel.id, photo_file_id="AgACAgQAAxkBAAIBgone", actor=audit.SYSTEM
    )
    awa = Shopper.create(emulator)
    card = await open_card(awa, miel)
    assert card.photo is None
    assert quantity_line(1, 3500) in card.content


async def test_an_empty_catalog_says_so(bot: Runtime, emulator: TelegramEmulator) -> None:
    awa = Shopper.create(emulator)
    reply = await awa.say("/catalog", expect=TEXT("fr", "catalog_empty"))
    assert reply.button_texts() == ["🏠 Menu"]
