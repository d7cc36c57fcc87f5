"""Errors of the Telegram Bot API emulator.

Exception
├── BotApiError        a Bot API call fails the way Telegram would fail it (sent to the bot)
└── EmulatorError      the control API was misused (unknown user, no such button, ...)
    └── EmulatorTimeout   a wait_for* helper gave up (also a TimeoutError)
"""

from __future__ import annotations

from typing import Any


class BotApiError(Exception):
    """A failed Bot API call, carrying Telegram's HTTP status, description and parameters."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def envelope(self) -> dict[str, Any]:
        """Return Telegram's error body: ok=false, error_code, description and parameters."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> BotApiError:
    """Return the 400 error Telegram words as 'Bad Request: <detail>'."""
    return BotApiError(400, f"Bad Request: {detail}")


class EmulatorError(Exception):
    """The control API was asked for something the emulated world does not allow."""


class EmulatorTimeout(EmulatorError, TimeoutError):
    """A wait_for* helper saw no matching state before its timeout."""
