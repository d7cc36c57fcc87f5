"""The bot's Prometheus metrics, on a registry of its own so that several bots share a process.

Counters and the confirm histogram move where things happen (the server, the cashier, a
TypeHandler in front of the features). Counts that live in the database (payins, payouts, the
outbox backlog) are read at scrape time by `refresh()`, no more often than their cost allows.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Final

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)
from telegram import Update

from storage.stores import Stores

NAMESPACE: Final = "ligdibot"
CALLBACK_REJECTIONS: Final = ("too_large", "malformed")
CONFIRM_KINDS: Final = ("payin", "payout")
USUAL_UPDATES: Final = ("message", "callback_query", "notice_received")
# A confirm includes the client's own retries (after 3 s, then 6 s), hence the long tail.
CONFIRM_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0)
MIN_REFRESH_SECONDS: Final = 5.0
# The database counts scan the payins: keep them under ~5 % of the reader's time at any size.
REFRESH_COST_FACTOR: Final = 20.0
_CAMEL: Final = re.compile(r"(?<!^)(?=[A-Z])")


class Metrics:
    """Every metric of one running bot; GET /metrics serves `registry` after `refresh()`."""

    def __init__(
        self,
        stores: Stores | None = None,
        *,
        labels: Mapping[str, str] | None = None,
        min_refresh: float = MIN_REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._stores = stores
        self._min_refresh = min_refresh
        self._clock = clock
        self._fresh_until = float("-inf")
        self._refreshing = asyncio.Lock()
        registry = self.registry
        self.updates = Counter(
            "updates_handled",
            "Updates the bot took in, by kind (Telegram update type or Ligdicash notice)",
            ["kind"],
            namespace=NAMESPACE,
            registry=registry,
        )
        self.callbacks_received = Counter(
            "callbacks_received",
            "Ligdicash callbacks received on POST /ligdicash/callback",
            namespace=NAMESPACE,
            registry=registry,
        )
        self.callbacks_rejected = Counter(
            "callbacks_rejected",
            "Ligdicash callbacks refused before reaching the bot, by reason",
            ["reason"],
            namespace=NAMESPACE,
            registry=registry,
        )
        self.confirm_seconds = Histogram(
            "confirm_seconds",
            "Time a confirm with Ligdicash took, retries included, by kind",
            ["kind"],
            namespace=NAMESPACE,
            registry=registry,
            buckets=CONFIRM_BUCKETS,
        )
        self.payins = Gauge(
            "payins",
            "Payins by method and state",
            ["method", "state"],
            namespace=NAMESPACE,
            registry=registry,
        )
        self.payouts = Gauge(
            "payouts", "Payouts by state", ["state"], namespace=NAMESPACE, registry=registry
        )
        self.outbox_backlog = Gauge(
            "outbox_backlog",
            "Messages waiting in the outbox for delivery",
            namespace=NAMESPACE,
            registry=registry,
        )
        Info("ligdibot", "The running version and its modes", registry=registry).info(
            {"version": _version(), **(labels or {})}
        )
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        # Series that exist from the start, so that rates and alerts see zeros, not gaps.
        for kind in USUAL_UPDATES:
            self.updates.labels(kind)
        for reason in CALLBACK_REJECTIONS:
            self.callbacks_rejected.labels(reason)
        for kind in CONFIRM_KINDS:
            self.confirm_seconds.labels(kind)

    async def count_update(self, update: object, _context: object) -> None:
        """Count one update (the callback of a TypeHandler that runs before every feature)."""
        self.updates.labels(update_kind(update)).inc()

    async def refresh(self) -> None:
        """Read the counts kept in the database, unless the last read is still fresh."""
        stores = self._stores
        if stores is None:
            return
        async with self._refreshing:
            # Scrapes that waited for the lock find the counts fresh and return at once.
            if self._clock() < self._fresh_until:
                return
            started = self._clock()
            payins = await stores.payins.count_by_method_and_state()
            payouts = await stores.payouts.count_by_state()
            backlog = await stores.outbox.backlog()
            for (method, state), count in payins.items():
                self.payins.labels(method.value, state.value).set(count)
            for payout_state, count in payouts.items():
                self.payouts.labels(payout_state.value).set(count)
            self.outbox_backlog.set(backlog)
            cost = self._clock() - started
            self._fresh_until = self._clock() + max(self._min_refresh, cost * REFRESH_COST_FACTOR)


def update_kind(update: object) -> str:
    """The label of an update: its Telegram type ("message", ...) or "notice_received"."""
    if isinstance(update, Update):
        for kind in Update.ALL_TYPES:
            if getattr(update, kind, None) is not None:
                return kind
        return "other"
    return _CAMEL.sub("_", type(update).__name__).lower()


def _version() -> str:
    try:
        return metadata.version("ligdibot")
    except metadata.PackageNotFoundError:
        return "unknown"
