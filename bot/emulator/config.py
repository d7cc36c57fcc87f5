"""Settings of one emulated bot."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.emulator.flood import FloodLimits

# Shaped like a real token (<bot id>:<35 characters>); only the emulator accepts it.
DEFAULT_TOKEN = "7000000001:AAEmulatorTokenForTestsOnly_0000000"  # noqa: S105 (a fake)
_TOKEN = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{1,100}$")


@dataclass(frozen=True)
class EmulatorConfig:
    """What the emulator pretends to be and how it behaves by default."""

    token: str = field(default=DEFAULT_TOKEN, repr=False)
    bot_username: str = "ligdibot_emulator_bot"
    bot_first_name: str = "Ligdibot"
    public_url: str | None = None
    latency: float = 0.0
    flood: FloodLimits | None = None
    callback_query_timeout: float = 15.0
    event_log_size: int = 10_000
    max_upload_bytes: int = 50 * 1024 * 1024
    webhook_timeout: float = 10.0
    webhook_retry_delay: float = 0.1
    webhook_retry_max_delay: float = 5.0
    first_update_id: int = 1

    def __post_init__(self) -> None:
        if not _TOKEN.match(self.token):
            raise ValueError("token must look like a Telegram bot token: <digits>:<characters>")
        if self.latency < 0:
            raise ValueError("latency must not be negative")
        if self.event_log_size < 1:
            raise ValueError("event_log_size must be at least 1")

    @property
    def bot_id(self) -> int:
        """The bot's user id: the digits before the colon of the token."""
        return int(self.token.split(":", 1)[0])


def looks_like_token(value: str) -> bool:
    """Whether value has a bot token's shape (Telegram answers 404 otherwise, 401 if unknown)."""
    return _TOKEN.match(value) is not None
