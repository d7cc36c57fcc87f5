"""Products from Telegram: the add conversation, edits, hide/show, delete, restock notices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import Runtime, Tuning, running
from bot.catalog_admin import MAX_PRICE, NumberProblem, parse_price, parse_stock
from bot.emulator import ChatMessage, TelegramEmulator
from bot.i18n import Lang, money
from bot.messages import admin as words
from bot.messages import shop as shop_words
from bot.settings import Settings
from storage import audit
from storage.models import Product
from tests.bot.admin_support import (
    admin_chat,
    fragment,
    place_order,
    plain,
    send_photo,
    text,
)
from tests.bot.conftest import ADMIN_ID
from tests.bot.emulator_support import tiny_png
from tests.bot.shop_support import Shopper, named, shop_errors

ADMIN = audit.admin_actor(ADMIN_ID)


@pytest.fixture(autouse=True)
def _every_update_is_handled(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    assert shop_errors(caplog) == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2500", 2500),
        ("2 500", 2500),
        ("2\u202f500 F CFA", 2500),
        ("2500F", 2500),
        ("2500 xof", 2500),
        ("1", 1),
        (str(MAX_PRICE), MAX_PRICE),
        ("abc", NumberProblem.NOT_A_NUMBER),
        ("", NumberProblem.NOT_A_NUMBER),
        ("12abc", NumberProblem.NOT_A_NUMBER),
        ("-5", NumberProblem.TOO_SMALL),
        ("0", NumberProblem.TOO_SMALL),
        ("1.5", NumberProblem.DECIMAL),
        ("2,50", NumberProblem.DECIMAL),
        (str(MAX_PRICE + 1), NumberProblem.TOO_LARGE),
        ("9" * 40, NumberProblem.TOO_LARGE),
    ],
)
def test_price_is_a_whole_positive_amount_of_xof(typed: str, expected: object) -> None:
    assert parse_price(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12", 12),
        ("0", 0),
        ("unlimited", None),
        ("Illimité", None),
        ("-1", NumberProblem.TOO_SMALL),
        ("2.5", NumberProblem.DECIMAL),
        ("many", NumberProblem.NOT_A_NUMBER),
    ],
)
def test_stock_is_a_whole_number_or_unlimited(typed: str, expected: object) -> None:
    assert parse_stock(typed) == expected


def test_every_number_problem_has_a_text() -> None:
    for problem in NumberProblem:
        assert words.TEXT("en", problem.value, low=1, high=2)


def card_of(product: Product) -> str:
    """What only the admin's card of this product shows."""
    return f"(no. {product.id})"


async def open_card(admin: Shopper, product: Product) -> ChatMessage:
    listing = await admin.say("/products", expect=fragment("en", "products_title"))
    page = listing
    while f"{words.PRODUCT}{product.id}" not in page.callback_data():
        page, _ = await admin.tap(page, text=words.TEXT("en", "btn_next"), expect="Products")
    card, _ = await admin.tap(page, data=f"{words.PRODUCT}{product.id}", expect=card_of(product))
    return card


async def test_adding_a_product_asks_each_field_and_refuses_bad_prices(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    admin = admin_chat(emulator)
    listing = await admin.say("/products", expect=fragment("en", "products_title"))
    assert "Statuette en bronze" in listing.content
    await admin.tap(listing, data=words.PRODUCT_ADD, expect=fragment("en", "ask_name"))
    await admin.say("  Bissap   1 L ", expect=fragment("en", "ask_price"))
    for typed, problem in [
        ("abc", "number_not_number"),
        ("-5", "number_too_small"),
        ("0", "number_too_small"),
        ("1.5", "number_decimal"),
    ]:
        refused = await admin.say(typed, expect=fragment("en", problem))
        assert words.CANCEL_PROMPT in refused.callback_data()
    await admin.say("1 500", expect=fragment("en", "ask_description"))
    await admin.say("Jus d'hibiscus <frais> & sucré", expect=fragment("en", "ask_photo"))
    await admin.say("not a photo", expect=fragment("en", "unexpected"))
    file_id = await send_photo(emulator, admin.id, tiny_png(32, 24))
    ask_category = await emulator.wait_for_message(
        admin.id, contains=fragment("en", "ask_category")
    )
    assert "Alimentation" in ask_category.button_texts()
    await admin.say("Boissons", expect=fragment("en", "ask_stock"))
    await admin.say("twelve", expect=fragment("en", "number_not_number"))
    card = await admin.say("12", expect="Bissap 1 L")

    added = await newest_product(bot)
    assert (added.name, added.price, added.stock) == ("Bissap 1 L", 1500, 12)
    assert added.description == "Jus d'hibiscus <frais> & sucré"
    assert added.photo_file_id == file_id
    category = await bot.stores.products.get_category(added.category_id or 0)
    assert category is not None
    assert category.name == "Boissons"
    assert "Jus d'hibiscus <frais> & sucré" in card.content  # escaped, shown as typed
    assert money(1500, "en") in card.content
    assert [e.actor for e in await bot.stores.audit.for_entity("product", added.id)] == [ADMIN]
    assert [e.actor for e in await bot.stores.audit.for_entity("category", category.id)] == [ADMIN]
    # The new product is in the shop, with its photo.
    customer = Shopper.create(emulator, "Awa")
    shown = await customer.say(f"/start p_{added.id}", expect="Bissap 1 L")
    assert shown.photo is not None
    assert shown.photo.file_id == file_id


async def test_adding_with_skips_an_existing_category_and_unlimited_stock(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    admin = admin_chat(emulator, language_code="fr")
    first = await admin.say("/admin", expect=text("fr", "menu"))
    listing, _ = await admin.tap(
        first, text=words.TEXT("fr", "btn_products"), expect=fragment("fr", "products_title")
    )
    await admin.tap(listing, data=words.PRODUCT_ADD, expect=fragment("fr", "ask_name"))
    await admin.say("Gingembre", expect=fragment("fr", "ask_price"))
    ask = await admin.say("300", expect=fragment("fr", "ask_description"))
    ask, _ = await admin.tap(ask, data=words.PRODUCT_SKIP, expect=fragment("fr", "ask_photo"))
    ask, _ = await admin.tap(ask, data=words.PRODUCT_SKIP, expect=fragment("fr", "ask_category"))
    food = next(c for c in await bot.stores.products.categories() if c.name == "Alimentation")
    ask, _ = await admin.tap(
        ask, data=f"{words.PRODUCT_CATEGORY}{food.id}", expect=fragment("fr", "ask_stock")
    )
    await admin.tap(ask, data=words.PRODUCT_UNLIMITED, expect="Gingembre")
    added = await newest_product(bot)
    assert (added.name, added.price, added.description) == ("Gingembre", 300, "")
    assert (added.photo_file_id, added.category_id, added.stock) == (None, food.id, None)


async def test_cancel_leaves_the_add_conversation(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    admin = admin_chat(emulator)
    listing = await admin.say("/products", expect=fragment("en", "products_title"))
    await admin.tap(listing, data=words.PRODUCT_ADD, expect=fragment("en", "ask_name"))
    await admin.say("Half a product", expect=fragment("en", "ask_price"))
    await admin.say("/cancel", expect=text("en", "cancelled"))
    # The next text is the shop's again, not a price.
    answer = await admin.say("1000", expect=shop_words.TEXT("en", "unknown_text")[:20])
    assert fragment("en", "ask_description") not in answer.content
    before = len(catalog)
    assert (await bot.stores.products.page(include_hidden=True, limit=100)).total == before


async def test_the_add_conversation_survives_a_restart(
    bot_settings: Settings, tuning: Tuning, emulator: TelegramEmulator
) -> None:
    admin = admin_chat(emulator)
    async with running(bot_settings, tuning):
        listing = await admin.say("/products", expect=fragment("en", "products_empty"))
        await admin.tap(listing, data=words.PRODUCT_ADD, expect=fragment("en", "ask_name"))
        await admin.say("Dolo", expect=fragment("en", "ask_price"))
    async with running(bot_settings, tuning) as restarted:
        await admin.say("750", expect=fragment("en", "ask_description"))
        await admin.say("Bière de mil", expect=fragment("en", "ask_photo"))
        ask = emulator.last_message(admin.id)
        assert ask is not None
        ask, _ = await admin.tap(
            ask, data=words.PRODUCT_SKIP, expect=fragment("en", "ask_category")
        )
        ask, _ = await admin.tap(
            ask, data=f"{words.PRODUCT_CATEGORY}0", expect=fragment("en", "ask_stock")
        )
        await admin.say("20", expect="Dolo")
        (dolo,) = (await restarted.stores.products.page(include_hidden=True)).products
        assert (dolo.name, dolo.price, dolo.stock, dolo.category_id) == ("Dolo", 750, 20, None)


@pytest.mark.parametrize(
    ("field", "typed", "attribute", "expected"),
    [
        ("name", "Miel de Dori 1 kg", "name", "Miel de Dori 1 kg"),
        ("price", "4 000", "price", 4000),
        ("description", "Récolte 2026", "description", "Récolte 2026"),
        ("stock", "7", "stock", 7),
        ("stock", "unlimited", "stock", None),
        ("category", "Épicerie fine", "category_id", "new"),
    ],
)
async def test_editing_a_field_prompts_validates_and_saves(
    bot: Runtime,
    emulator: TelegramEmulator,
    catalog: list[Product],
    field: str,
    typed: str,
    attribute: str,
    expected: object,
) -> None:
    honey = named(catalog, "Miel")
    admin = admin_chat(emulator)
    card = await open_card(admin, honey)
    await admin.tap(card, data=f"{words.PRODUCT_EDIT}{honey.id}:{field}", expect="Now:")
    if field == "price":
        await admin.say("0", expect=fragment("en", "number_too_small"))
    saved = await admin.say(typed, expect=card_of(honey))
    after = await bot.stores.products.get(honey.id)
    assert after is not None
    if expected == "new":
        category = await bot.stores.products.get_category(after.category_id or 0)
        assert category is not None
        assert category.name == typed
    else:
        assert getattr(after, attribute) == expected
    assert words.TEXT("en", f"btn_edit_{field}") in saved.button_texts()
    changes = await bot.stores.audit.for_entity("product", honey.id)
    assert changes[-1].actor == ADMIN
    assert changes[-1].why.startswith("changed")


async def test_removing_a_photo_and_a_description(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    honey = named(catalog, "Miel")
    await bot.stores.products.update(honey.id, actor=audit.SYSTEM, photo_file_id="AgAC-photo")
    admin = admin_chat(emulator)
    card = await open_card(admin, honey)
    for field in ("photo", "description"):
        prompt, _ = await admin.tap(
            card, data=f"{words.PRODUCT_EDIT}{honey.id}:{field}", expect="Now:"
        )
        assert words.TEXT("en", "btn_remove") in prompt.button_texts()
        card, _ = await admin.tap(prompt, data=words.PRODUCT_SKIP, expect=card_of(honey))
    after = await bot.stores.products.get(honey.id)
    assert after is not None
    assert (after.photo_file_id, after.description) == (None, "")


async def test_hiding_and_showing_a_product(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    hat = named(catalog, "Chapeau")
    admin = admin_chat(emulator)
    card = await open_card(admin, hat)
    hidden, answer = await admin.tap(
        card, data=f"{words.PRODUCT_VISIBILITY}{hat.id}:0", expect=words.TEXT("en", "card_hidden")
    )
    assert answer.text == words.TEXT("en", "product_hidden")
    after = await bot.stores.products.get(hat.id)
    assert after is not None
    assert not after.active
    assert hat.id not in {p.id for p in (await bot.stores.products.page(limit=100)).products}
    listing = await admin.say("/products", expect=fragment("en", "products_title"))
    assert f"🙈 {hat.name}" in listing.content
    shown, _ = await admin.tap(
        hidden, data=f"{words.PRODUCT_VISIBILITY}{hat.id}:1", expect=card_of(hat)
    )
    assert words.TEXT("en", "card_hidden") not in shown.content
    after = await bot.stores.products.get(hat.id)
    assert after is not None
    assert after.active


async def test_delete_is_refused_for_an_ordered_product_and_done_otherwise(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    honey, soumbala = named(catalog, "Miel"), named(catalog, "Soumbala")
    await place_order(bot, 1201, [(honey, 1)])
    admin = admin_chat(emulator)
    card = await open_card(admin, honey)
    refused = await admin.tap_for_answer(card, data=f"{words.PRODUCT_DELETE}{honey.id}")
    assert refused.text == words.TEXT("en", "delete_refused")
    assert refused.show_alert
    assert await bot.stores.products.get(honey.id) is not None
    card = await open_card(admin, soumbala)
    ask, _ = await admin.tap(
        card, data=f"{words.PRODUCT_DELETE}{soumbala.id}", expect=fragment("en", "confirm_delete")
    )
    listing, answer = await admin.tap(
        ask, data=f"{words.PRODUCT_DELETE_YES}{soumbala.id}", expect="Products"
    )
    assert answer.text == words.TEXT("en", "product_deleted", name=soumbala.name)
    assert await bot.stores.products.get(soumbala.id) is None
    assert soumbala.name not in listing.content
    deleted = await bot.stores.audit.for_entity("product", soumbala.id)
    assert deleted[-1].actor == ADMIN
    assert deleted[-1].why == "deleted"


async def test_restock_tells_each_waiting_customer_in_their_language(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    statue = named(catalog, "Statuette")
    assert statue.stock == 0
    awa = Shopper.create(emulator, "Awa", language_code="fr")
    john = Shopper.create(emulator, "John", language_code="en")
    bystander = Shopper.create(emulator, "Ali", language_code="fr")
    for shopper in (awa, john, bystander):
        await shopper.say("/start", expect=shopper_name(emulator, shopper))
    for shopper in (awa, john):
        assert await bot.stores.products.request_restock(statue.id, shopper.id)
    admin = admin_chat(emulator)
    card = await open_card(admin, statue)
    await admin.tap(card, data=f"{words.PRODUCT_RESTOCK}{statue.id}", expect="Restock")
    await admin.say("none", expect=fragment("en", "number_not_number"))
    await admin.say("0", expect=fragment("en", "number_too_small"))
    await admin.say("3", expect=card_of(statue))
    after = await bot.stores.products.get(statue.id)
    assert after is not None
    assert after.stock == 3
    languages: tuple[tuple[Shopper, Lang], ...] = ((awa, "fr"), (john, "en"))
    for shopper, lang in languages:
        back = plain(shop_words.back_in_stock(lang, after).text)
        await emulator.wait_for_message(shopper.id, contains=back)
    assert not any(statue.name in m.content for m in emulator.messages(bystander.id))
    assert not await bot.stores.products.restock_requested(statue.id, awa.id)
    restocks = await bot.stores.audit.for_entity("product", statue.id)
    assert restocks[-1].actor == ADMIN
    assert restocks[-1].why == "restock +3"


async def test_restock_is_not_offered_for_unlimited_stock(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    shea = named(catalog, "Beurre")
    assert shea.stock is None
    admin = admin_chat(emulator)
    card = await open_card(admin, shea)
    assert f"{words.PRODUCT_RESTOCK}{shea.id}" not in card.callback_data()


async def newest_product(bot: Runtime) -> Product:
    """The product added last."""
    listed = (await bot.stores.products.page(include_hidden=True, limit=100)).products
    return max(listed, key=lambda product: product.id)


def shopper_name(emulator: TelegramEmulator, shopper: Shopper) -> str:
    return emulator.user(shopper.id).first_name
