"""The shop's front door: /start, deep links, menu, help, language, cancel, fallbacks, errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.app import Runtime
from bot.emulator import TelegramEmulator
from bot.i18n import money
from bot.messages import shop as say
from bot.messages.shop import TEXT
from storage import audit
from storage.models import Product
from tests.bot.shop_support import Shopper, named, shop_errors, text


@pytest.fixture(autouse=True)
def _every_update_is_handled(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    assert shop_errors(caplog) == []


FRENCH_MENU = ["🛍 Catalogue", "🛒 Panier (0)", "📦 Mes commandes", "❓ Aide", "🇬🇧 English"]
ENGLISH_MENU = ["🛍 Catalog", "🛒 Cart (0)", "📦 My orders", "❓ Help", "🇫🇷 Français"]


async def test_start_welcomes_in_french_with_the_store_name_test_mode_and_menu(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    awa = Shopper.create(emulator, "Awa")
    reply = await awa.say("/start", expect="Bienvenue")
    assert "Bienvenue chez Boutique Test, Awa" in reply.content
    assert text("fr", "test_mode") in reply.content
    assert reply.button_texts() == FRENCH_MENU


async def test_start_speaks_english_to_a_customer_whose_telegram_is_in_english(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    john = Shopper.create(emulator, "John", language_code="en-GB")
    reply = await john.say("/start", expect="Welcome")
    assert "Welcome to Boutique Test, John" in reply.content
    assert text("en", "test_mode") in reply.content
    assert reply.button_texts() == ENGLISH_MENU


async def test_menu_counts_the_items_in_the_cart(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa = Shopper.create(emulator)
    await awa.say("/start", expect="Bienvenue")
    await bot.stores.carts.add(awa.id, named(catalog, "Miel").id, 2)
    await bot.stores.carts.add(awa.id, named(catalog, "Café").id, 1)
    reply = await awa.say("/menu", expect=TEXT("fr", "menu"))
    assert "🛒 Panier (3)" in reply.button_texts()


async def test_deep_link_opens_the_product_card(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel = named(catalog, "Miel")
    awa = Shopper.create(emulator)
    card = await awa.say(f"/start p_{miel.id}", expect=miel.name)
    assert money(miel.price, "fr") in card.content
    assert "En stock : 40" in card.content
    assert {"➖", "➕", "✏️ Taper une quantité"} <= set(card.button_texts())


@pytest.mark.parametrize("hidden", [True, False], ids=["hidden", "unknown"])
async def test_deep_link_to_a_missing_product_explains_and_shows_the_menu(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], hidden: bool
) -> None:
    pagne = named(catalog, "Pagne")
    if hidden:
        await bot.stores.products.update(pagne.id, active=False, actor=audit.SYSTEM)
    product_id = pagne.id if hidden else 987_654
    awa = Shopper.create(emulator)
    reply = await awa.say(f"/start p_{product_id}", expect=TEXT("fr", "product_gone"))
    assert reply.button_texts() == FRENCH_MENU


async def test_help_explains_each_way_to_pay_and_how_to_reach_the_shop(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    awa = Shopper.create(emulator)
    reply = await awa.say("/help", expect="Aide")
    for words in ("Lien de paiement", "Orange Money", "*144*4*6*", "Moov Money", "LB-"):
        assert words in reply.content
    menu = await awa.say("/start", expect="Bienvenue")
    shown, answer = await awa.tap(menu, text="❓ Aide", expect="Aide")
    assert shown.message_id == menu.message_id  # the menu turned into the help, in place
    assert answer.text is None


async def test_language_command_switches_and_everything_after_follows(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    awa = Shopper.create(emulator)
    reply = await awa.say("/language", expect=text("en", "language_set"))
    assert reply.button_texts() == ENGLISH_MENU
    customer = await bot.stores.customers.get(awa.id)
    assert customer is not None
    assert customer.language == "en"
    assert "Welcome" in (await awa.say("/start", expect="Welcome")).content
    await awa.say("/language", expect=text("fr", "language_set"))
    await awa.say("/language fr", expect=text("fr", "language_set"))
    assert "Bienvenue" in (await awa.say("/start", expect="Bienvenue")).content


async def test_language_button_switches_the_menu_in_place(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    awa = Shopper.create(emulator)
    menu = await awa.say("/start", expect="Bienvenue")
    shown, _ = await awa.tap(menu, text="🇬🇧 English", expect=text("en", "language_set"))
    assert shown.message_id == menu.message_id
    assert shown.button_texts() == ENGLISH_MENU


async def test_cancel_with_nothing_under_way_says_so_and_shows_the_menu(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    awa = Shopper.create(emulator)
    reply = await awa.say("/cancel", expect=TEXT("fr", "nothing_to_cancel"))
    assert reply.button_texts() == FRENCH_MENU


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("bonjour", "unknown_text"),
        ("3", "unknown_text"),
        ("/frobnicate", "unknown_command"),
    ],
)
async def test_unexpected_text_gets_a_helpful_reply_with_the_menu(
    bot: Runtime, emulator: TelegramEmulator, typed: str, key: str
) -> None:
    awa = Shopper.create(emulator)
    reply = await awa.say(typed, expect=TEXT("fr", key))
    assert reply.button_texts() == FRENCH_MENU


async def test_a_shared_contact_outside_checkout_gets_the_menu(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    awa = Shopper.create(emulator)
    update = await emulator.inject_contact(awa.id, "+22670123456")
    reply = await emulator.wait_for_message(
        awa.id, contains=TEXT("fr", "unknown_text"), after=update["message"]["message_id"]
    )
    assert reply.button_texts() == FRENCH_MENU


@pytest.mark.parametrize(
    "data",
    ["shop:cat:abc:0", "shop:p:1", "shop:teleport", "legacy-button-v0", "shop:o:lb-xyz"],
)
async def test_a_stale_or_malformed_button_is_answered_and_a_fresh_menu_sent(
    bot: Runtime, emulator: TelegramEmulator, data: str
) -> None:
    awa = Shopper.create(emulator)
    await awa.say("/start", expect="Bienvenue")
    # A message from an older version of the bot, whose button no handler knows any more.
    old = await bot.application.bot.send_message(
        awa.id,
        "Ancien message",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Vieux", callback_data=data)]]),
    )
    kept = emulator.message(awa.id, old.message_id)
    menu, answer = await awa.tap(kept, data=data, expect=TEXT("fr", "stale_menu"))
    assert answer.text == TEXT("fr", "stale_button")
    assert menu.message_id > old.message_id
    assert menu.button_texts() == FRENCH_MENU
    assert awa.current(kept).content == "Ancien message"


async def test_a_button_of_a_deleted_product_is_answered_with_the_catalog(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    soumbala = named(catalog, "Soumbala")
    awa = Shopper.create(emulator)
    card = await awa.say(f"/start p_{soumbala.id}", expect=soumbala.name)
    assert await bot.stores.products.delete(soumbala.id, actor=audit.SYSTEM)
    shown, answer = await awa.tap(card, text="➕", expect=TEXT("fr", "categories").split("<")[0])
    assert answer.text == TEXT("fr", "product_gone")
    assert answer.show_alert
    assert shown.message_id == card.message_id


async def test_receipt_and_other_features_buttons_open_a_new_message(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    awa = Shopper.create(emulator)
    await awa.say("/start", expect="Bienvenue")
    sent = await bot.application.bot.send_message(
        awa.id,
        "Reçu",
        reply_markup=InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Mes commandes", callback_data=say.ORDERS)],
                [InlineKeyboardButton("Menu", callback_data=say.MENU)],
            ]
        ),
    )
    receipt = emulator.message(awa.id, sent.message_id)
    orders, _ = await awa.tap(receipt, data=say.ORDERS, expect=text("fr", "orders_empty"))
    menu, _ = await awa.tap(receipt, data=say.MENU, expect=TEXT("fr", "menu"))
    assert receipt.message_id < orders.message_id < menu.message_id
    assert awa.current(receipt).content == "Reçu"


async def test_commands_are_published_in_french_by_default_and_in_english(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    names = ["start", "catalog", "cart", "orders", "language", "help", "cancel"]
    french = emulator.commands()
    english = emulator.commands(language_code="en")
    assert [c["command"] for c in french] == names
    assert [c["command"] for c in english] == names
    assert french[2]["description"] == TEXT("fr", "cmd_cart")
    assert english[2]["description"] == TEXT("en", "cmd_cart")


async def test_a_failing_update_is_logged_by_id_and_the_customer_told_in_their_language(
    bot: Runtime, emulator: TelegramEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    john = Shopper.create(emulator, "Johnathan", language_code="en")
    first = await john.say("/start", expect="Welcome")
    update = Update.de_json(
        {
            "update_id": 777_001,
            "message": {
                "message_id": first.message_id + 1,
                "date": 0,
                "chat": {"id": john.id, "type": "private", "first_name": "Johnathan"},
                "from": {"id": john.id, "is_bot": False, "first_name": "Johnathan"},
                "text": "/start",
            },
        },
        bot.application.bot,
    )
    with caplog.at_level(logging.ERROR, logger="bot.shop"):
        await bot.application.process_error(update, RuntimeError("database on fire"))
    reply = await emulator.wait_for_message(john.id, contains="Oops", after=first.message_id)
    assert "database on fire" not in reply.content
    records = [r for r in caplog.records if r.name == "bot.shop"]
    assert records
    assert "777001" in records[0].getMessage()
    assert "RuntimeError" in records[0].getMessage()
    assert "Johnathan" not in records[0].getMessage()
    caplog.clear()  # the failure was the point of this test


@pytest.mark.parametrize(
    ("command", "expect"),
    [
        ("/catalogue", "Choisissez une catégorie"),
        ("/panier", "Votre panier est vide"),
        ("/commandes", "pas encore de commande"),
        ("/aide", "Pour acheter"),
        ("/annuler", "Il n'y a rien à annuler"),
        ("/langue", "I will speak English"),
    ],
)
async def test_commands_also_answer_to_their_french_words(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], command: str, expect: str
) -> None:
    awa = Shopper.create(emulator)
    await awa.say(command, expect=expect)
