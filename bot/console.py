"""What every admin screen shares: the admin behind an update, routes and prompts, showing a reply.

The admin console is one persistent ConversationHandler (see bot.admin). Its features (orders,
stats and export in bot.admin, products in bot.catalog_admin, broadcasts in bot.broadcast)
describe themselves as `Route`s (a command or a button that opens a screen, every one an entry
point, so any of them also leaves a pending prompt) and `Prompt`s (what the admin types or taps
while the console waits for an answer). Drafts of multi-step inputs live in user_data as JSON.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final

from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    ConversationHandler,
    filters,
)

from bot.i18n import Lang
from bot.identity import Visitors
from bot.reply import Reply
from storage import audit
from storage.models import Customer

log = logging.getLogger(__name__)

END: Final = ConversationHandler.END
DRAFT: Final = "admin_draft"  # user_data entry of the input under way
# Telegram's words for a message that can no longer be edited: send a new one instead.
_GONE: Final = ("message to edit not found", "message can't be edited", "message_id_invalid")

AnyHandler = BaseHandler[Any, ContextTypes.DEFAULT_TYPE, Any]
PTBCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, object]]


def exact(prefix: str, *groups: str) -> re.Pattern[str]:
    """A callback-data pattern: the prefix, then the groups separated by ':'."""
    return re.compile("^" + re.escape(prefix) + ":".join(groups) + "$")


@dataclass(frozen=True, slots=True)
class Visit:
    """One update from an admin, with the language to answer in."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    admin: Customer
    lang: Lang

    @property
    def admin_id(self) -> int:
        """The admin's Telegram id."""
        return self.admin.id

    @property
    def actor(self) -> str:
        """The admin as the audit trail names them."""
        return audit.admin_actor(self.admin.id)

    @property
    def chat_id(self) -> int:
        """Where to answer (a private chat has the user's id)."""
        chat = self.update.effective_chat
        return chat.id if chat is not None else self.admin.id

    @property
    def query(self) -> CallbackQuery | None:
        """The button press, if the update is one."""
        return self.update.callback_query

    @property
    def message(self) -> Message | None:
        """The message the admin sent, if the update is one."""
        return self.update.message

    @property
    def text(self) -> str:
        """The text the admin typed ('' for anything else)."""
        message = self.update.message
        return (message.text or "") if message is not None else ""

    @property
    def args(self) -> list[str]:
        """The words after a command."""
        return list(self.context.args or [])

    @property
    def user_data(self) -> dict[Any, Any]:
        """The admin's persisted scratch space."""
        data = self.context.user_data
        return data if data is not None else {}

    def groups(self) -> tuple[str, ...]:
        """The strings captured by the callback data's pattern (None groups left out)."""
        matches = self.context.matches
        if not matches:
            return ()
        return tuple(group for group in matches[0].groups() if group is not None)

    # Drafts: what a multi-step input has collected so far.

    def draft(self, kind: str, lifetime: float) -> dict[str, Any] | None:
        """The draft of `kind` under way, unless older than `lifetime` seconds."""
        found = self.user_data.get(DRAFT)
        if not isinstance(found, dict) or found.get("kind") != kind:
            return None
        at = found.get("at")
        if not isinstance(at, (int, float)) or time.time() - at > lifetime:
            return None
        return found

    def start_draft(self, kind: str, **values: Any) -> dict[str, Any]:
        """Begin a draft (replacing any other), JSON values only."""
        draft: dict[str, Any] = {"kind": kind, "at": int(time.time()), **values}
        self.user_data[DRAFT] = draft
        return draft

    def save_draft(self, draft: dict[str, Any]) -> None:
        """Store a changed draft and restart its clock."""
        draft["at"] = int(time.time())
        self.user_data[DRAFT] = draft

    def drop_draft(self) -> None:
        """Forget the draft under way."""
        self.user_data.pop(DRAFT, None)


Step = Callable[[Visit], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Route:
    """A command or a button that opens an admin screen; returns END or a prompt's state."""

    step: Step
    commands: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class Prompt:
    """An answer the console waits for in `state`: a message (filter) or a button (pattern).

    Its step returns the next state, END, or None to keep waiting.
    """

    state: str
    step: Step
    filter: filters.BaseFilter | None = None
    pattern: re.Pattern[str] | None = None


class AdminButtonHandler(CallbackQueryHandler[ContextTypes.DEFAULT_TYPE, object]):
    """A button handler that only sees admins' presses (others fall through to the shop)."""

    def __init__(self, callback: PTBCallback, pattern: re.Pattern[str], visitors: Visitors) -> None:
        super().__init__(callback, pattern=pattern)
        self._visitors = visitors

    def check_update(self, update: object) -> bool | object | None:
        """Match only when an admin pressed the button."""
        if not isinstance(update, Update) or update.effective_user is None:
            return None
        if not self._visitors.is_admin(update.effective_user.id):
            return None
        return super().check_update(update)


async def answer(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Stop the button's spinner; a press too old to answer is still acted on."""
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest as exc:
        log.info("button press not answered: %s", exc.message)


async def acknowledge(v: Visit, text: str | None = None) -> None:
    """Answer the button the admin pressed (a toast when `text` is given); no-op for messages."""
    if v.query is not None:
        await answer(v.query, text)


async def send(v: Visit, reply: Reply) -> Message:
    """Send `reply` as a new message."""
    return await v.context.bot.send_message(
        v.chat_id, reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup()
    )


async def show(
    v: Visit, reply: Reply, *, toast: str | None = None, alert: bool = False, new: bool = False
) -> None:
    """Answer a button by editing its message into `reply`; anything else gets a message."""
    query = v.query
    if query is None:
        await send(v, reply)
        return
    await answer(query, toast, alert=alert)
    message = query.message
    if new or not isinstance(message, Message) or message.photo or message.document:
        await send(v, reply)
        return
    try:
        await message.edit_text(reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup())
    except BadRequest as exc:
        text = exc.message.lower()
        if "not modified" in text:
            return  # a double tap: the message already says it
        if not any(gone in text for gone in _GONE):
            raise
        await send(v, reply)


async def refuse(v: Visit, text: str) -> None:
    """Answer a button with an alert (its message stays), or a message with a message."""
    if v.query is not None:
        await answer(v.query, text, alert=True)
    else:
        await send(v, Reply(text))
