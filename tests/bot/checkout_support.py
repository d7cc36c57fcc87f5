"""Helpers of the checkout tests: a customer with a cart who walks the checkout like a person.

Everything goes through the emulator (what the customer types and taps, what the bot shows) and
the running bot's stores (to set up carts and to read the money state afterwards).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.app import Runtime
from bot.emulator import TelegramEmulator
from bot.emulator.records import CallbackAnswer, ChatMessage
from bot.i18n import Lang
from bot.messages import checkout as words
from bot.messages import payment
from storage.models import Order, Payin, Product, utc_now
from storage.stores import Stores

REFERENCE = re.compile(r"LB-[A-Z0-9]{6}")
ORANGE_NUMBER = "07 12 34 56"  # 22607123456
MOOV_NUMBER = "70 12 34 56"  # 22670123456
MOOV_DECLINES = "70 12 34 99"
MOOV_NEVER_CONFIRMS = "70 12 34 98"
TELECEL_NUMBER = "58 12 34 56"
OTP_OK = "123456"
OTP_WRONG = "000000"
OTP_EXPIRED = "999999"
OTP_DECLINED = "111111"
MARKERS: dict[Lang, dict[str, str]] = {
    "fr": {"name": "Au nom de", "summary": "Comment voulez-vous payer", "email": "e-mail"},
    "en": {"name": "In the name of", "summary": "How would you like to pay", "email": "e-mail"},
}


@dataclass
class Clock:
    """A clock the test can move forward: reconciliation then sees payins as due or too old."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def advance(self, delta: timedelta) -> None:
        """Jump ahead."""
        self.offset += delta


def text(lang: Lang, key: str, **values: object) -> str:
    """A checkout text as the customer reads it (HTML tags stripped, as Telegram shows it)."""
    return re.sub(r"<[^>]+>", "", words.TEXT(lang, key, **values))


def pay_text(lang: Lang, key: str, **values: object) -> str:
    """A payment text as the customer reads it."""
    return re.sub(r"<[^>]+>", "", payment.TEXT(lang, key, **values))


async def eventually(
    condition: Callable[[], Awaitable[bool]], *, seconds: float = 5.0, what: str = ""
) -> None:
    """Wait until an async condition on storage holds (re-checked every 20 ms)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition still false after {seconds:g}s: {what}")
        await asyncio.sleep(0.02)


@dataclass
class Customer:
    """One emulated customer of a running bot."""

    stores: Stores
    emulator: TelegramEmulator
    uid: int
    lang: Lang = "fr"

    # Doing things

    async def say(self, message: str, *, expect: str | None = None) -> ChatMessage:
        """Send text; return the bot's first answer after it (containing `expect`, if given)."""
        update = await self.emulator.inject_text(self.uid, message)
        sent = int(update["message"]["message_id"])
        return await self.emulator.wait_for_message(self.uid, contains=expect, after=sent)

    async def share_contact(
        self, phone: str, *, own: bool = True, expect: str | None = None
    ) -> ChatMessage:
        """Share a contact; return the bot's first answer after it."""
        update = await self.emulator.inject_contact(self.uid, phone, own=own)
        sent = int(update["message"]["message_id"])
        return await self.emulator.wait_for_message(self.uid, contains=expect, after=sent)

    async def tap(self, message: ChatMessage, data: str) -> CallbackAnswer:
        """Press a button of a bot message by its data; return the bot's answer to the press."""
        update = await self.emulator.press_button(self.uid, message.message_id, data=data)
        return await self.emulator.wait_for_callback_answer(str(update["callback_query"]["id"]))

    async def tap_then(
        self, message: ChatMessage, data: str, *, expect: str | None = None
    ) -> ChatMessage:
        """Press a button; return the next new bot message (containing `expect`, if given)."""
        last = self.last_id()
        await self.tap(message, data)
        return await self.emulator.wait_for_message(self.uid, contains=expect, after=last)

    # Walking the checkout

    async def checkout(self) -> ChatMessage:
        """/checkout until the order summary with its method buttons."""
        ask = await self.say("/checkout", expect=self.marker("name"))
        email = await self.tap_then(ask, words.NAME_YES)
        return await self.tap_then(email, words.EMAIL_SKIP, expect=self.summary_marker())

    def summary_marker(self) -> str:
        """Text that only the order summary has."""
        return self.marker("summary")

    def marker(self, step: str) -> str:
        """A fragment that only the prompt of `step` shows, in the customer's language."""
        return MARKERS[self.lang][step]

    async def choose(self, summary: ChatMessage, method: str) -> ChatMessage:
        """Press a method button of a summary; return the next new bot message."""
        return await self.tap_then(summary, f"{words.METHOD}{method}:{reference_of(summary)}")

    async def orange_until_keypad(self, number: str = ORANGE_NUMBER) -> ChatMessage:
        """From a fresh cart: checkout, Orange, the number; return the keypad message."""
        summary = await self.checkout()
        await self.choose(summary, words.ORANGE)
        await self.say(number, expect="*144*4*6*")
        return await self.emulator.wait_for(self.uid, is_keypad)

    async def status(self, after: int = 0) -> ChatMessage:
        """Wait for the payment status message (the one with a "Check payment" button)."""
        return await self.emulator.wait_for(
            self.uid,
            lambda m: (
                m.message_id > after and any(d.startswith(payment.CHECK) for d in m.callback_data())
            ),
        )

    async def wait_text(self, message_id: int, contains: str, seconds: float = 5.0) -> ChatMessage:
        """Wait until a message (edited in place) shows `contains`."""
        return await self.emulator.wait_for(
            self.uid,
            lambda m: m.message_id == message_id and contains in m.content,
            timeout=seconds,
        )

    # Reading

    def last(self) -> ChatMessage:
        """The bot's latest live message."""
        found = self.emulator.last_message(self.uid)
        assert found is not None
        return found

    def last_id(self) -> int:
        """Id of the latest message of the chat, whoever sent it."""
        found = self.emulator.last_message(self.uid, sender="any")
        return found.message_id if found else 0

    def contents(self) -> list[str]:
        """Every bot message as it stands now."""
        return [m.content for m in self.emulator.messages(self.uid)]

    def count(self, fragment: str) -> int:
        """How many bot messages show `fragment`."""
        return sum(fragment in content for content in self.contents())

    async def orders(self) -> tuple[Order, ...]:
        """The customer's orders, newest first."""
        return (await self.stores.orders.page(customer_id=self.uid)).orders

    async def order(self) -> Order:
        """The customer's newest order."""
        orders = await self.orders()
        assert orders, "no order"
        return orders[0]

    async def payins(self) -> tuple[Payin, ...]:
        """The payins of the customer's newest order, oldest first."""
        return await self.stores.payins.for_order((await self.order()).id)


def is_keypad(message: ChatMessage) -> bool:
    """Whether a bot message carries the OTP keypad."""
    return words.KEY_SEND in message.callback_data()


def reference_of(message: ChatMessage) -> str:
    """The order reference shown in a message, or carried by its buttons."""
    found = REFERENCE.search(message.content) or REFERENCE.search(" ".join(message.callback_data()))
    assert found is not None, message.content
    return found.group(0)


def transaction_of(status: ChatMessage) -> str:
    """The transaction id behind a status message's "Check payment" button."""
    for data in status.callback_data():
        if data.startswith(payment.CHECK):
            return data.removeprefix(payment.CHECK)
    raise AssertionError(f"no check button on {status.content!r}")


async def new_customer(
    bot: Runtime,
    emulator: TelegramEmulator,
    cart: Sequence[tuple[Product, int]],
    *,
    first_name: str = "Awa",
    last_name: str | None = "Ouédraogo",
    lang: Lang = "fr",
) -> Customer:
    """An emulated user known to the shop, with these products in the cart."""
    user = emulator.create_user(first_name, last_name=last_name, language_code=lang)
    await bot.stores.customers.seen(
        user.id, first_name=first_name, last_name=last_name or "", language=lang
    )
    for product, quantity in cart:
        await bot.stores.carts.add(user.id, product.id, quantity)
    return Customer(bot.stores, emulator, user.id, lang)


def by_name(catalog: Sequence[Product], start: str) -> Product:
    """The demo product whose name starts with `start`."""
    return next(product for product in catalog if product.name.startswith(start))


async def paid_once(bot: Runtime, customer: Customer) -> Order:
    """Wait for callbacks and the outbox to settle; the order must be paid exactly once."""
    assert bot.sandbox is not None
    await bot.sandbox.drain()

    async def settled() -> bool:
        return await bot.stores.outbox.backlog() == 0

    await eventually(settled, what="outbox delivered")
    order = await customer.order()
    assert order.paid_amount == order.total
    assert order.flags == frozenset()
    completed = [p for p in await customer.payins() if p.state.value == "completed"]
    assert len(completed) == 1
    return order
