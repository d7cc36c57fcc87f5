"""The outbox sender keeps Telegram's pace and loses nothing to 429s or network outages."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.emulator import EmulatorConfig, FloodLimits, TelegramEmulator
from bot.outbox import OutboxSender
from storage import Database, Stores
from storage.models import OutboxState
from tests.bot.outbox_support import (
    FaultyLink,
    bot_for,
    bot_texts,
    enqueue_texts,
    open_shop,
    outbox_rows,
    states,
)


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[Stores]:
    async with open_shop(tmp_path) as opened:
        yield opened


class SteppedClock:
    """The database's clock: real time, moved forward on demand."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, step: timedelta) -> None:
        self._offset += step


def too_many_requests(emulator: TelegramEmulator) -> int:
    return sum(1 for call in emulator.calls() if call.status == 429)


async def test_storm_delays_every_message_and_loses_none(
    stores: Stores, emulator: TelegramEmulator
) -> None:
    users = [emulator.create_user(f"U{n}") for n in range(10)]
    for user in users:
        await enqueue_texts(stores, user.id, "reçu", "merci")
    async with bot_for(emulator) as bot:
        # One attempt only: a 429 must not use it up.
        sender = OutboxSender(stores.outbox, bot, chat_interval=0.05, max_attempts=1)
        emulator.start_storm(retry_after=1, seconds=1.0)
        await sender.start()
        try:
            await emulator.wait_until(
                lambda: emulator.count("sendMessage") - too_many_requests(emulator) >= 20,
                timeout=8,
            )
        finally:
            await sender.stop()

    for user in users:
        assert bot_texts(emulator, user.id) == ["reçu", "merci"]
    assert await states(stores) == [OutboxState.SENT] * 20
    assert too_many_requests(emulator) > 0
    assert sender.counts.flood_waits > 0
    assert sender.counts.failed == 0


async def test_network_outage_is_retried_later_and_delivered_once(
    stores: Stores, emulator: TelegramEmulator
) -> None:
    awa = emulator.create_user("Awa")
    await enqueue_texts(stores, awa.id, "reçu", "merci")
    async with FaultyLink(emulator) as link, bot_for(emulator, url=link.url) as bot:
        sender = OutboxSender(stores.outbox, bot, chat_interval=0.05)
        link.cut()
        await sender.start()
        try:
            async with asyncio.timeout(5):
                await link.refused_once.wait()
            link.restore()
            await emulator.wait_until(lambda: emulator.count("sendMessage") >= 2, timeout=5)
        finally:
            await sender.stop()

    assert bot_texts(emulator, awa.id) == ["reçu", "merci"]
    assert await states(stores) == [OutboxState.SENT] * 2
    assert sender.counts.retried >= 1


async def test_network_errors_fail_a_message_for_good_after_max_attempts(
    stores: Stores, emulator: TelegramEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    awa = emulator.create_user("Awa")
    await enqueue_texts(stores, awa.id, "reçu")
    async with FaultyLink(emulator) as link, bot_for(emulator, url=link.url) as bot:
        sender = OutboxSender(stores.outbox, bot, max_attempts=2)
        link.cut()
        with caplog.at_level(logging.WARNING, logger="bot.outbox"):
            assert await sender.deliver_due() == 0

    [row] = await outbox_rows(stores)
    assert row.state == OutboxState.FAILED
    assert row.last_error is not None
    assert row.last_error.startswith("NetworkError")
    assert link.refused >= 2
    assert sender.counts.retried == 1
    [line] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"outbox {row.id} to chat {awa.id}: failed for good after 2 attempts" in line.message


async def test_hundred_chats_get_their_messages_at_telegrams_pace_without_a_429(
    stores: Stores,
) -> None:
    async with TelegramEmulator(EmulatorConfig(flood=FloodLimits())) as emulator:
        users = [emulator.create_user(f"U{n}") for n in range(100)]
        for user in users:
            await enqueue_texts(stores, user.id, "reçu")
        async with bot_for(emulator) as bot:
            sender = OutboxSender(stores.outbox, bot)
            started = time.perf_counter()
            assert await sender.deliver_due() == 100
            elapsed = time.perf_counter() - started

        assert too_many_requests(emulator) == 0
        assert all(bot_texts(emulator, user.id) == ["reçu"] for user in users)
    # 100 messages at 30/s cannot take less than 99/30 s = 3.3 s.
    assert elapsed >= 2.5


async def test_one_chat_gets_its_messages_one_interval_apart_without_a_429(
    stores: Stores,
) -> None:
    strict = FloodLimits(chat_rate=5.0, chat_burst=1)
    async with TelegramEmulator(EmulatorConfig(flood=strict)) as emulator:
        awa = emulator.create_user("Awa")
        texts = [f"message {n}" for n in range(6)]
        await enqueue_texts(stores, awa.id, *texts)
        async with bot_for(emulator) as bot:
            sender = OutboxSender(stores.outbox, bot, chat_interval=0.25)
            started = time.perf_counter()
            assert await sender.deliver_due() == 6
            elapsed = time.perf_counter() - started

        assert too_many_requests(emulator) == 0
        assert bot_texts(emulator, awa.id) == texts
    assert elapsed >= 5 * 0.25 * 0.9


async def test_message_held_past_its_lease_is_sent_once(tmp_path: Path) -> None:
    clock = SteppedClock()
    async with (
        Database.open(tmp_path / "shop.sqlite3", clock=clock) as db,
        TelegramEmulator() as emulator,
        bot_for(emulator) as bot,
    ):
        stores = Stores.over(db)
        awa = emulator.create_user("Awa")
        await enqueue_texts(stores, awa.id, "reçu")
        sender = OutboxSender(stores.outbox, bot)
        emulator.start_storm(retry_after=1, calls=1)
        await sender.start()
        try:
            await emulator.wait_for_call("sendMessage", predicate=lambda call: call.status == 429)
            # The sender holds the message through the pause while its lease runs out.
            clock.advance(timedelta(hours=1))
            sender.wake()
            await emulator.wait_for_message(awa.id, contains="reçu", timeout=3)
            await enqueue_texts(stores, awa.id, "merci", tag="later")
            sender.wake()
            await emulator.wait_for_message(awa.id, contains="merci", timeout=3)
        finally:
            await sender.stop()

        assert bot_texts(emulator, awa.id) == ["reçu", "merci"]
