"""Flood control: Telegram-like sending limits and a switchable storm of 429 answers."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FloodLimits:
    """Sending limits as token buckets: a rate per second and a burst, overall and per chat.

    The overall burst is a third of a second above the rate so that a sender pacing itself at
    exactly 30/s (python-telegram-bot's AIORateLimiter) is not punished for scheduling jitter, as
    it is not by Telegram (33 still failed now and then on a busy CI machine); an unpaced flood
    or a sustained 40/s still gets 429s.
    """

    overall_rate: float = 30.0
    overall_burst: int = 40
    chat_rate: float = 1.0
    chat_burst: int = 3

    def __post_init__(self) -> None:
        if self.overall_rate <= 0 or self.chat_rate <= 0:
            raise ValueError("flood rates must be positive")
        if self.overall_burst < 1 or self.chat_burst < 1:
            raise ValueError("flood bursts must be at least 1")


class _Bucket:
    """A token bucket: holds up to burst tokens, refilled at rate tokens per second."""

    __slots__ = ("_burst", "_rate", "_tokens", "_updated")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._updated = now

    def wait(self, now: float) -> float:
        """Refill, then return the seconds until one token is available (0 when one is)."""
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self._rate

    def take(self) -> None:
        """Spend one token (call after wait() returned 0)."""
        self._tokens -= 1.0


class FloodGate:
    """Admits sends within FloodLimits, else tells how many whole seconds to wait."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._overall = _Bucket(limits.overall_rate, limits.overall_burst, clock())
        self._chats: dict[int, _Bucket] = {}

    def admit(self, chat_id: int) -> int | None:
        """Spend a send for chat_id and return None, or return retry_after without spending."""
        now = self._clock()
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Bucket(
                self.limits.chat_rate, self.limits.chat_burst, now
            )
        wait = max(self._overall.wait(now), chat.wait(now))
        if wait > 0:
            # Telegram's retry_after is whole seconds, never 0.
            return max(1, math.ceil(wait))
        self._overall.take()
        chat.take()
        return None


@dataclass
class Storm:
    """Answer 429 to the next `calls` calls and/or until `until`, whichever ends first."""

    retry_after: int
    calls_left: int | None
    until: float | None
    methods: frozenset[str] | None

    @classmethod
    def start(
        cls,
        *,
        retry_after: int,
        calls: int | None,
        seconds: float | None,
        methods: Iterable[str] | None,
        now: float,
    ) -> Storm:
        """Return a storm from the control API's arguments, validating them."""
        if retry_after < 1:
            raise ValueError("retry_after must be at least 1 second")
        if calls is None and seconds is None:
            raise ValueError("a storm needs calls or seconds")
        if (calls is not None and calls < 1) or (seconds is not None and seconds <= 0):
            raise ValueError("calls and seconds must be positive")
        return cls(
            retry_after=retry_after,
            calls_left=calls,
            until=None if seconds is None else now + seconds,
            methods=None if methods is None else frozenset(m.lower() for m in methods),
        )

    def strike(self, method: str, now: float) -> int | None:
        """Return retry_after if this call of method falls in the storm, else None."""
        if self.methods is None:
            # By default polling is spared so a storm does not stall the bot's update loop.
            if method.lower() == "getupdates":
                return None
        elif method.lower() not in self.methods:
            return None
        if self.over(now):
            return None
        if self.calls_left is not None:
            self.calls_left -= 1
        return self.retry_after

    def over(self, now: float) -> bool:
        """Tell whether the storm has used up its calls or its time window."""
        if self.calls_left is not None and self.calls_left <= 0:
            return True
        return self.until is not None and now >= self.until
