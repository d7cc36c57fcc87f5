"""The outbox sender delivers each queued message once, in order, and settles every failure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot

from bot.emulator import TelegramEmulator, User
from bot.outbox import EDIT, MESSAGE, OutboxSender, new_edit, new_message
from bot.reply import Button, Reply
from storage import Stores
from storage.models import NewMessage, OutboxState
from tests.bot.emulator_support import tiny_png
from tests.bot.outbox_support import (
    bot_for,
    bot_texts,
    enqueue_texts,
    open_shop,
    outbox_rows,
    states,
)

SENT = OutboxState.SENT


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[Stores]:
    async with open_shop(tmp_path) as opened:
        yield opened


@pytest.fixture
async def telegram(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    """A bare python-telegram-bot Bot on the emulator (the conftest's `bot` is the whole bot)."""
    async with bot_for(emulator) as started:
        yield started


def sender_for(stores: Stores, telegram: Bot, *, chat_interval: float = 0.05) -> OutboxSender:
    """A sender with a short per-chat interval, so that tests stay fast."""
    return OutboxSender(stores.outbox, telegram, chat_interval=chat_interval)


async def customer(
    stores: Stores, emulator: TelegramEmulator, name: str, *, started: bool = True
) -> User:
    user = emulator.create_user(name, started=started)
    await stores.customers.seen(user.id, first_name=name, language="fr")
    return user


async def test_queued_messages_are_delivered_once_each_in_order_per_chat(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot
) -> None:
    awa, ali = emulator.create_user("Awa"), emulator.create_user("Ali")
    await enqueue_texts(stores, awa.id, "un", "deux", "trois", "quatre")
    await enqueue_texts(stores, ali.id, "one", "two", "three")

    sent = await sender_for(stores, telegram).deliver_due()

    assert sent == 7
    assert bot_texts(emulator, awa.id) == ["un", "deux", "trois", "quatre"]
    assert bot_texts(emulator, ali.id) == ["one", "two", "three"]
    assert emulator.count("sendMessage") == 7
    assert await states(stores) == [SENT] * 7
    assert await sender_for(stores, telegram).deliver_due() == 0


async def test_message_carries_html_and_buttons(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot
) -> None:
    awa = emulator.create_user("Awa")
    reply = Reply("<b>Payé</b> 40 000 F CFA", ((Button("Mes commandes", data="orders"),),))
    await stores.outbox.enqueue(new_message(awa.id, reply, dedup_key="paid:1"))

    await sender_for(stores, telegram).deliver_due()

    shown = emulator.messages(awa.id)[0]
    assert shown.text == "Payé 40 000 F CFA"
    assert [entity["type"] for entity in shown.entities] == ["bold"]
    assert shown.callback_data() == ["orders"]


async def test_photo_message_is_sent_with_its_caption(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot
) -> None:
    awa = emulator.create_user("Awa")
    uploaded = await telegram.send_photo(awa.id, tiny_png(4, 3))
    reply = Reply("<i>Pagne wax</i>", photo=uploaded.photo[-1].file_id)
    await stores.outbox.enqueue(new_message(awa.id, reply, dedup_key="card:1"))

    await sender_for(stores, telegram).deliver_due()

    shown = emulator.messages(awa.id)[-1]
    assert shown.photo is not None
    assert shown.caption == "Pagne wax"


async def test_edit_replaces_the_text_of_the_message(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot
) -> None:
    awa = emulator.create_user("Awa")
    status = await telegram.send_message(awa.id, "En attente", reply_markup=None)
    edit = new_edit(awa.id, status.message_id, Reply("<b>Payé</b>"), dedup_key="status:paid")
    await stores.outbox.enqueue(edit)

    assert await sender_for(stores, telegram).deliver_due() == 1

    shown = emulator.message(awa.id, status.message_id)
    assert (shown.text, shown.edits) == ("Payé", 1)
    assert len(emulator.messages(awa.id)) == 1


async def test_edit_of_a_photo_replaces_its_caption(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot
) -> None:
    awa = emulator.create_user("Awa")
    card = await telegram.send_photo(awa.id, tiny_png(2, 2), caption="Stock: 3")
    reply = Reply("Stock: 2", photo=card.photo[-1].file_id)
    await stores.outbox.enqueue(new_edit(awa.id, card.message_id, reply, dedup_key="stock:2"))

    await sender_for(stores, telegram).deliver_due()

    assert emulator.message(awa.id, card.message_id).caption == "Stock: 2"


async def test_edit_to_the_same_content_counts_as_delivered(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot
) -> None:
    awa = emulator.create_user("Awa")
    reply = Reply("En attente", ((Button("Vérifier", data="check:1"),),))
    status = await telegram.send_message(awa.id, reply.text, reply_markup=reply.markup())
    await stores.outbox.enqueue(new_edit(awa.id, status.message_id, reply, dedup_key="again"))

    sender = sender_for(stores, telegram)
    assert await sender.deliver_due() == 1

    [call] = emulator.calls("editMessageText")
    assert call.status == 400
    assert "not modified" in call.response["description"]
    assert await states(stores) == [SENT]
    assert len(emulator.messages(awa.id)) == 1


@pytest.mark.parametrize("deleted", [False, True], ids=["never-existed", "deleted"])
async def test_edit_of_a_missing_message_is_sent_as_a_new_message(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot, deleted: bool
) -> None:
    awa = emulator.create_user("Awa")
    old = await telegram.send_message(awa.id, "En attente")
    target = old.message_id if deleted else old.message_id + 50
    if deleted:
        await telegram.delete_message(awa.id, old.message_id)
    await stores.outbox.enqueue(new_edit(awa.id, target, Reply("Payé"), dedup_key="paid"))

    assert await sender_for(stores, telegram).deliver_due() == 1

    assert [m.text for m in emulator.messages(awa.id, include_deleted=False)][-1] == "Payé"
    assert await states(stores) == [SENT]


async def test_restart_delivers_what_a_stopped_sender_left_exactly_once(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot
) -> None:
    users = [emulator.create_user(f"U{n}") for n in range(4)]
    for user in users:
        await enqueue_texts(stores, user.id, "a", "b", "c")
    first = sender_for(stores, telegram, chat_interval=0.4)
    await first.start()
    first.wake()
    await emulator.wait_until(lambda: emulator.count("sendMessage") >= 4)
    await first.stop()
    assert await stores.outbox.backlog() > 0

    second = sender_for(stores, telegram, chat_interval=0.05)
    await second.start()
    await emulator.wait_until(lambda: emulator.count("sendMessage") >= 12, timeout=5)
    await second.stop()

    for user in users:
        assert bot_texts(emulator, user.id) == ["a", "b", "c"]
    assert emulator.count("sendMessage") == 12
    assert await stores.outbox.backlog() == 0


async def test_start_delivers_messages_claimed_by_a_crashed_process_at_once(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot
) -> None:
    awa = emulator.create_user("Awa")
    await enqueue_texts(stores, awa.id, "reçu")
    # A process claimed it (leasing it for a minute) and died before sending.
    assert len(await stores.outbox.claim_due(10)) == 1

    sender = sender_for(stores, telegram)
    await sender.start()
    try:
        await emulator.wait_for_message(awa.id, contains="reçu", timeout=2)
    finally:
        await sender.stop()
    assert bot_texts(emulator, awa.id) == ["reçu"]


async def test_wake_starts_delivery_at_once(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot
) -> None:
    awa = emulator.create_user("Awa")
    sender = sender_for(stores, telegram)
    await sender.start()
    try:
        await asyncio.sleep(0.05)  # the loop now sleeps with nothing due
        await enqueue_texts(stores, awa.id, "bonjour")
        sender.wake()
        await emulator.wait_for_message(awa.id, contains="bonjour", timeout=1)
    finally:
        await sender.stop()


async def test_stop_lets_the_send_in_flight_finish_and_is_idempotent(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot
) -> None:
    awa = emulator.create_user("Awa")
    await enqueue_texts(stores, awa.id, "reçu")
    emulator.latency = 0.3
    sender = sender_for(stores, telegram)
    await sender.stop()
    await sender.start()
    await asyncio.sleep(0.1)  # the request is now waiting for the emulator's answer

    await sender.stop()
    await sender.stop()

    assert bot_texts(emulator, awa.id) == ["reçu"]
    assert await states(stores) == [SENT]


@pytest.mark.parametrize("blocked", [True, False], ids=["blocked-the-bot", "never-started"])
async def test_blocked_customer_is_flagged_and_never_retried(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot, blocked: bool
) -> None:
    gone = await customer(stores, emulator, "Gone", started=blocked)
    if blocked:
        await emulator.block(gone.id)
    awa = await customer(stores, emulator, "Awa")
    await enqueue_texts(stores, gone.id, "1", "2", "3")
    await enqueue_texts(stores, awa.id, "un", "deux")

    sender = sender_for(stores, telegram)
    assert await sender.deliver_due() == 2
    assert await sender.deliver_due() == 0

    to_gone = [c for c in emulator.calls("sendMessage") if str(c.params["chat_id"]) == str(gone.id)]
    assert [call.status for call in to_gone] == [403]
    rows = await outbox_rows(stores)
    assert [r.state for r in rows if r.chat_id == gone.id] == [OutboxState.SKIPPED] * 3
    assert bot_texts(emulator, awa.id) == ["un", "deux"]
    flagged = await stores.customers.get(gone.id)
    assert flagged is not None
    assert flagged.blocked
    assert sender.counts.skipped == 3


async def test_message_telegram_refuses_fails_for_good_and_the_chat_goes_on(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    awa = emulator.create_user("Awa")
    await enqueue_texts(stores, awa.id, "<b>Votre numéro 22670123456", "suite")

    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        assert await sender_for(stores, telegram).deliver_due() == 1
        assert await sender_for(stores, telegram).deliver_due() == 0

    bad, good = await outbox_rows(stores)
    assert bad.state == OutboxState.FAILED
    assert bad.last_error is not None
    assert "parse entities" in bad.last_error
    assert good.state == SENT
    assert bot_texts(emulator, awa.id) == ["suite"]
    assert emulator.count("sendMessage") == 2
    [line] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"outbox {bad.id} to chat {awa.id}" in line.getMessage()
    assert "70123456" not in caplog.text


@pytest.mark.parametrize(
    ("kind", "payload", "error"),
    [
        ("document", Reply("rapport.csv").to_json(), "unknown kind"),
        (MESSAGE, '{"buttons": []}', "unreadable payload"),
        (EDIT, Reply("Payé").to_json(), "edit_message_id"),
    ],
    ids=["unknown-kind", "no-text", "edit-without-target"],
)
async def test_undeliverable_payload_fails_for_good_without_a_call(
    stores: Stores, emulator: TelegramEmulator, telegram: Bot, kind: str, payload: str, error: str
) -> None:
    awa = emulator.create_user("Awa")
    await stores.outbox.enqueue(NewMessage(awa.id, kind, payload, dedup_key="odd"))
    calls_before = len(emulator.calls())

    assert await sender_for(stores, telegram).deliver_due() == 0

    [row] = await outbox_rows(stores)
    assert row.state == OutboxState.FAILED
    assert row.last_error is not None
    assert error in row.last_error
    assert len(emulator.calls()) == calls_before
