"""Reconciliation: payins that stay open without a callback are confirmed on Ligdicash's schedule.

The schedule itself (every few seconds for the first minute, then backing off, never more often
than every 3 seconds, then expiry on our side) is the cashier's `next_check_delay`; this loop only
wakes up, takes what is due and hands each payin to the cashier. Due payouts go to the
treasurer, whose schedule never expires them (a payout may take days). It also expires abandoned
unpaid orders after the checkout timeout, and withdraws refund intents nobody confirmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.cashier import Cashier
from bot.treasury import Treasurer
from storage.models import Payin, Payout, utc_now
from storage.stores import Stores

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
BATCH = 50
CONCURRENCY = 10
ORDER_SWEEP_EVERY = timedelta(minutes=1)


class Reconciler:
    """A background loop that looks at due payins and stale orders."""

    def __init__(
        self,
        *,
        cashier: Cashier,
        stores: Stores,
        checkout_timeout: timedelta = timedelta(minutes=60),
        tick_seconds: float = TICK_SECONDS,
        clock: Callable[[], datetime] = utc_now,
        treasurer: Treasurer | None = None,
    ) -> None:
        self._cashier = cashier
        self._treasurer = treasurer
        self._stores = stores
        self._checkout_timeout = checkout_timeout
        self._tick = tick_seconds
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._next_sweep = clock()
        self._limit = asyncio.Semaphore(CONCURRENCY)

    async def start(self) -> None:
        """Start the loop in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="reconciler")

    async def stop(self) -> None:
        """Stop the loop after the pass under way."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_once(self) -> int:
        """One pass: reconcile what is due now; return how many payins and payouts it looked at."""
        due = await self._stores.payins.due(self._clock(), limit=BATCH)
        if due:
            await asyncio.gather(*(self._one(payin) for payin in due))
        payouts = await self._stores.payouts.due(self._clock(), limit=BATCH)
        if payouts and self._treasurer is not None:
            await asyncio.gather(*(self._one_payout(payout) for payout in payouts))
        if self._clock() >= self._next_sweep:
            self._next_sweep = self._clock() + ORDER_SWEEP_EVERY
            expired = await self._stores.orders.expire_stale(self._clock() - self._checkout_timeout)
            if expired:
                log.info("expired %d abandoned unpaid orders", len(expired))
            if self._treasurer is not None:
                await self._treasurer.sweep_intents()
        return len(due) + len(payouts)

    async def _one(self, payin: Payin) -> None:
        async with self._limit:
            try:
                await self._cashier.reconcile(payin)
            except Exception:  # one bad payin must not stop the loop; it is retried later
                log.exception("reconciling a payin failed")

    async def _one_payout(self, payout: Payout) -> None:
        assert self._treasurer is not None
        async with self._limit:
            try:
                await self._treasurer.reconcile(payout)
            except Exception:  # one bad payout must not stop the loop; it is retried later
                log.exception("reconciling a payout failed")

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the database may be busy a moment; try again next tick
                log.exception("reconciliation pass failed")
            await asyncio.sleep(self._tick)
