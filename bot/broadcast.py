"""Broadcasts in the admin console: type, preview, confirm, watch the progress, stop.

The admin's text is sent as plain text (HTML-escaped: no markup to get wrong, nothing a
customer could be shown by mistake). Confirming creates the broadcast in storage, which queues
one outbox row per customer who has not blocked the bot; the outbox sender delivers them at
Telegram's pace and skips chats that turn out blocked. A small task per broadcast edits the
admin's progress message every few seconds and, once nothing waits, queues the final report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Final

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import filters

from bot.console import END, Prompt, Route, Visit, acknowledge, exact, refuse, send, show
from bot.i18n import Lang, pick_language
from bot.messages import admin as say
from bot.messages.admin import TEXT
from bot.outbox import MESSAGE, new_edit, new_message
from storage.models import BroadcastProgress, BroadcastState
from storage.stores import Stores

log = logging.getLogger(__name__)

BROADCAST_DRAFT: Final = "broadcast"
ASK_BROADCAST: Final = "adm:ask_broadcast"
PROMPT_LIFETIME: Final = 3600.0
MAX_TEXT: Final = 3500  # escaped, with the preview's header, it stays under Telegram's 4,096
_NONCE = r"([0-9a-f]{8})"


class Broadcasts:
    """Sends an admin's message to every reachable customer and reports how it went."""

    def __init__(
        self, *, stores: Stores, wake_outbox: Callable[[], None], progress_every: float = 3.0
    ) -> None:
        self._stores = stores
        self._wake_outbox = wake_outbox
        self._every = progress_every
        self._watchers: dict[int, asyncio.Task[None]] = {}
        self._kicks: dict[int, asyncio.Event] = {}

    def routes(self) -> list[Route]:
        """Commands and buttons of the broadcast screens."""
        return [
            Route(self._ask, commands=("broadcast",), pattern=exact(say.BROADCAST)),
            Route(self._confirm, pattern=exact(say.BROADCAST_SEND, _NONCE)),
            Route(self._discard, pattern=exact(say.BROADCAST_DISCARD, _NONCE)),
            Route(self._stop, pattern=exact(say.BROADCAST_STOP, r"(\d{1,18})")),
        ]

    def prompts(self) -> list[Prompt]:
        """The broadcast's text prompt."""
        text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
        return [Prompt(ASK_BROADCAST, self._typed, filter=text)]

    async def start(self, bot: Bot) -> None:
        """Resume the progress reports of broadcasts still sending (after a restart)."""
        for broadcast in await self._stores.broadcasts.sending():
            admin = await self._stores.customers.get(broadcast.created_by)
            lang = pick_language(admin.language if admin is not None else None)
            chat_id = broadcast.status_chat_id or broadcast.created_by
            self._watch(bot, broadcast.id, chat_id, broadcast.status_message_id, lang)

    async def stop(self) -> None:
        """Stop every progress task (the broadcasts go on; a restart resumes the reports)."""
        tasks = list(self._watchers.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._watchers.clear()
        self._kicks.clear()

    # The admin's steps

    async def _ask(self, v: Visit) -> object:
        v.start_draft(BROADCAST_DRAFT)
        reachable = await self._stores.customers.count(reachable_only=True)
        await show(v, say.broadcast_prompt(v.lang, reachable), new=True)
        return ASK_BROADCAST

    async def _typed(self, v: Visit) -> object:
        draft = v.draft(BROADCAST_DRAFT, PROMPT_LIFETIME)
        if draft is None:
            v.drop_draft()
            await send(v, say.menu(v.lang, note=TEXT(v.lang, "prompt_expired")))
            return END
        text = v.text.strip()
        if not text or len(text) > MAX_TEXT:
            await send(v, say.retry(v.lang, "broadcast_length", limit=MAX_TEXT))
            return None
        nonce = secrets.token_hex(4)
        draft.update(text=text, nonce=nonce)
        v.save_draft(draft)
        reachable = await self._stores.customers.count(reachable_only=True)
        await send(v, say.broadcast_preview(v.lang, text, reachable, nonce))
        # The preview's buttons work from any state: the prompt is over.
        return END

    async def _discard(self, v: Visit) -> object:
        (nonce,) = v.groups()
        draft = v.draft(BROADCAST_DRAFT, PROMPT_LIFETIME)
        if draft is not None and draft.get("nonce") == nonce:
            v.drop_draft()
        await show(v, say.menu(v.lang, note=TEXT(v.lang, "broadcast_discarded")))
        return END

    async def _confirm(self, v: Visit) -> object:
        (nonce,) = v.groups()
        draft = v.draft(BROADCAST_DRAFT, PROMPT_LIFETIME)
        text = draft.get("text") if draft is not None else None
        if draft is None or draft.get("nonce") != nonce or not isinstance(text, str):
            # An older preview, or a second tap on Send: never send twice.
            await refuse(v, TEXT(v.lang, "broadcast_stale"))
            return END
        v.drop_draft()
        payload = say.broadcast_message(text).to_json()
        broadcast = await self._stores.broadcasts.create(
            created_by=v.admin_id, kind=MESSAGE, payload=payload
        )
        self._wake_outbox()
        log.info(
            "admin %s started broadcast %s to %d customers",
            v.admin_id,
            broadcast.id,
            broadcast.recipients,
        )
        await show(v, say.broadcast_confirmed(v.lang, text, broadcast.recipients))
        progress = await self._stores.broadcasts.progress(broadcast.id)
        assert progress is not None
        message_id: int | None = None
        try:
            status = await send(v, say.broadcast_progress(v.lang, progress))
        except TelegramError as exc:
            # The broadcast is under way all the same: the report will come as a new message.
            log.warning("broadcast %s: progress message not sent (%s)", broadcast.id, exc.message)
        else:
            message_id = status.message_id
            await self._stores.broadcasts.set_status_message(broadcast.id, v.chat_id, message_id)
        self._watch(v.context.bot, broadcast.id, v.chat_id, message_id, v.lang)
        return END

    async def _stop(self, v: Visit) -> object:
        broadcast_id = int(v.groups()[0])
        broadcast = await self._stores.broadcasts.get(broadcast_id)
        if broadcast is None or broadcast.state is not BroadcastState.SENDING:
            await refuse(v, TEXT(v.lang, "broadcast_over"))
            return END
        cancelled = await self._stores.broadcasts.cancel(broadcast_id, actor=v.actor)
        log.info("admin %s stopped broadcast %s: %d not sent", v.admin_id, broadcast_id, cancelled)
        await acknowledge(v, TEXT(v.lang, "broadcast_stopping", count=cancelled))
        kick = self._kicks.get(broadcast_id)
        if kick is not None:
            kick.set()
        else:
            chat_id = broadcast.status_chat_id or v.chat_id
            self._watch(v.context.bot, broadcast_id, chat_id, broadcast.status_message_id, v.lang)
        return END

    # Progress

    def _watch(
        self, bot: Bot, broadcast_id: int, chat_id: int, message_id: int | None, lang: Lang
    ) -> None:
        if broadcast_id in self._watchers:
            return
        kick = asyncio.Event()
        self._kicks[broadcast_id] = kick
        task = asyncio.create_task(
            self._report(bot, broadcast_id, chat_id, message_id, lang, kick),
            name=f"broadcast-{broadcast_id}-progress",
        )
        self._watchers[broadcast_id] = task

        def forget(_: asyncio.Task[None]) -> None:
            if self._watchers.get(broadcast_id) is task:
                del self._watchers[broadcast_id]
                self._kicks.pop(broadcast_id, None)

        task.add_done_callback(forget)

    async def _report(
        self,
        bot: Bot,
        broadcast_id: int,
        chat_id: int,
        message_id: int | None,
        lang: Lang,
        kick: asyncio.Event,
    ) -> None:
        """Edit the progress message until nothing waits, then queue the final report."""
        shown = ""
        while True:
            try:
                progress = await self._progress(broadcast_id)
                if progress is None:
                    return
                if progress.state is not BroadcastState.SENDING:
                    await self._final_report(broadcast_id, chat_id, message_id, lang, progress)
                    return
                reply = say.broadcast_progress(lang, progress)
                if message_id is not None and reply.text != shown:
                    await bot.edit_message_text(
                        reply.text,
                        chat_id=chat_id,
                        message_id=message_id,
                        parse_mode=ParseMode.HTML,
                        reply_markup=reply.markup(),
                    )
                    shown = reply.text
            except TelegramError as exc:
                # A progress edit is a courtesy: a flood wait or a lost message skips one.
                log.info("broadcast %s: progress not shown (%s)", broadcast_id, exc.message)
            except Exception:  # the report must outlive a busy database
                log.exception("broadcast %s: progress check failed", broadcast_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(kick.wait(), timeout=self._every)
            kick.clear()

    async def _progress(self, broadcast_id: int) -> BroadcastProgress | None:
        """The broadcast's counts; finishes it once none of its messages waits."""
        progress = await self._stores.broadcasts.progress(broadcast_id)
        if (
            progress is not None
            and progress.state is BroadcastState.SENDING
            and progress.remaining == 0
            and await self._stores.broadcasts.finish(broadcast_id)
        ):
            log.info("broadcast %s finished", broadcast_id)
            progress = await self._stores.broadcasts.progress(broadcast_id)
        return progress

    async def _final_report(
        self,
        broadcast_id: int,
        chat_id: int,
        message_id: int | None,
        lang: Lang,
        progress: BroadcastProgress,
    ) -> None:
        # Through the outbox: the report is retried like any message and survives a restart.
        report = say.broadcast_report(lang, progress)
        key = f"broadcast:{broadcast_id}:report"
        await self._stores.outbox.enqueue(
            new_message(chat_id, report, dedup_key=key)
            if message_id is None
            else new_edit(chat_id, message_id, report, dedup_key=key)
        )
        self._wake_outbox()
