"""A fake Telegram Bot API server for tests, benchmarks and the local playground.

python-telegram-bot (or any client) talks to it over HTTP as to api.telegram.org, with
``base_url=emu.base_url`` and ``base_file_url=emu.base_file_url``; tests and the playground drive
the users' side through the control API (Python methods, or JSON under ``/_emulator``).
"""

from bot.emulator.config import DEFAULT_TOKEN, EmulatorConfig
from bot.emulator.emulator import EMULATOR_KEY, TelegramEmulator
from bot.emulator.errors import EmulatorError, EmulatorTimeout
from bot.emulator.flood import FloodLimits
from bot.emulator.outbound import SECRET_HEADER
from bot.emulator.records import (
    ApiCall,
    CallbackAnswer,
    ChatMessage,
    Event,
    StoredFile,
    Subscription,
    User,
)

__all__ = [
    "DEFAULT_TOKEN",
    "EMULATOR_KEY",
    "SECRET_HEADER",
    "ApiCall",
    "CallbackAnswer",
    "ChatMessage",
    "EmulatorConfig",
    "EmulatorError",
    "EmulatorTimeout",
    "Event",
    "FloodLimits",
    "StoredFile",
    "Subscription",
    "TelegramEmulator",
    "User",
]
