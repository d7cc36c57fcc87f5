"""Fixtures of the bot's tests.

- ``emulator``: a started Telegram Bot API emulator on 127.0.0.1 (a free port). Point
  python-telegram-bot at it with ``.token(emulator.token).base_url(emulator.base_url)
  .base_file_url(emulator.base_file_url)``; drive users with its control API
  (``create_user``, ``inject_text``, ``press_button``, ``wait_for_message``, ...).
- ``PTB_TIMEDELTA=true`` for every test: python-telegram-bot 22 warns (PTBDeprecationWarning, an
  error under our filterwarnings) whenever it builds a ``RetryAfter`` with the old integer
  durations; opting in makes ``RetryAfter.retry_after`` a ``datetime.timedelta``. The bot process
  must opt in the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.emulator import TelegramEmulator


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    """A started emulator with default settings (flood control off, no latency)."""
    async with TelegramEmulator() as emu:
        yield emu
