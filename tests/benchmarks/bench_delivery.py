"""Delivery benchmark: 1,000 paid-order receipts to 1,000 chats under Telegram-like flood limits.

Run with `bash .ci/dev bench` (or `pytest tests/benchmarks/bench_delivery.py -s -o addopts=""`).
Measures the time the outbox sender takes to deliver every receipt against the physical minimum
of 1,000 messages at 30/s (33.3 s), counts the 429s, and checks that no receipt is lost or sent
twice. Target: within 1.10x of the minimum.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from bot.emulator import EmulatorConfig, FloodLimits, TelegramEmulator
from bot.outbox import OutboxSender, new_message
from bot.reply import Button, Reply
from storage import Database, Stores
from storage.models import OutboxState
from tests.bot.outbox_support import bot_for

CHATS = 1000
RATE = 30.0
TARGET_RATIO = 1.10


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # python-telegram-bot warns on every RetryAfter without this opt-in (warnings are errors).
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def receipt(number: int) -> Reply:
    """A receipt of the size and markup the bot sends once an order is paid."""
    reference = f"LB-{number:06d}"
    text = (
        f"✅ <b>Paiement reçu</b>\n\n"
        f"Commande <code>{reference}</code>\n"
        f"• 2 × Pagne wax 6 yards — 24 000 F CFA\n"
        f"• 1 × Savon karité bio — 2 500 F CFA\n"
        f"• 3 × Beurre de karité 250 g — 13 500 F CFA\n\n"
        f"<b>Total : 40 000 F CFA</b>\n"
        f"Moyen : Orange Money (226XXXX{number % 100:02d})\n"
        f"Référence Ligdicash : <code>LGD{number:010d}</code>\n"
        f"Date : 01/03/2026 10:{number % 60:02d} UTC\n\n"
        f"Merci pour votre achat ! Nous préparons votre commande."
    )
    return Reply(text, ((Button("📦 Mes commandes", data=f"orders:{number}"),),))


async def test_thousand_receipts_reach_thousand_chats_at_telegrams_pace(tmp_path: Path) -> None:
    async with (
        Database.open(tmp_path / "bench.sqlite3") as db,
        TelegramEmulator(EmulatorConfig(flood=FloodLimits(), event_log_size=20_000)) as emulator,
    ):
        stores = Stores.over(db)
        users = [emulator.create_user(f"Client {n}") for n in range(CHATS)]
        expected = {user.id: receipt(n) for n, user in enumerate(users)}
        await stores.outbox.enqueue_many(
            new_message(chat_id, reply, dedup_key=f"payin:bench-{chat_id}:completed")
            for chat_id, reply in expected.items()
        )
        async with bot_for(emulator) as bot:
            sender = OutboxSender(stores.outbox, bot, overall_rate=RATE)
            started = time.perf_counter()
            delivered = await sender.deliver_due()
            elapsed = time.perf_counter() - started

        sends = emulator.calls("sendMessage")
        too_many = sum(1 for call in sends if call.status == 429)
        accepted = Counter(str(call.params["chat_id"]) for call in sends if call.ok)
        states = Counter(row["state"] for row in await db.fetch_all("SELECT state FROM outbox"))
        minimum = CHATS / RATE
        ratio = elapsed / minimum
        print()
        print(f"delivery benchmark: {CHATS:,} receipts to {CHATS:,} chats, flood limits on")
        print(f"delivered in {elapsed:.2f} s; minimum {minimum:.2f} s; ratio {ratio:.3f}")
        print(f"429 answers: {too_many}; sender's flood waits: {sender.counts.flood_waits}")
        print(f"retried: {sender.counts.retried}; failed for good: {sender.counts.failed}")

        assert delivered == CHATS
        assert states == Counter({OutboxState.SENT.value: CHATS})
        assert accepted == Counter({str(chat_id): 1 for chat_id in expected})
        for user in users:
            [message] = emulator.messages(user.id)
            assert message.callback_data() == [expected[user.id].buttons[0][0].data]
            assert message.content.startswith("✅ Paiement reçu")
        assert sender.counts.failed == 0
        assert ratio <= TARGET_RATIO, f"{ratio:.3f}x the minimum, target {TARGET_RATIO}x"
