"""Memory benchmark: the bot process's RSS when idle, and with 10,000 customers, carts and orders.

Run with `bash .ci/dev bench` (or `pytest tests/benchmarks/bench_memory.py -s -o addopts=""`).
The bot runs as in production, `ligdibot run` in a process of its own (settings from the
environment, embedded Ligdicash sandbox), against a Telegram Bot API emulator in this process.
RSS is VmRSS from /proc/<pid>/status once it has stopped moving; VmHWM (the peak) is shown too.
1. Idle: a fresh database, the bot up (healthz answers) and left alone.
2. Loaded: a database seeded through the stores with 10,000 customers, each with an order
   (awaiting payment) and a cart; the bot started on it, then 50 of those customers open the
   bot, their cart, their order list and an order, and 10 of them pay a new order by link.
Target: under 120 MB in both cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bot.demo import seed_demo_catalog
from bot.emulator import EmulatorConfig, TelegramEmulator
from bot.emulator.records import ChatMessage
from bot.messages import checkout as checkout_words
from bot.messages import payment
from bot.messages import shop as shop_words
from storage import Database, Stores, audit
from tests.benchmarks.figures import ADMIN_ID, REPO_ROOT, free_port, rss_kib, verdict

CUSTOMERS = 10_000
FIRST_CUSTOMER = 7_000_000
VISITORS = 50
BUYERS = 10
TARGET_BYTES = 120 * 10**6  # 120 MB (114.4 MiB)
STARTUP_SECONDS = 60.0
SETTLE_SECONDS = 30.0
STEADY_POLLS = 6
POLL_SECONDS = 0.5
STEADY_KIB = 256
WAIT = 30.0
# Seeded on tmpfs when there is one: 40,000 commits with an fsync each would take minutes.
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") else None


@dataclass(frozen=True)
class Memory:
    """A process's resident memory once settled, in KiB."""

    rss: int
    peak: int

    def line(self) -> str:
        """The figures in MiB and MB."""
        return (
            f"VmRSS {self.rss / 1024:.1f} MiB = {self.rss * 1024 / 1e6:.1f} MB"
            f" (peak VmHWM {self.peak / 1024:.1f} MiB)"
        )

    @property
    def under_target(self) -> bool:
        """Whether the settled RSS is under 120 MB."""
        return self.rss * 1024 < TARGET_BYTES


async def seed(database: Path, count: int) -> None:
    """`count` customers, each with an order awaiting payment and a cart, through the stores."""
    with tempfile.TemporaryDirectory(dir=SCRATCH) as scratch:
        staging = Path(scratch) / database.name
        async with Database.open(staging) as db:
            stores = Stores.over(db)
            catalog = [p for p in await seed_demo_catalog(stores) if p.available]
            for number in range(count):
                uid = FIRST_CUSTOMER + number
                first, second = catalog[number % len(catalog)], catalog[(number + 1) % len(catalog)]
                await stores.customers.seen(
                    uid, first_name="Awa", last_name="Sawadogo", language="fr"
                )
                await stores.carts.add(uid, first.id, 1)
                created = await stores.orders.create_from_cart(
                    uid,
                    first_name="Awa",
                    last_name="Sawadogo",
                    email=None,
                    actor=audit.customer_actor(uid),
                )
                assert created.order is not None
                await stores.carts.add(uid, second.id, 1 + number % 3)
        # Closing checkpointed the WAL into the file: the file alone is the database.
        shutil.copyfile(staging, database)


@contextlib.asynccontextmanager
async def bot_process(tmp_path: Path, emulator: TelegramEmulator) -> AsyncIterator[int]:
    """`ligdibot run` in its own process on tmp_path/ligdibot.sqlite3; yields its pid once up."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "LIGDICASH_", "HTTP_", "PUBLIC_", "DATABASE_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.url,
        LIGDICASH_SANDBOX="true",
        HTTP_HOST="127.0.0.1",
        HTTP_PORT=str(port),
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        DATABASE_PATH=str(tmp_path / "ligdibot.sqlite3"),
        ADMIN_IDS=str(ADMIN_ID),
        LOG_LEVEL="WARNING",
        PTB_TIMEDELTA="true",
        PYTHONPATH=str(REPO_ROOT),
    )
    # cwd is tmp_path: no .env file of the developer's is read.
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from bot.cli import main; raise SystemExit(main(['run']))",
        cwd=tmp_path,
        env=env,
    )
    try:
        await _healthy(f"http://127.0.0.1:{port}/healthz", process)
        yield process.pid
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), WAIT)
            except TimeoutError:
                process.kill()
                await process.wait()
    assert process.returncode == 0


async def _healthy(url: str, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with aiohttp.ClientSession() as session:
        while True:
            assert process.returncode is None, "the bot stopped during start-up"
            assert time.monotonic() < deadline, "the bot did not come up"
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(url) as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.2)


async def settled_memory(pid: int) -> Memory:
    """RSS once it has moved by less than 256 KiB over 3 s (or after 30 s)."""
    readings = [rss_kib(pid)[0]]
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        readings.append(rss_kib(pid)[0])
        recent = readings[-STEADY_POLLS:]
        if len(recent) == STEADY_POLLS and max(recent) - min(recent) < STEADY_KIB:
            break
    return Memory(*rss_kib(pid))


async def visit(emulator: TelegramEmulator, uid: int) -> None:
    """A seeded customer opens the bot, the cart, the order list and the order."""
    welcome = await _say(emulator, uid, "/start")
    cart = await _tap(emulator, uid, welcome, shop_words.CART, "shop:cset:")
    menu = await _tap(emulator, uid, cart, shop_words.HOME, shop_words.ORDER_LIST)
    orders = await _tap(emulator, uid, menu, shop_words.ORDER_LIST, shop_words.ORDER)
    await _tap(emulator, uid, orders, shop_words.ORDER, shop_words.ORDER_LIST)


async def buy(emulator: TelegramEmulator, uid: int) -> None:
    """A seeded customer pays the cart by link: checkout up to the status message."""
    name = await _say(emulator, uid, "/checkout")
    email = await _tap(emulator, uid, name, checkout_words.NAME_YES, checkout_words.EMAIL_SKIP)
    method = f"{checkout_words.METHOD}{checkout_words.LINK}:"
    summary = await _tap(emulator, uid, email, checkout_words.EMAIL_SKIP, method)
    await _tap(emulator, uid, summary, method, payment.CHECK)


async def _say(emulator: TelegramEmulator, uid: int, text: str) -> ChatMessage:
    update = await emulator.inject_text(uid, text)
    after = int(update["message"]["message_id"])
    return await emulator.wait_for(
        uid, lambda m: m.message_id > after and bool(m.callback_data()), timeout=WAIT
    )


async def _tap(
    emulator: TelegramEmulator, uid: int, message: ChatMessage, pressed: str, offered: str
) -> ChatMessage:
    data = next(d for d in message.callback_data() if d.startswith(pressed))
    await emulator.press_button(uid, message.message_id, data=data)

    def shows(found: ChatMessage) -> bool:
        return not found.deleted and any(d.startswith(offered) for d in found.callback_data())

    # The answer is the pressed message edited, or a newer message.
    return await emulator.wait_for(
        uid,
        lambda m: shows(m) and (m.message_id > message.message_id or m.edits > message.edits),
        timeout=WAIT,
    )


async def test_bot_memory_idle_and_with_ten_thousand_customers(tmp_path: Path) -> None:
    idle_dir, loaded_dir = tmp_path / "idle", tmp_path / "loaded"
    idle_dir.mkdir()
    loaded_dir.mkdir()
    async with TelegramEmulator(EmulatorConfig(callback_query_timeout=120.0)) as emulator:
        emulator.create_user("Admin", user_id=ADMIN_ID)
        async with bot_process(idle_dir, emulator) as pid:
            idle = await settled_memory(pid)

        began = time.perf_counter()
        await seed(loaded_dir / "ligdibot.sqlite3", CUSTOMERS)
        seeding = time.perf_counter() - began
        visitors = [
            emulator.create_user(
                "Awa", last_name="Sawadogo", user_id=FIRST_CUSTOMER + n * (CUSTOMERS // VISITORS)
            ).id
            for n in range(VISITORS)
        ]
        async with bot_process(loaded_dir, emulator) as pid:
            await asyncio.gather(*(visit(emulator, uid) for uid in visitors))
            await asyncio.gather(*(buy(emulator, uid) for uid in visitors[:BUYERS]))
            loaded = await settled_memory(pid)

    async with Database.open(loaded_dir / "ligdibot.sqlite3") as db:
        customers = await db.fetch_int("SELECT count(*) FROM customers")
        orders = await db.fetch_int("SELECT count(*) FROM orders")
        carts = await db.fetch_int("SELECT count(DISTINCT customer_id) FROM cart_lines")
        links = await db.fetch_int("SELECT count(*) FROM payins WHERE state = 'pending'")
        size = (loaded_dir / "ligdibot.sqlite3").stat().st_size
    print()
    print("memory: `ligdibot run` in its own process, embedded sandbox, emulator outside")
    print(f"idle bot, fresh database: {idle.line()}")
    print(
        f"with {customers:,} customers, {orders:,} orders and {carts:,} carts"
        f" (database {size / 2**20:.1f} MiB, seeded in {seeding:.0f} s), after {VISITORS}"
        f" customers browsed their cart and orders and {BUYERS} paid by link: {loaded.line()}"
    )
    print(
        f"target under {TARGET_BYTES / 1e6:.0f} MB: idle {verdict(idle.under_target)},"
        f" loaded {verdict(loaded.under_target)}"
    )
    assert customers == CUSTOMERS
    assert orders == CUSTOMERS + BUYERS
    assert carts == CUSTOMERS - BUYERS
    assert links == BUYERS
    for uid in visitors:
        assert emulator.messages(uid), uid


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # The bot process gets the same opt-in through its environment.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
