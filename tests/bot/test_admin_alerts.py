"""Admins hear about the bot's own errors: logged first, then one alert per type per 10 minutes."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from telegram.ext import CallbackContext

from bot.alerts import ALERT_WINDOW, ErrorAlerts
from bot.app import Runtime, Tuning
from bot.emulator import TelegramEmulator
from bot.identity import Visitors
from bot.messages import admin as words
from tests.bot.admin_support import admin_chat, fragment
from tests.bot.checkout_support import Clock, eventually
from tests.bot.conftest import ADMIN_ID, FAST_SANDBOX
from tests.bot.shop_support import Shopper

ALERT = fragment("en", "error_alert")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tuning(clock: Clock) -> Tuning:
    return Tuning(sandbox=FAST_SANDBOX, reconcile_tick=0.1, clock=clock)


def alerts_to_admin(emulator: TelegramEmulator) -> list[str]:
    return [m.content for m in emulator.messages(ADMIN_ID) if ALERT in m.content]


async def fail_one_update(
    emulator: TelegramEmulator, customer: Shopper, caplog: pytest.LogCaptureFixture
) -> None:
    """The customer's /start fails: Telegram refuses the bot's two sends (answer, apology)."""
    handled = len(alert_decisions(caplog))
    emulator.start_storm(retry_after=1, calls=2, methods=["sendMessage"])
    await emulator.inject_text(customer.id, "/start")

    async def decided() -> bool:
        return len(alert_decisions(caplog)) > handled

    await eventually(decided, what="the alert handler ran")


def alert_decisions(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the alert handler decided for each error: alerted, or held back."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.alerts" and r.getMessage().startswith("admin alert about")
    ]


async def nothing_queued(bot: Runtime) -> bool:
    return await bot.stores.outbox.backlog() == 0


async def test_a_failed_update_is_logged_then_alerted_once_per_window(
    bot: Runtime,
    emulator: TelegramEmulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    admin = admin_chat(emulator)
    await admin.say("/admin", expect="What would you like to do?")
    customer = Shopper.create(emulator, "Awa")
    await fail_one_update(emulator, customer, caplog)
    first = await emulator.wait_for_message(ADMIN_ID, contains=ALERT)
    assert "RetryAfter" in first.content
    logged = [r.getMessage() for r in caplog.records]
    failed_at = next(i for i, m in enumerate(logged) if "handling update" in m)
    alerted_at = next(i for i, m in enumerate(logged) if m.endswith("queued (update 2)"))
    assert failed_at < alerted_at  # the error handler logs first, then alerts

    await fail_one_update(emulator, customer, caplog)
    await eventually(lambda: nothing_queued(bot), what="outbox delivered")
    assert sum("handling update" in r.getMessage() for r in caplog.records) == 2
    assert len(alerts_to_admin(emulator)) == 1  # the same error type, within the window

    clock.advance(ALERT_WINDOW + timedelta(seconds=1))
    await fail_one_update(emulator, customer, caplog)
    await emulator.wait_until(lambda: len(alerts_to_admin(emulator)) == 2, what="second alert")
    second = alerts_to_admin(emulator)[-1]
    assert words.TEXT("en", "error_left_out", count=1).strip() in second


async def test_each_error_type_has_its_own_window_and_numbers_are_masked(
    bot: Runtime, emulator: TelegramEmulator, clock: Clock
) -> None:
    admin = admin_chat(emulator)
    await admin.say("/admin", expect="What would you like to do?")
    alerts = ErrorAlerts(
        stores=bot.stores,
        visitors=Visitors(bot.stores.customers, "fr", (ADMIN_ID,)),
        wake_outbox=bot.outbox.wake,
        clock=clock,
    )
    context: CallbackContext = CallbackContext(bot.application)  # type: ignore[type-arg]
    for error in (
        ValueError("bad number 22607123456"),
        ValueError("again"),
        KeyError("missing"),
    ):
        context.error = error
        await alerts.on_error(None, context)
    await emulator.wait_until(lambda: len(alerts_to_admin(emulator)) == 2, what="two alerts")
    await eventually(lambda: nothing_queued(bot), what="outbox delivered")
    value_error, key_error = alerts_to_admin(emulator)
    assert "ValueError" in value_error
    assert "22607XXXX56" in value_error
    assert "22607123456" not in value_error
    assert "KeyError" in key_error
    assert len(alerts_to_admin(emulator)) == 2


async def test_no_admin_means_no_alert(bot: Runtime, emulator: TelegramEmulator) -> None:
    alerts = ErrorAlerts(
        stores=bot.stores,
        visitors=Visitors(bot.stores.customers, "fr", ()),
        wake_outbox=bot.outbox.wake,
    )
    context: CallbackContext = CallbackContext(bot.application)  # type: ignore[type-arg]
    context.error = RuntimeError("boom")
    await alerts.on_error(None, context)
    assert await bot.stores.outbox.backlog() == 0
