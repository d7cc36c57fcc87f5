"""Alerts to admins about the bot's own errors, after the shop has logged them; rate-limited.

Registered as the application's second error handler (bot.app), so python-telegram-bot runs it
after `Shop.on_error`, which logs the error and answers the customer. At most one alert per error
type per window; the next one says how many were left out meanwhile. Alerts go through the
outbox like every admin alert (retried, paced, kept across a restart).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from telegram import Update
from telegram.ext import ContextTypes

from bot.identity import Visitors
from bot.logs import mask
from bot.messages import admin as say
from bot.outbox import new_message
from storage.models import NewMessage, to_ms, utc_now
from storage.stores import Stores

log = logging.getLogger(__name__)

ALERT_WINDOW: Final = timedelta(minutes=10)
DETAIL_LIMIT: Final = 300


class ErrorAlerts:
    """Tells admins when handling an update failed, at most once per error type per window."""

    def __init__(
        self,
        *,
        stores: Stores,
        visitors: Visitors,
        wake_outbox: Callable[[], None],
        window: timedelta = ALERT_WINDOW,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._stores = stores
        self._visitors = visitors
        self._wake_outbox = wake_outbox
        self._window = window
        self._clock = clock
        self._last_alert: dict[str, datetime] = {}
        self._left_out: dict[str, int] = {}

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB error handler: queue an alert to every admin unless this type was just alerted."""
        error = context.error
        if error is None or not self._visitors.admin_ids:
            return
        kind = type(error).__name__
        now = self._clock()
        last = self._last_alert.get(kind)
        if last is not None and now - last < self._window:
            self._left_out[kind] = self._left_out.get(kind, 0) + 1
            log.info("admin alert about %s held back (alerted %s ago)", kind, now - last)
            return
        self._last_alert[kind] = now
        left_out = self._left_out.pop(kind, 0)
        update_id = update.update_id if isinstance(update, Update) else None
        # The message may quote user input: phone numbers and tokens are masked, as in logs.
        detail = mask(str(error))[:DETAIL_LIMIT]
        try:
            messages = await self._alerts(kind, detail, update_id, left_out, now)
            await self._stores.outbox.enqueue_many(messages)
        except Exception:  # an error report must never raise in turn (the database may be down)
            log.warning("could not queue the admin alert about %s", kind)
            return
        self._wake_outbox()
        log.info("admin alert about %s queued (update %s)", kind, update_id)

    async def _alerts(
        self, kind: str, detail: str, update_id: int | None, left_out: int, now: datetime
    ) -> list[NewMessage]:
        messages = []
        for admin_id in sorted(self._visitors.admin_ids):
            lang = self._visitors.lang(await self._stores.customers.get(admin_id))
            reply = say.error_alert(lang, kind, detail, update_id, left_out)
            key = f"error:{kind}:{to_ms(now)}:admin:{admin_id}"
            messages.append(new_message(admin_id, reply, dedup_key=key, priority=1))
        return messages
