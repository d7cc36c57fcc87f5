"""Fixtures of the bot's tests.

- ``emulator``: a started Telegram Bot API emulator on 127.0.0.1 (a free port). Point
  python-telegram-bot at it with ``.token(emulator.token).base_url(emulator.base_url)
  .base_file_url(emulator.base_file_url)``; drive users with its control API
  (``create_user``, ``inject_text``, ``press_button``, ``wait_for_message``, ...).
- ``bot_settings`` / ``bot``: the whole bot (``bot.app.running``: storage in a real SQLite file
  under tmp_path, the embedded Ligdicash sandbox with short delays, the HTTP server on a free
  port, outbox, reconciliation) talking to the emulator; ``catalog`` seeds the demo products.
  ``ADMIN_ID`` is the one admin.
- ``PTB_TIMEDELTA=true`` for every test: python-telegram-bot 22 warns (PTBDeprecationWarning, an
  error under our filterwarnings) whenever it builds a ``RetryAfter`` with the old integer
  durations; opting in makes ``RetryAfter.retry_after`` a ``datetime.timedelta``. The bot process
  must opt in the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pydantic import SecretStr

from bot.demo import seed_demo_catalog
from bot.emulator import TelegramEmulator
from bot.settings import Settings
from payments.sandbox import SandboxConfig
from storage.models import Product

if TYPE_CHECKING:  # bot.app wires every feature; importing it lazily keeps unit tests independent
    from bot.app import Runtime, Tuning

ADMIN_ID = 900_001
# Short delays so end-to-end tests run in seconds; the behaviour is the sandbox's own.
FAST_SANDBOX = SandboxConfig(approval_delay=0.2, payout_delay=0.2, callback_delay=0.05)


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    """A started emulator with default settings (flood control off, no latency)."""
    async with TelegramEmulator() as emu:
        yield emu


@pytest.fixture
def bot_settings(tmp_path: Path, emulator: TelegramEmulator) -> Settings:
    """Settings of a bot pointed at the emulator, in sandbox mode, on a free port."""
    return Settings(
        telegram_bot_token=SecretStr(emulator.token),
        telegram_api_url=emulator.url,
        http_host="127.0.0.1",
        http_port=0,
        database_path=tmp_path / "ligdibot.sqlite3",
        admin_ids=(ADMIN_ID,),
        store_name="Boutique Test",
        _env_file=None,  # pydantic-settings' own argument: ignore any .env file
    )


@pytest.fixture
def tuning() -> Tuning:
    """Fast sandbox and reconciliation; override in a test module to change them."""
    from bot.app import Tuning

    return Tuning(sandbox=FAST_SANDBOX, reconcile_tick=0.1)


@pytest.fixture
async def bot(bot_settings: Settings, tuning: Tuning) -> AsyncIterator[Runtime]:
    """The running bot; shut down gracefully at the end of the test."""
    from bot.app import running

    async with running(bot_settings, tuning) as runtime:
        yield runtime


@pytest.fixture
async def catalog(bot: Runtime) -> list[Product]:
    """The demo catalog, seeded into the running bot's database."""
    return await seed_demo_catalog(bot.stores)
