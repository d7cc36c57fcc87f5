"""Helpers of the admin console tests: orders made and paid the real way, and the admin's chat.

Orders go through the stores (cart, order) and are paid through the cashier and the Ligdicash
sandbox, as a customer's checkout would; the admin talks to the running bot through the emulator.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Literal

from bot.app import Runtime
from bot.cashier import PayinStarted
from bot.emulator import TelegramEmulator
from bot.emulator.media import new_file_id
from bot.emulator.records import ChatMessage
from bot.i18n import Lang
from bot.messages import admin as words
from payments.phone import parse_phone
from storage import audit
from storage.models import Order, PayinState, Product
from tests.bot.conftest import ADMIN_ID
from tests.bot.shop_support import Shopper

Paid = Literal["link_orange", "link_moov", "orange_otp"]


def plain(html_text: str) -> str:
    """HTML as Telegram shows it: tags gone, entities unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def text(lang: Lang, key: str, **values: object) -> str:
    """An admin text as Telegram shows it."""
    return plain(words.TEXT(lang, key, **values))


def fragment(lang: Lang, key: str) -> str:
    """The longest placeholder-free piece of a text: enough to recognise its message."""
    pieces = re.split(r"\{[^}]*\}", re.sub(r"<[^>]+>", "", words.TEXT.tables[lang][key]))
    return max(pieces, key=len).strip()


def admin_chat(emulator: TelegramEmulator, language_code: str = "en") -> Shopper:
    """The shop's one admin (ADMIN_ID), as a user of the emulator."""
    user = emulator.create_user("Admin", user_id=ADMIN_ID, language_code=language_code)
    return Shopper(emulator, user.id)


async def place_order(
    bot: Runtime,
    customer_id: int,
    items: Sequence[tuple[Product, int]],
    *,
    name: str = "Awa",
    language: Lang = "fr",
) -> Order:
    """An order awaiting payment, made from a cart as the checkout makes it."""
    await bot.stores.customers.seen(customer_id, first_name=name, language=language)
    for product, quantity in items:
        await bot.stores.carts.add(customer_id, product.id, quantity)
    created = await bot.stores.orders.create_from_cart(
        customer_id,
        first_name=name,
        last_name="Ouédraogo",
        email=None,
        actor=audit.customer_actor(customer_id),
    )
    assert created.order is not None, created.reason
    return created.order


async def start_link(bot: Runtime, order: Order) -> PayinStarted:
    """Start a payment link for the order, as the checkout's "link" method does."""
    customer = await bot.stores.customers.get(order.customer_id)
    assert customer is not None
    started = await bot.cashier.start_link(order, customer)
    assert isinstance(started, PayinStarted), started
    return started


async def pay(bot: Runtime, order: Order, how: Paid = "link_orange") -> Order:
    """Pay the order through the cashier and the sandbox; return it once paid."""
    customer = await bot.stores.customers.get(order.customer_id)
    assert customer is not None
    assert bot.sandbox is not None
    if how == "orange_otp":
        started = await bot.cashier.start_orange(
            order, customer, parse_phone("22607123456"), "123456"
        )
        assert isinstance(started, PayinStarted), started
    else:
        started = await start_link(bot, order)
        assert started.payin.token is not None
        await bot.sandbox.pay(started.payin.token, "moov" if how == "link_moov" else "orange")
    # The confirm a callback would trigger, made now: the test need not wait for the callback.
    payin = await bot.cashier.check(started.payin.transaction_id)
    assert payin is not None
    assert payin.state is PayinState.COMPLETED, payin
    paid = await bot.stores.orders.get(order.id)
    assert paid is not None
    assert paid.paid_amount == paid.total
    return paid


async def paid_order(
    bot: Runtime,
    customer_id: int,
    items: Sequence[tuple[Product, int]],
    how: Paid = "link_orange",
    *,
    name: str = "Awa",
) -> Order:
    """An order placed and paid by a customer."""
    return await pay(bot, await place_order(bot, customer_id, items, name=name), how)


async def send_photo(emulator: TelegramEmulator, user_id: int, png: bytes) -> str:
    """The user sends a photo; return its file_id.

    The emulator's control API has no photo upload from users, so this builds the update the
    way its own upload path stores files (the bot can then send the photo by file_id).
    """
    state = emulator._state  # the emulated world, as TelegramEmulator's own methods use it
    width, height = _png_size(png)
    stored = state.store_file(
        "photo", png, file_id=new_file_id("photo"), extension=".png", size=(width, height)
    )
    chat = state.chats[user_id]
    message = state.new_message(chat, from_bot=False, photo=stored)
    state.enqueue_update("message", state.message_json(message))
    state.notify()
    return stored.file_id


def _png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def refs(message: ChatMessage) -> list[str]:
    """The order references a message shows, in order."""
    return re.findall(r"LB-[A-Z0-9]{6}", message.content)
