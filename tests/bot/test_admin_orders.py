"""/orders and /order: filters, pages, an order's detail and its buttons."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.admin import FILTER_CODES, FILTER_WORDS, ORDERS_PAGE_SIZE
from bot.app import Runtime, Tuning
from bot.emulator import TelegramEmulator
from bot.emulator.records import ChatMessage
from bot.messages import admin as words
from bot.messages import payment
from bot.messages import shop as shop_words
from payments.phone import parse_phone
from storage import audit
from storage.models import (
    Order,
    OrderFlag,
    OrderState,
    PayinState,
    PayoutKind,
    Product,
)
from tests.bot.admin_support import (
    admin_chat,
    fragment,
    paid_order,
    pay,
    place_order,
    refs,
    start_link,
    text,
)
from tests.bot.checkout_support import Clock, eventually
from tests.bot.conftest import ADMIN_ID, FAST_SANDBOX
from tests.bot.shop_support import Shopper, shop_errors


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tuning(clock: Clock) -> Tuning:
    return Tuning(sandbox=FAST_SANDBOX, reconcile_tick=0.1, clock=clock)


@pytest.fixture(autouse=True)
def _every_update_is_handled(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    assert shop_errors(caplog) == []


async def refund(bot: Runtime, order: Order, amount: int) -> Order:
    """A refund payout that Ligdicash completed, recorded through the payouts store."""
    asked = await bot.stores.payouts.request(
        amount=amount,
        phone="22607123456",
        kind=PayoutKind.MERCHANT,
        requested_by=ADMIN_ID,
        reason="test refund",
        order_id=order.id,
    )
    assert asked.payout is not None, asked.reason
    tx = asked.payout.transaction_id
    await bot.stores.payouts.claim(tx, actor=audit.admin_actor(ADMIN_ID))
    await bot.stores.payouts.mark_pending(tx, token="payout-token")
    done = await bot.stores.payouts.complete(tx, amount=amount)
    assert done.order is not None
    return done.order


async def paid_after_cancel(bot: Runtime, customer_id: int, product: Product) -> Order:
    """An order cancelled while its payment link was open, then paid: flagged."""
    order = await place_order(bot, customer_id, [(product, 1)])
    started = await start_link(bot, order)
    await bot.stores.orders.cancel(order.id, actor=audit.customer_actor(customer_id), why="test")
    assert started.payin.token is not None
    assert bot.sandbox is not None
    await bot.sandbox.pay(started.payin.token, "orange")
    await bot.cashier.check(started.payin.transaction_id)
    flagged = await bot.stores.orders.get(order.id)
    assert flagged is not None
    assert OrderFlag.PAID_AFTER_CANCEL in flagged.flags
    return flagged


def test_every_filter_code_has_a_word_in_both_languages() -> None:
    assert set(FILTER_WORDS.values()) == set(FILTER_CODES)
    assert set(words.FILTER_BUTTONS) == set(FILTER_CODES)


async def test_filters_list_the_orders_they_name(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], clock: Clock
) -> None:
    honey, shea = catalog[1], catalog[0]
    clock.advance(timedelta(days=-3))
    three_days_ago = clock().date()
    old = await paid_order(bot, 501, [(honey, 1)])
    clock.advance(timedelta(days=3))
    paid = await paid_order(bot, 502, [(honey, 2)], "orange_otp")
    waiting = await place_order(bot, 503, [(shea, 1)])
    declined = await place_order(bot, 504, [(shea, 2)])
    customer = await bot.stores.customers.get(504)
    assert customer is not None
    await bot.cashier.start_orange(declined, customer, parse_phone("22607123456"), "111111")
    cancelled = await place_order(bot, 505, [(shea, 3)])
    await bot.stores.orders.cancel(cancelled.id, actor=audit.SYSTEM, why="test")
    expired = await place_order(bot, 506, [(shea, 4)])
    await bot.stores.orders.expire(expired.id)
    refunded = await refund(bot, await paid_order(bot, 507, [(honey, 1)]), honey.price)
    partly = await refund(bot, await paid_order(bot, 508, [(honey, 2)]), 500)
    flagged = await paid_after_cancel(bot, 509, honey)
    assert refunded.state is OrderState.REFUNDED
    assert partly.state is OrderState.PARTIALLY_REFUNDED
    everything = {o.reference for o in (old, paid, waiting, declined, cancelled, expired)} | {
        refunded.reference,
        partly.reference,
        flagged.reference,
    }
    expected: dict[str, set[str]] = {
        "awaiting": {waiting.reference, declined.reference},
        "paid": {old.reference, paid.reference, flagged.reference},
        "failed": {cancelled.reference, expired.reference},
        "refunded": {refunded.reference, partly.reference},
        "today": everything - {old.reference},
        "flagged": {flagged.reference},
        three_days_ago.isoformat(): {old.reference},
        f"{three_days_ago.isoformat()} {clock().date().isoformat()}": everything,
    }
    admin = admin_chat(emulator)
    for argument, wanted in expected.items():
        listing = await admin.say(f"/orders {argument}", expect="page 1")
        shown = set(refs(listing))
        if len(wanted) > ORDERS_PAGE_SIZE:
            assert len(shown) == ORDERS_PAGE_SIZE, argument
            assert shown <= wanted, argument
        else:
            assert shown == wanted, argument
        assert set(order_buttons(listing)) == shown, argument


async def test_filter_buttons_list_orders_in_place(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    paid = await paid_order(bot, 601, [(catalog[0], 1)])
    waiting = await place_order(bot, 602, [(catalog[0], 1)])
    admin = admin_chat(emulator)
    chooser = await admin.say("/orders", expect="page 1")
    chooser, _ = await admin.tap(
        chooser, data=words.ORDER_FILTERS, expect=text("en", "filters_title")
    )
    listing, _ = await admin.tap(chooser, text=words.TEXT("en", "filter_pd"), expect="page 1")
    assert listing.message_id == chooser.message_id
    assert refs(listing) == [paid.reference]
    assert waiting.reference not in listing.content


async def test_orders_page_older_and_back_newer(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    for _ in range(2 * ORDERS_PAGE_SIZE + 3):
        await place_order(bot, 701, [(catalog[0], 1)])
    newest_first = [
        o.reference
        for o in (
            await bot.stores.orders.page(states=[OrderState.AWAITING_PAYMENT], limit=100)
        ).orders
    ]
    admin = admin_chat(emulator)
    first = await admin.say("/orders awaiting", expect="page 1")
    assert refs(first) == newest_first[:ORDERS_PAGE_SIZE]
    older = words.TEXT("en", "btn_older")
    newer = words.TEXT("en", "btn_newer")
    assert newer not in first.button_texts()
    second, _ = await admin.tap(first, text=older, expect="page 2")
    assert refs(second) == newest_first[ORDERS_PAGE_SIZE : 2 * ORDERS_PAGE_SIZE]
    third, _ = await admin.tap(second, text=older, expect="page 3")
    assert refs(third) == newest_first[2 * ORDERS_PAGE_SIZE :]
    assert older not in third.button_texts()
    back, _ = await admin.tap(third, text=newer, expect="page 2")
    assert refs(back) == refs(second)
    top, _ = await admin.tap(back, text=newer, expect="page 1")
    assert refs(top) == newest_first[:ORDERS_PAGE_SIZE]


async def test_flagged_orders_page_by_number(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    flagged = [
        await paid_after_cancel(bot, 800 + n, catalog[1]) for n in range(ORDERS_PAGE_SIZE + 1)
    ]
    admin = admin_chat(emulator)
    first = await admin.say("/orders flagged", expect="page 1")
    second, _ = await admin.tap(first, text=words.TEXT("en", "btn_older"), expect="page 2")
    assert set(refs(first)) | set(refs(second)) == {o.reference for o in flagged}
    assert len(refs(second)) == 1


async def test_unknown_filter_shows_how_to_filter(bot: Runtime, emulator: TelegramEmulator) -> None:
    admin = admin_chat(emulator)
    answer = await admin.say("/orders yesterday-ish", expect=fragment("en", "orders_usage"))
    assert f"{words.ORDER_LIST}pd:0" in answer.callback_data()
    missing = await admin.say("/order LB-ZZZZZZ", expect="not found")
    assert "LB-ZZZZZZ" in missing.content


async def test_order_detail_shows_lines_customer_payins_and_trail(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    honey = catalog[1]
    order = await paid_order(bot, 901, [(honey, 2)], "orange_otp", name="Awa")
    payin = (await bot.stores.payins.for_order(order.id))[0]
    admin = admin_chat(emulator)
    detail = await admin.say(f"/order {order.reference.lower()}", expect=heading(order))
    content = detail.content
    assert honey.name in content
    assert "Awa Ouédraogo" in content
    assert "226 07 XX XX 56" in content
    assert "22607123456" not in content
    assert payment.method_name("en", payin.method) in content
    assert payin.request_id is not None
    assert payin.request_id in content
    assert payin.transaction_id in content
    assert "created from cart" in content  # the audit trail
    assert f"{words.REFUND}{order.reference}" in detail.callback_data()
    assert not any(d.startswith(words.ORDER_CANCEL) for d in detail.callback_data())
    assert not any(d.startswith(words.ORDER_RECHECK) for d in detail.callback_data())
    views = await bot.stores.audit.for_entity("order", order.reference)
    assert any(e.actor == audit.admin_actor(ADMIN_ID) and "viewed" in e.why for e in views)


async def test_recheck_asks_ligdicash_and_settles_a_missed_payment(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    assert bot.sandbox is not None
    order = await place_order(bot, 902, [(catalog[0], 1)])
    started = await start_link(bot, order)
    bot.sandbox.faults.drop_callbacks = True  # paid, but Ligdicash's callback never comes
    assert started.payin.token is not None
    await bot.sandbox.pay(started.payin.token, "orange")
    admin = admin_chat(emulator)
    detail = await admin.say(f"/order {order.reference}", expect=heading(order))
    shown, answer = await admin.tap(
        detail, data=words.ORDER_RECHECK + order.reference, expect=heading(order)
    )
    assert answer.text == words.TEXT(
        "en", "recheck_done", results=shop_words.TEXT("en", "payin_completed")
    )
    after = await bot.stores.orders.get(order.id)
    assert after is not None
    assert after.state is OrderState.PAID
    trail = await bot.stores.audit.for_order(order.id)
    assert any(
        e.actor == audit.admin_actor(ADMIN_ID) and "re-checked with Ligdicash" in e.why
        for e in trail
    )
    assert f"{words.REFUND}{order.reference}" in shown.callback_data()


async def test_cancel_asks_then_cancels_and_tells_the_customer(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    customer = Shopper.create(emulator, "Moussa", language_code="fr")
    order = await place_order(bot, customer.id, [(catalog[0], 1)], name="Moussa")
    admin = admin_chat(emulator)
    detail = await admin.say(f"/order {order.reference}", expect=heading(order))
    ask, _ = await admin.tap(
        detail, data=words.ORDER_CANCEL + order.reference, expect=fragment("en", "confirm_cancel")
    )
    # A double tap on "Yes": both presses arrive before the first one is answered.
    first = await admin.press(ask, data=words.ORDER_CANCEL_YES + order.reference)
    second = await admin.press(ask, data=words.ORDER_CANCEL_YES + order.reference)
    for query in (first, second):
        answer = await emulator.wait_for_callback_answer(query)
        assert answer.text == words.TEXT("en", "order_cancelled", ref=order.reference)
    after = await bot.stores.orders.get(order.id)
    assert after is not None
    assert after.state is OrderState.CANCELLED
    trail = await bot.stores.audit.for_order(order.id)
    cancels = [e for e in trail if e.to_state == "cancelled"]
    assert [e.actor for e in cancels] == [audit.admin_actor(ADMIN_ID)]
    done = admin.current(ask)
    assert not any(d.startswith(words.ORDER_CANCEL) for d in done.callback_data())
    notice = fragment("fr", "customer_cancelled")
    await emulator.wait_for_message(customer.id, contains=notice)
    await eventually(lambda: nothing_queued(bot), what="outbox delivered")
    assert sum(notice in m.content for m in emulator.messages(customer.id)) == 1


async def test_an_order_paid_meanwhile_cannot_be_cancelled(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    order = await place_order(bot, 903, [(catalog[0], 1)])
    admin = admin_chat(emulator)
    detail = await admin.say(f"/order {order.reference}", expect=heading(order))
    await pay(bot, order)
    # The button was drawn while the order waited; it is refused now that it is paid.
    answer = await admin.tap_for_answer(detail, data=words.ORDER_CANCEL + order.reference)
    assert answer.text == words.TEXT("en", "cannot_cancel")
    assert answer.show_alert
    after = await bot.stores.orders.get(order.id)
    assert after is not None
    assert after.state is OrderState.PAID
    fresh = await admin.say(f"/order {order.reference}", expect=heading(order))
    assert not any(d.startswith(words.ORDER_CANCEL) for d in fresh.callback_data())


async def test_clearing_a_flag_records_who_handled_it(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    order = await paid_after_cancel(bot, 905, catalog[1])
    admin = admin_chat(emulator)
    detail = await admin.say(f"/order {order.reference}", expect=heading(order))
    data = f"{words.ORDER_CLEAR_FLAG}{order.reference}:{OrderFlag.PAID_AFTER_CANCEL.value}"
    shown, answer = await admin.tap(detail, data=data, expect=heading(order))
    assert answer.text == words.TEXT(
        "en", "flag_cleared", flag=words.TEXT("en", "flag_paid_after_cancel")
    )
    after = await bot.stores.orders.get(order.id)
    assert after is not None
    assert after.flags == frozenset()
    assert data not in shown.callback_data()
    trail = await bot.stores.audit.for_order(order.id)
    assert any(
        e.actor == audit.admin_actor(ADMIN_ID) and "cleared paid_after_cancel" in e.why
        for e in trail
    )
    assert (await bot.stores.payins.for_order(order.id))[0].state is PayinState.COMPLETED


async def nothing_queued(bot: Runtime) -> bool:
    """Whether the outbox delivered everything queued."""
    return await bot.stores.outbox.backlog() == 0


def heading(order: Order) -> str:
    """What only the admin's detail of this order shows."""
    return text("en", "order_head", ref=order.reference, state="").strip()


def order_buttons(message: ChatMessage) -> list[str]:
    """References of the order buttons of a listing."""
    return [
        d.removeprefix(words.ORDER) for d in message.callback_data() if d.startswith(words.ORDER)
    ]


async def test_a_huge_order_is_shortened_to_fit_one_message(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    many = [
        await bot.stores.products.add(
            name=f"Produit <{n:03}> & " + "x" * 80, price=100 + n, actor=audit.SYSTEM
        )
        for n in range(60)
    ]
    order = await place_order(bot, 906, [(product, 1) for product in many])
    admin = admin_chat(emulator)
    detail = await admin.say(f"/order {order.reference}", expect=heading(order))
    assert len(detail.content) <= 4096
    assert "Produit <000> & " in detail.content  # escaped in HTML, shown as named
    assert "…" in detail.content
    assert detail.callback_data()[-2:] == [words.ORDER_FILTERS, words.MENU]
