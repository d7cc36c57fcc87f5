"""/stats (figures and the revenue chart) and /export (CSV files), checked against the data."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image

from bot import charts, exports
from bot.app import Runtime, Tuning
from bot.emulator import ChatMessage, TelegramEmulator
from bot.i18n import money
from bot.messages import admin as words
from bot.messages import payment
from bot.periods import named
from storage import audit
from storage.models import AuditEntry, Order, PayinMethod, PayoutKind, Product
from tests.bot.admin_support import admin_chat, fragment, paid_order, place_order, text
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


@dataclass(frozen=True)
class Shop:
    """The orders of the tests: four paid today (one partly refunded), one waiting, one old."""

    today: date
    old_day: date
    honey_twice: Order  # link, Orange: 7,000
    shea_otp: Order  # Orange OTP: 2,500
    shea_moov: Order  # link, Moov: 5,000
    refunded: Order  # link, Orange: 3,500, 500 refunded
    waiting: Order  # 2,500, unpaid
    old: Order  # three days ago, link, Orange: 12,000


@pytest.fixture
async def shop(bot: Runtime, catalog: list[Product], clock: Clock) -> Shop:
    shea, honey, cloth = catalog[0], catalog[1], catalog[4]
    clock.advance(timedelta(days=-3))
    old = await paid_order(bot, 1001, [(cloth, 1)])
    old_day = clock().date()
    clock.advance(timedelta(days=3))
    honey_twice = await paid_order(bot, 1002, [(honey, 2)])
    shea_otp = await paid_order(bot, 1003, [(shea, 1)], "orange_otp")
    shea_moov = await paid_order(bot, 1004, [(shea, 2)], "link_moov")
    refunded = await paid_order(bot, 1005, [(honey, 1)], name="=SUM(A1)")
    asked = await bot.stores.payouts.request(
        amount=500,
        phone="22607123456",
        kind=PayoutKind.MERCHANT,
        requested_by=ADMIN_ID,
        reason="one jar broken",
        order_id=refunded.id,
    )
    assert asked.payout is not None
    tx = asked.payout.transaction_id
    await bot.stores.payouts.claim(tx, actor=audit.admin_actor(ADMIN_ID))
    await bot.stores.payouts.mark_pending(tx, token="payout-token")
    done = await bot.stores.payouts.complete(tx, amount=500)
    assert done.order is not None
    waiting = await place_order(bot, 1006, [(shea, 1)])
    return Shop(clock().date(), old_day, honey_twice, shea_otp, shea_moov, done.order, waiting, old)


async def operators(bot: Runtime, *orders: Order) -> dict[str, tuple[int, int]]:
    """Revenue and payments per operator, summed from the orders' completed payins."""
    found: dict[str, tuple[int, int]] = {}
    for order in orders:
        for payin in await bot.stores.payins.for_order(order.id):
            if payin.completed_at is not None:
                revenue, count = found.get(payin.operator or "", (0, 0))
                found[payin.operator or ""] = (revenue + payin.amount, count + 1)
    return found


async def stats_and_chart(admin: Shopper, command: str) -> tuple[ChatMessage, ChatMessage]:
    """Send a /stats command; return the figures message and the chart photo."""
    figures = await admin.say(command, expect=fragment("en", "stats"))
    chart = await admin.emulator.wait_for(
        admin.id, lambda m: m.photo is not None and m.message_id > figures.message_id
    )
    return figures, chart


async def recorded(bot: Runtime, entity: str, entity_id: str, actor: str) -> AuditEntry:
    """The one audit entry of an admin action (written once its answer is sent)."""

    async def written() -> bool:
        return bool(await bot.stores.audit.for_entity(entity, entity_id))

    await eventually(written, what=f"audit of {entity} {entity_id}")
    entries = await bot.stores.audit.for_entity(entity, entity_id)
    assert [e.actor for e in entries] == [actor]
    return entries[0]


def bars(png: bytes) -> list[int]:
    """The heights in pixels of the chart's bars, left to right."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    columns = [sum(1 for y in range(height) if pixels[x, y] == charts.BAR) for x in range(width)]
    found: list[int] = []
    previous = 0
    for column in columns:
        if column and not previous:
            found.append(column)
        elif column:
            found[-1] = max(found[-1], column)
        previous = column
    return found


async def test_stats_for_today_match_the_orders(
    bot: Runtime, emulator: TelegramEmulator, shop: Shop
) -> None:
    admin = admin_chat(emulator)
    figures, chart = await stats_and_chart(admin, "/stats today")
    paid_today = (shop.honey_twice, shop.shea_otp, shop.shea_moov, shop.refunded)
    revenue = sum(order.total for order in paid_today)
    assert revenue == 7000 + 2500 + 5000 + 3500
    head = text(
        "en",
        "stats",
        period=words.period_name("en", named("today", shop.today)),
        revenue=money(revenue, "en"),
        payins=4,
        paid_orders=4,
        basket=money(revenue // 4, "en"),
        created_paid=4,
        created=5,
        conversion="80.0 %",
        refunds=money(500, "en"),
        refunds_count=1,
    )
    assert figures.content.startswith(head)
    link = payment.method_name("en", PayinMethod.LINK)
    otp = payment.method_name("en", PayinMethod.ORANGE_OTP)
    assert f"• {link}: {money(7000 + 5000 + 3500, 'en')} (3)" in figures.content
    assert f"• {otp}: {money(2500, 'en')} (1)" in figures.content
    for name, (amount, count) in (await operators(bot, *paid_today)).items():
        assert f"• {name}: {money(amount, 'en')} ({count})" in figures.content
    assert chart.photo is not None
    image = Image.open(io.BytesIO(chart.photo.data))
    assert image.format == "PNG"
    assert image.size == (charts.WIDTH, charts.HEIGHT)
    assert len(bars(chart.photo.data)) == 1
    await recorded(bot, "stats", "today", audit.admin_actor(ADMIN_ID))


async def test_stats_for_seven_days_chart_one_bar_per_day_with_money(
    bot: Runtime, emulator: TelegramEmulator, shop: Shop
) -> None:
    admin = admin_chat(emulator)
    figures, chart = await stats_and_chart(admin, "/stats 7d")
    revenue = 18000 + 12000
    assert f"Revenue: {money(revenue, 'en')} (5 payments)" in figures.content
    assert "Paid orders: 5 · average basket " + money(6000, "en") in figures.content
    assert "5 paid of 6 created (83.3 %)" in figures.content
    assert chart.photo is not None
    old, today = bars(chart.photo.data)
    # Bars are proportional to the day's revenue (to a pixel or two of rounding).
    assert abs(old / today - 12000 / 18000) < 0.02


async def test_stats_of_an_empty_period_draw_an_empty_chart(
    bot: Runtime, emulator: TelegramEmulator, shop: Shop
) -> None:
    admin = admin_chat(emulator)
    figures, chart = await stats_and_chart(admin, "/stats 2020-01-01 2020-01-31")
    assert f"Revenue: {money(0, 'en')} (0 payments)" in figures.content
    assert chart.photo is not None
    assert bars(chart.photo.data) == []
    assert Image.open(io.BytesIO(chart.photo.data)).format == "PNG"


async def test_stats_periods_from_buttons_and_a_bad_period(
    bot: Runtime, emulator: TelegramEmulator, shop: Shop
) -> None:
    admin = admin_chat(emulator)
    bad = await admin.say("/stats last-year", expect=fragment("en", "period_usage"))
    month = words.TEXT("en", "period_month")
    query = await admin.press(bad, text=month)
    await emulator.wait_for_callback_answer(query)
    figures = await emulator.wait_for_message(
        admin.id, contains=fragment("en", "stats"), after=bad.message_id
    )
    assert month in figures.content
    await emulator.wait_for(
        admin.id, lambda m: m.photo is not None and m.message_id > figures.message_id
    )


def read_csv(message: ChatMessage) -> list[dict[str, str]]:
    """A CSV document as a spreadsheet would read it: BOM, ';' separated, header first."""
    assert message.document is not None
    data = message.document.data
    assert data.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";")
    return list(reader)


def instant(cell: str) -> datetime:
    """An exported instant, which must be ISO 8601 in UTC."""
    assert cell.endswith("Z"), cell
    moment = datetime.fromisoformat(cell)
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)
    return moment.astimezone(UTC)


async def test_export_sends_orders_and_payments_as_csv(
    bot: Runtime, emulator: TelegramEmulator, shop: Shop
) -> None:
    admin = admin_chat(emulator)
    sent = await admin.say("/export today", expect=fragment("en", "export_orders"))
    payments_file = await emulator.wait_for_message(
        admin.id, contains=fragment("en", "export_payments"), after=sent.message_id
    )
    assert sent.document is not None
    assert payments_file.document is not None
    day = shop.today.isoformat()
    assert sent.document.file_name == f"orders_{day}_{day}.csv"
    assert payments_file.document.file_name == f"payments_{day}_{day}.csv"

    orders = read_csv(sent)
    assert list(orders[0]) == list(exports.ORDER_COLUMNS)
    expected = {
        o.reference: o
        for o in (shop.honey_twice, shop.shea_otp, shop.shea_moov, shop.refunded, shop.waiting)
    }
    assert [row["reference"] for row in orders] == sorted(
        expected, key=lambda ref: (expected[ref].created_at, expected[ref].id)
    )
    for row in orders:
        order = expected[row["reference"]]
        assert int(row["total"]) == order.total
        assert int(row["paid_amount"]) == order.paid_amount
        assert int(row["refunded_amount"]) == order.refunded_amount
        assert row["state"] == order.state.value
        assert instant(row["created_at"]) == order.created_at.replace(microsecond=0)
        assert (row["paid_at"] == "") == (order.paid_at is None)
    refunded = next(r for r in orders if r["reference"] == shop.refunded.reference)
    # A name that a spreadsheet would run as a formula is defused; accents survive.
    assert refunded["customer_name"] == "'=SUM(A1) Ouédraogo"
    assert int(refunded["refunded_amount"]) == 500
    assert f"{sent.caption}".endswith("5 rows")

    payments = read_csv(payments_file)
    assert list(payments[0]) == list(exports.PAYMENT_COLUMNS)
    payins = [r for r in payments if r["direction"] == "payin"]
    payouts = [r for r in payments if r["direction"] == "payout"]
    assert sorted(int(r["amount"]) for r in payins) == [2500, 3500, 5000, 7000]
    assert all(r["state"] == "completed" and r["request_id"] for r in payins)
    assert [(r["order_reference"], int(r["amount"]), r["state"]) for r in payouts] == [
        (shop.refunded.reference, 500, "completed")
    ]
    for row in payments:
        instant(row["created_at"])
    entry = await recorded(bot, "export", "today", audit.admin_actor(ADMIN_ID))
    assert "5 orders and 5 payments" in entry.why


async def test_export_of_a_date_range_from_the_menu(
    bot: Runtime, emulator: TelegramEmulator, shop: Shop
) -> None:
    admin = admin_chat(emulator)
    menu = await admin.say("/admin", expect=text("en", "menu"))
    periods, _ = await admin.tap(
        menu, text=words.TEXT("en", "btn_export"), expect=text("en", "period_title_export")
    )
    answer = await admin.tap_for_answer(periods, text=words.TEXT("en", "period_7d"))
    assert answer.text == words.TEXT("en", "export_preparing")
    sent = await emulator.wait_for_message(
        admin.id, contains=fragment("en", "export_orders"), after=periods.message_id
    )
    references = {row["reference"] for row in read_csv(sent)}
    assert shop.old.reference in references
    assert len(references) == 6
    one_day = await admin.say(
        f"/export {shop.old_day.isoformat()}", expect=fragment("en", "export_orders")
    )
    assert [row["reference"] for row in read_csv(one_day)] == [shop.old.reference]
