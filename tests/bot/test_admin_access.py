"""Who may use the console: admins get every command; for anyone else they do not exist."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.admin import ADMIN_ONLY_COMMANDS
from bot.app import Runtime
from bot.emulator import TelegramEmulator
from bot.messages import admin as words
from bot.messages.shop import TEXT as SHOP
from bot.refunds import ADMIN_COMMANDS as REFUND_COMMANDS
from storage.models import Product
from tests.bot.admin_support import admin_chat, fragment, paid_order, text
from tests.bot.conftest import ADMIN_ID
from tests.bot.shop_support import Shopper, shop_errors

# The text of the first message each admin command answers an admin with.
ADMIN_ANSWERS: dict[str, str] = {
    "/admin": "menu",
    "/order": "order_usage",
    "/stats 7d": "stats",
    "/export 7d": "export_orders",
    "/products": "products_title",
    "/broadcast": "ask_broadcast",
}


@pytest.fixture(autouse=True)
def _every_update_is_handled(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    assert shop_errors(caplog) == []


def test_every_admin_only_command_has_a_case() -> None:
    assert {command.split()[0] for command in ADMIN_ANSWERS} == {
        f"/{name}" for name in ADMIN_ONLY_COMMANDS
    }
    # /orders is also the customers' own list; /refund and /payout are gated by bot.refunds.
    assert set(ADMIN_ONLY_COMMANDS) | {"orders"} | set(REFUND_COMMANDS) == set(words.COMMANDS)


async def test_every_admin_command_answers_the_admin(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    admin = admin_chat(emulator)
    for command, key in ADMIN_ANSWERS.items():
        answer = await admin.say(command, expect=fragment("en", key))
        assert SHOP("en", "unknown_command") not in answer.content, command
    listing = await admin.say("/orders", expect="page 1")
    assert listing.callback_data()[-2:] == [words.ORDER_FILTERS, words.MENU]


async def test_admin_commands_do_not_exist_for_a_customer(
    bot: Runtime,
    emulator: TelegramEmulator,
    catalog: list[Product],
    caplog: pytest.LogCaptureFixture,
) -> None:
    customer = Shopper.create(emulator, "Moussa", language_code="fr")
    caplog.set_level(logging.INFO)
    # Exactly the shop's answer to a command it does not know: the menu, nothing more.
    unknown = await customer.say("/nosuchcommand", expect=SHOP("fr", "unknown_command"))
    for command in ADMIN_ANSWERS:
        answer = await customer.say(command, expect=SHOP("fr", "unknown_command"))
        assert answer.content == unknown.content, command
        assert answer.reply_markup == unknown.reply_markup, command
        name = command.split()[0]
        assert f"non-admin {customer.id} tried {name}" in caplog.text
    # No prompt was opened: what the customer types next is just text to the shop.
    await customer.say("Bonjour", expect=SHOP("fr", "unknown_text")[:20])
    assert not any(m.photo or m.document for m in emulator.messages(customer.id))
    assert await bot.stores.broadcasts.sending() == ()
    assert all(
        not m.callback_data() or "adm:" not in " ".join(m.callback_data())
        for m in emulator.messages(customer.id)
    )


async def test_orders_is_the_customers_own_list_for_a_customer(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = Shopper.create(emulator, "Moussa", language_code="fr")
    order = await paid_order(bot, customer.id, [(catalog[0], 1)], name="Moussa")
    someone_else = await paid_order(bot, 777_001, [(catalog[1], 1)], name="Fati")
    listing = await customer.say("/orders", expect=order.reference)
    assert someone_else.reference not in listing.content
    assert fragment("fr", "filters_title") not in listing.content


async def test_admin_menu_is_in_the_admins_language(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    admin = admin_chat(emulator, language_code="fr")
    menu = await admin.say("/admin", expect=text("fr", "menu"))
    assert menu.button_texts() == [
        words.TEXT("fr", key)
        for key in (
            "btn_orders",
            "btn_flagged",
            "btn_stats",
            "btn_export",
            "btn_products",
            "btn_broadcast",
        )
    ]


async def test_each_menu_button_opens_its_screen(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    admin = admin_chat(emulator)
    for button, expect in [
        ("btn_orders", "filters_title"),
        ("btn_flagged", "filter_fg"),
        ("btn_stats", "period_title_stats"),
        ("btn_export", "period_title_export"),
        ("btn_products", "products_title"),
        ("btn_broadcast", "ask_broadcast"),
    ]:
        menu = await admin.say("/admin", expect=text("en", "menu"))
        shown, _ = await admin.tap(
            menu, text=words.TEXT("en", button), expect=fragment("en", expect)
        )
        # Screens open in the menu's message; the broadcast prompt is a message of its own.
        assert (shown.message_id == menu.message_id) == (button != "btn_broadcast"), button


async def test_admin_commands_are_in_the_admins_command_menu(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    admin = admin_chat(emulator)
    await admin.say("/admin", expect=text("en", "menu"))
    shown = emulator.commands(scope={"type": "chat", "chat_id": ADMIN_ID})
    names = [command["command"] for command in shown]
    assert set(words.COMMANDS) <= set(names)
    assert len(names) == len(set(names))
    assert "start" in names
