"""Ligdicash notices taken off the update queue: re-confirmed by the cashier (payins) or the
treasurer (payouts), then logged with what came of them."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram.ext import BaseHandler, ContextTypes, TypeHandler

from bot.cashier import Cashier
from bot.server import NoticeReceived, NoticeRejected
from bot.treasury import Treasurer
from storage.models import CallbackEntry
from storage.stores import Stores

log = logging.getLogger(__name__)


class Notices:
    """Turns each callback into one confirm; the JSON+form pair shares it (see Cashier.check)."""

    def __init__(
        self, *, cashier: Cashier, stores: Stores, treasurer: Treasurer | None = None
    ) -> None:
        self._cashier = cashier
        self._treasurer = treasurer
        self._callbacks = stores.callbacks
        self._payouts = stores.payouts
        self._clock = stores.db.clock

    def handlers(self) -> list[BaseHandler[Any, ContextTypes.DEFAULT_TYPE, Any]]:
        """The handlers to register, ahead of every conversation."""
        # block=False: a slow confirm must not hold up the customers' updates.
        return [
            TypeHandler(NoticeReceived, self._received, block=False),
            TypeHandler(NoticeRejected, self._rejected, block=False),
        ]

    async def _received(self, item: NoticeReceived, context: ContextTypes.DEFAULT_TYPE) -> None:
        notice = item.notice
        received_at = self._clock()
        # Logged once the outcome is known, in a group commit with the other callbacks of the
        # moment: a burst of callbacks then costs the payments no extra commits.
        try:
            if self._treasurer is not None and await self._payouts.get(notice.transaction_id):
                outcome = await self._treasurer.on_notice(notice)
            else:
                outcome = await self._cashier.on_notice(notice)
        except Exception as exc:
            await self._log(item, received_at, f"error: {type(exc).__name__}")
            raise
        await self._log(item, received_at, outcome)
        log.info("callback (%s) for %s: %s", notice.content_kind, notice.transaction_id, outcome)

    async def _log(self, item: NoticeReceived, received_at: datetime, outcome: str) -> None:
        await self._callbacks.log(
            CallbackEntry(
                received_at=received_at,
                content_type=item.notice.content_kind,
                body=item.body_excerpt,
                transaction_id=item.notice.transaction_id,
                outcome=outcome,
            )
        )

    async def _rejected(self, item: NoticeRejected, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._callbacks.log(
            CallbackEntry(
                received_at=self._clock(),
                content_type="malformed",
                body=item.body_excerpt,
                transaction_id=None,
                outcome=f"malformed: {item.reason}"[:200],
            )
        )
