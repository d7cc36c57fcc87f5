"""/broadcast: preview, confirm, Telegram's pace under a 429 storm, blocked customers, stop."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.app import Runtime, Tuning, running
from bot.emulator import ChatMessage, FloodLimits, TelegramEmulator
from bot.messages import admin as words
from bot.settings import Settings
from storage.models import BroadcastState
from tests.bot.admin_support import admin_chat, fragment, plain, text
from tests.bot.conftest import ADMIN_ID
from tests.bot.shop_support import Shopper, shop_errors

# Unusual enough that nothing else the bot says contains it; '<' and '&' must arrive as typed.
NEWS = "Promo <Tabaski> : -10 % sur le karité & le miel jusqu'à dimanche !"


@pytest.fixture(autouse=True)
def _every_update_is_handled(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    assert shop_errors(caplog) == []


async def customers(bot: Runtime, emulator: TelegramEmulator, count: int) -> list[int]:
    """Customers the shop knows (they talked to the bot), as emulator users."""
    ids = []
    for n in range(count):
        user = emulator.create_user(f"Client{n}", language_code="fr")
        await bot.stores.customers.seen(user.id, first_name=user.first_name, language="fr")
        ids.append(user.id)
    return ids


def received(emulator: TelegramEmulator, chat_id: int) -> int:
    """How many copies of the broadcast a chat got."""
    return sum(m.content == NEWS for m in emulator.messages(chat_id))


def too_many_requests(emulator: TelegramEmulator) -> int:
    return sum(1 for call in emulator.calls() if call.status == 429)


async def preview(admin: Shopper) -> ChatMessage:
    """/broadcast, then the text: return the preview."""
    await admin.say("/broadcast", expect=fragment("en", "ask_broadcast"))
    shown = await admin.say(NEWS, expect=fragment("en", "broadcast_preview"))
    assert NEWS in shown.content
    return shown


def status_texts(emulator: TelegramEmulator, message_id: int) -> list[str]:
    """Every text the admin's progress message showed, in order."""
    texts: list[str] = []
    for event in emulator.events():
        data = event.data
        if (
            event.kind == "message"
            and data.get("chat_id") == ADMIN_ID
            and data.get("message_id") == message_id
            and (not texts or texts[-1] != data.get("text"))
        ):
            texts.append(str(data.get("text")))
    return texts


async def test_preview_then_cancel_sends_nothing(bot: Runtime, emulator: TelegramEmulator) -> None:
    others = await customers(bot, emulator, 3)
    admin = admin_chat(emulator)
    shown = await preview(admin)
    assert fragment("en", "broadcast_preview") in shown.content
    assert "4 customers" in shown.content
    dropped, _ = await admin.tap(
        shown, text=words.TEXT("en", "btn_discard"), expect=text("en", "broadcast_discarded")
    )
    assert await bot.stores.broadcasts.sending() == ()
    assert all(received(emulator, chat) == 0 for chat in others)
    assert dropped.message_id == shown.message_id
    assert not any(d.startswith(words.BROADCAST_SEND) for d in dropped.callback_data())


@pytest.mark.slow
async def test_broadcast_reaches_every_reachable_customer_once_through_a_429_storm(
    bot: Runtime, emulator: TelegramEmulator
) -> None:
    everyone = await customers(bot, emulator, 300)
    blocked = everyone[::15]
    assert len(blocked) == 20
    for chat in blocked:
        await emulator.block(chat)
    admin = admin_chat(emulator)
    shown = await preview(admin)
    emulator.flood_limits = FloodLimits()  # Telegram's: 30/s overall, about 1/s per chat
    started = time.monotonic()
    confirmed, _ = await admin.tap(
        shown, text=words.TEXT("en", "btn_send"), expect=fragment("en", "broadcast_confirmed")
    )
    status = await emulator.wait_for_message(
        admin.id, contains="Broadcast no. 1 sending", after=confirmed.message_id
    )
    assert "Remaining: 301 of 301" in status.content  # 300 customers and the admin

    def delivered() -> int:
        return sum(1 for call in emulator.calls("sendMessage") if call.status == 200)

    await emulator.wait_until(lambda: delivered() >= 120, timeout=15, what="120 sent")
    # Every call answered 429 for three seconds: each probe the sender makes is refused.
    emulator.start_storm(retry_after=1, seconds=3)
    report = await emulator.wait_for(
        admin.id,
        lambda m: m.message_id == status.message_id and "finished" in m.content,
        timeout=30,
    )
    took = time.monotonic() - started

    reachable = [chat for chat in everyone if chat not in blocked]
    assert [received(emulator, chat) for chat in reachable] == [1] * len(reachable)
    assert all(received(emulator, chat) == 0 for chat in blocked)
    assert received(emulator, ADMIN_ID) == 1
    assert plain(words.broadcast_message(NEWS).text) == NEWS
    assert too_many_requests(emulator) >= 1
    for chat in blocked:
        customer = await bot.stores.customers.get(chat)
        assert customer is not None
        assert customer.blocked
    expected = text(
        "en",
        "broadcast_finished",
        id=1,
        sent=len(reachable) + 1,
        total=301,
        failed=0,
        skipped=len(blocked),
    )
    assert report.content == expected
    shown_counts = status_texts(emulator, status.message_id)
    # At least one edit between the first count and the report, with work left to do.
    assert any("Remaining: " in t and "Remaining: 0 " not in t for t in shown_counts[1:-1])
    progress = await bot.stores.broadcasts.progress(1)
    assert progress is not None
    assert progress.state is BroadcastState.FINISHED
    assert 9.5 < took < 30, took  # 301 messages at Telegram's 30/s, plus the storm's pause


async def test_stop_cancels_what_is_not_sent_yet(bot: Runtime, emulator: TelegramEmulator) -> None:
    everyone = await customers(bot, emulator, 150)
    admin = admin_chat(emulator)
    shown = await preview(admin)
    emulator.flood_limits = FloodLimits()
    confirmed, _ = await admin.tap(
        shown, text=words.TEXT("en", "btn_send"), expect=fragment("en", "broadcast_confirmed")
    )
    status = await emulator.wait_for_message(
        admin.id, contains="Broadcast no. 1 sending", after=confirmed.message_id
    )
    await emulator.wait_until(
        lambda: sum(received(emulator, chat) for chat in everyone) >= 20, timeout=10
    )
    answer = await admin.tap_for_answer(status, data=f"{words.BROADCAST_STOP}1")
    assert answer.text is not None
    assert "Broadcast stopped" in answer.text
    report = await emulator.wait_for(
        admin.id,
        lambda m: m.message_id == status.message_id and "stopped" in m.content,
        timeout=10,
    )
    # Let the messages already on their way finish; nothing else may leave.
    await bot.outbox.stop()
    progress = await bot.stores.broadcasts.progress(1)
    assert progress is not None
    assert progress.state is BroadcastState.CANCELLED
    assert progress.remaining == 0
    assert progress.cancelled > 0
    got = sum(received(emulator, chat) for chat in [*everyone, ADMIN_ID])
    assert progress.sent <= got < progress.recipients
    assert all(received(emulator, chat) <= 1 for chat in everyone)
    assert f"not sent: {progress.cancelled}" in report.content
    trail = await bot.stores.audit.for_entity("broadcast", 1)
    assert [e.to_state for e in trail] == ["sending", "cancelled"]
    assert trail[-1].actor == f"admin:{ADMIN_ID}"


async def test_a_second_tap_on_send_sends_once(bot: Runtime, emulator: TelegramEmulator) -> None:
    others = await customers(bot, emulator, 3)
    admin = admin_chat(emulator)
    shown = await preview(admin)
    first = await admin.press(shown, text=words.TEXT("en", "btn_send"))
    second = await admin.press(shown, text=words.TEXT("en", "btn_send"))
    await emulator.wait_for_callback_answer(first)
    refused = await emulator.wait_for_callback_answer(second)
    assert refused.text == words.TEXT("en", "broadcast_stale")
    await emulator.wait_for(
        admin.id, lambda m: "finished" in m.content and "Broadcast no. 1" in m.content
    )
    assert [received(emulator, chat) for chat in others] == [1, 1, 1]
    assert len(await bot.stores.audit.for_entity("broadcast", 2)) == 0


async def test_a_restart_mid_broadcast_resumes_delivery_and_the_report(
    bot_settings: Settings, tuning: Tuning, emulator: TelegramEmulator
) -> None:
    admin = admin_chat(emulator)
    async with running(bot_settings, tuning) as first:
        everyone = await customers(first, emulator, 90)
        shown = await preview(admin)
        emulator.flood_limits = FloodLimits()
        confirmed, _ = await admin.tap(
            shown, text=words.TEXT("en", "btn_send"), expect=fragment("en", "broadcast_confirmed")
        )
        status = await emulator.wait_for_message(
            admin.id, contains="Broadcast no. 1 sending", after=confirmed.message_id
        )
        await emulator.wait_until(
            lambda: sum(received(emulator, chat) for chat in everyone) >= 20, timeout=10
        )
    assert sum(received(emulator, chat) for chat in everyone) < len(everyone)
    async with running(bot_settings, tuning) as second:
        report = await emulator.wait_for(
            admin.id,
            lambda m: m.message_id == status.message_id and "finished" in m.content,
            timeout=15,
        )
        assert [received(emulator, chat) for chat in everyone] == [1] * len(everyone)
        assert report.content == text(
            "en", "broadcast_finished", id=1, sent=91, total=91, failed=0, skipped=0
        )
        progress = await second.stores.broadcasts.progress(1)
        assert progress is not None
        assert progress.state is BroadcastState.FINISHED
