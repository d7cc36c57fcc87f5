"""Helpers of the refund tests: a paid order made the real way, and an admin who refunds it.

The order is paid through the stores, the cashier and the sandbox, as a customer's checkout
would (no shortcut into storage); the admin talks to the bot through the emulator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.app import Runtime
from bot.cashier import PayinStarted
from bot.emulator import TelegramEmulator
from bot.emulator.records import ChatMessage
from bot.i18n import Lang
from bot.messages import refunds as words
from payments.phone import parse_phone
from storage import audit
from storage.models import Order, Payout, PayoutState, Product
from tests.bot.checkout_support import Customer, by_name, eventually, new_customer

TX = re.compile(r"rf:ok:([0-9a-f]{32})")


def text(lang: Lang, key: str, **values: object) -> str:
    """A refunds text as Telegram shows it (HTML tags stripped)."""
    return re.sub(r"<[^>]+>", "", words.TEXT(lang, key, **values))


def fragment(lang: Lang, key: str) -> str:
    """The longest placeholder-free piece of a text: enough to recognise the message."""
    pieces = re.split(r"\{[^}]*\}", re.sub(r"<[^>]+>", "", words.TEXT.tables[lang][key]))
    return max(pieces, key=len).strip()


async def paid_order(
    bot: Runtime,
    emulator: TelegramEmulator,
    catalog: Sequence[Product],
    *,
    product: str = "Miel",
    quantity: int = 2,
    moov_number: str | None = None,
    lang: Lang = "fr",
) -> tuple[Customer, Order]:
    """A customer whose order is paid: by Moov approval from `moov_number`, else by link."""
    assert bot.sandbox is not None
    customer = await new_customer(bot, emulator, [(by_name(catalog, product), quantity)], lang=lang)
    created = await bot.stores.orders.create_from_cart(
        customer.uid,
        first_name="Awa",
        last_name="Ouédraogo",
        email=None,
        actor=audit.customer_actor(customer.uid),
    )
    assert created.order is not None
    record = await bot.stores.customers.get(customer.uid)
    assert record is not None
    if moov_number is None:
        started = await bot.cashier.start_link(created.order, record)
        assert isinstance(started, PayinStarted), started
        await bot.sandbox.pay(started.payin.token or "", "orange")
    else:
        started = await bot.cashier.start_moov(created.order, record, parse_phone(moov_number))
        assert isinstance(started, PayinStarted), started
    order_id = created.order.id

    async def paid() -> bool:
        order = await bot.stores.orders.get(order_id)
        return order is not None and order.paid_amount == order.total

    await eventually(paid, what="order paid")

    async def told() -> bool:
        # The "paid" status and the receipt must reach the customer before the test goes on, or
        # they could be read as the answer to whatever the test sends next.
        reference = created.order.reference if created.order else ""
        texts = [message.content for message in emulator.messages(customer.uid)]
        return sum(reference in text for text in texts) >= 2

    await eventually(told, what="payment messages delivered")
    order = await bot.stores.orders.get(order_id)
    assert order is not None
    return customer, order


async def unpaid_order(
    bot: Runtime, emulator: TelegramEmulator, catalog: Sequence[Product]
) -> Order:
    """An order that was never paid."""
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Café"), 1)])
    created = await bot.stores.orders.create_from_cart(
        customer.uid,
        first_name="Ali",
        last_name="",
        email=None,
        actor=audit.customer_actor(customer.uid),
    )
    assert created.order is not None
    return created.order


@dataclass
class Admin:
    """An emulated admin of a running bot."""

    bot: Runtime
    emulator: TelegramEmulator
    uid: int
    lang: Lang = "fr"

    async def say(self, message: str, *, expect: str | None = None) -> ChatMessage:
        """Send text; return the bot's first answer after it (containing `expect`, if given)."""
        update = await self.emulator.inject_text(self.uid, message)
        sent = int(update["message"]["message_id"])
        return await self.emulator.wait_for_message(self.uid, contains=expect, after=sent)

    async def review(self, command: str) -> ChatMessage:
        """Send a command and return the review it leads to (the message with Confirm)."""
        last = self.last_id()
        await self.emulator.inject_text(self.uid, command)
        return await self.wait_review(after=last)

    async def wait_review(self, *, after: int) -> ChatMessage:
        """The next message carrying a Confirm button."""
        return await self.emulator.wait_for(
            self.uid,
            lambda m: m.message_id > after and any(TX.fullmatch(d) for d in m.callback_data()),
        )

    async def press(self, message: ChatMessage, data: str) -> None:
        """Press a button of a bot message by its data."""
        await self.emulator.press_button(self.uid, message.message_id, data=data)

    async def confirm(self, review: ChatMessage) -> ChatMessage:
        """Press Confirm; return the review once it shows something other than "Sending"."""
        tx = transaction_of(review)
        await self.press(review, words.CONFIRM + tx)
        sending = fragment(self.lang, "sending")
        return await self.emulator.wait_for(
            self.uid,
            lambda m: (
                m.message_id == review.message_id
                and TX.search(" ".join(m.callback_data())) is None
                and sending not in m.content
            ),
        )

    async def wait_text(
        self, contains: str, *, after: int = 0, seconds: float = 5.0
    ) -> ChatMessage:
        """The next bot message showing `contains` (edits count)."""
        return await self.emulator.wait_for(
            self.uid, lambda m: m.message_id > after and contains in m.content, timeout=seconds
        )

    def last_id(self) -> int:
        """Id of the latest message of the chat, whoever sent it."""
        found = self.emulator.last_message(self.uid, sender="any")
        return found.message_id if found else 0


def transaction_of(review: ChatMessage) -> str:
    """The payout transaction id behind a review's Confirm button."""
    for data in review.callback_data():
        found = TX.fullmatch(data)
        if found:
            return found.group(1)
    raise AssertionError(f"no confirm button on {review.content!r}")


async def payout_in(bot: Runtime, tx: str, *states: PayoutState, seconds: float = 5.0) -> Payout:
    """Wait until the payout is in one of `states`; return it."""

    async def reached() -> bool:
        payout = await bot.stores.payouts.get(tx)
        return payout is not None and payout.state in states

    await eventually(reached, seconds=seconds, what=f"payout {tx} in {states}")
    payout = await bot.stores.payouts.get(tx)
    assert payout is not None
    return payout


async def settled_outbox(bot: Runtime) -> None:
    """Wait for the sandbox's callbacks and the outbox's deliveries to finish."""
    assert bot.sandbox is not None
    await bot.sandbox.drain()

    async def empty() -> bool:
        return await bot.stores.outbox.backlog() == 0

    await eventually(empty, what="outbox delivered")
