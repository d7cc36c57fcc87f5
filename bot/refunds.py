"""Admin refunds and payouts: /refund, /payout, the order detail's Refund button, and the buttons
of reviews and payout alerts.

A refund or payout is prepared (the intent is recorded), shown for review with its amount, masked
number, operator and way, and sent only when an admin presses the review's Confirm button, which
names the recorded payout: what is sent is exactly what was shown. Handlers are thin: they parse,
call the treasurer, and reply with `bot.messages.refunds`. For anyone but an admin these commands
do not exist: they get the shop's unknown-command reply, and a log line.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, Final

from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.i18n import Lang, money
from bot.identity import Visitors
from bot.messages import refunds as words
from bot.messages import shop as shop_words
from bot.reply import Reply
from bot.treasury import (
    MOBILE_MONEY_OPERATORS,
    PayoutRefused,
    Prepared,
    Treasurer,
    phone_of,
)
from payments.errors import LigdicashError
from payments.phone import InvalidPhoneError, Phone, parse_phone
from storage.models import Customer, Order, Outcome, Payout, PayoutKind, PayoutState
from storage.stores import Stores

log = logging.getLogger(__name__)

CONVERSATION_NAME: Final = "refunds"
# Conversation state (persisted: a plain str): the admin is typing the number to pay.
NUMBER: Final = "rf_number"
END: Final = ConversationHandler.END
TYPING_TIMEOUT: Final = timedelta(minutes=15)
# user_data entry while a number is typed: what to prepare once it is known (JSON only).
DRAFT: Final = "refund_draft"
ADMIN_COMMANDS: Final = ("refund", "payout")

_TX = r"([0-9a-f]{32})"
_AMOUNT = re.compile(r"[0-9]{1,3}(?:[ .,_'][0-9]{3})+|[0-9]+")
_MAX_AMOUNT_DIGITS = 12

Context = ContextTypes.DEFAULT_TYPE
Callback = Callable[[Update, Context], Coroutine[Any, Any, object]]
AnyHandler = BaseHandler[Any, Context, Any]


def parse_amount(text: str) -> int | None:
    """Read an amount in F CFA typed by an admin (`5000`, `5 000`, `5.000`); None if not > 0."""
    compact = text.strip()
    if not _AMOUNT.fullmatch(compact):
        return None
    digits = re.sub(r"[^0-9]", "", compact)
    if len(digits.lstrip("0")) > _MAX_AMOUNT_DIGITS:
        return None
    value = int(digits)
    return value if value > 0 else None


def _exact(prefix: str, *groups: str) -> str:
    return "^" + re.escape(prefix) + ":".join(groups) + "$"


class AdminButton(CallbackQueryHandler[Context, object]):
    """A button only admins can press; anyone else's press falls through to the shop."""

    def __init__(
        self, visitors: Visitors, callback: Callback, pattern: str, *, block: bool = True
    ) -> None:
        super().__init__(callback, pattern=pattern, block=block)
        self._visitors = visitors

    def check_update(self, update: object) -> bool | object | None:
        """Match only presses by admins."""
        if not isinstance(update, Update) or update.effective_user is None:
            return None
        if not self._visitors.is_admin(update.effective_user.id):
            return None
        return super().check_update(update)


class Refunds:
    """The refund and payout commands, and the buttons that confirm or settle payouts."""

    def __init__(
        self,
        *,
        stores: Stores,
        visitors: Visitors,
        treasurer: Treasurer,
        timeout: timedelta = TYPING_TIMEOUT,
    ) -> None:
        self._stores = stores
        self._visitors = visitors
        self._treasurer = treasurer
        self._timeout = timeout

    def handlers(self) -> list[AnyHandler]:
        """Register first in group 1, before the checkout's and the shop's handlers."""
        private = filters.ChatType.PRIVATE
        admins = private & self._visitors.admin_filter
        typed = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND & admins

        def button(callback: Callback, pattern: str, *, block: bool = True) -> AdminButton:
            return AdminButton(self._visitors, callback, pattern, block=block)

        with warnings.catch_warnings():
            # Keyed by chat and user on purpose: the buttons carry the payout they act on.
            warnings.filterwarnings(
                "ignore", message="If 'per_message=False'", category=PTBUserWarning
            )
            conversation: ConversationHandler[Context] = ConversationHandler(
                entry_points=[
                    CommandHandler("refund", self._refund_command, admins),
                    button(self._start_button, _exact(words.START, r"([A-Za-z0-9-]{1,20})")),
                    button(self._other_number, _exact(words.OTHER_NUMBER, _TX)),
                ],
                states={
                    NUMBER: [MessageHandler(typed, self._number_typed)],
                    ConversationHandler.TIMEOUT: [TypeHandler(Update, self._timed_out)],
                },
                fallbacks=[CommandHandler("cancel", self._cancel_typing, admins)],
                allow_reentry=True,
                conversation_timeout=self._timeout,
                name=CONVERSATION_NAME,
                persistent=True,
            )
        return [
            conversation,
            CommandHandler("payout", self._payout_command, admins),
            # Not blocking: a slow Ligdicash must not hold up the admin's other updates.
            button(self._confirm, _exact(words.CONFIRM, _TX), block=False),
            button(self._cancel, _exact(words.CANCEL, _TX)),
            button(self._switch_way, _exact(words.SWITCH_WAY, _TX)),
            button(self._check, _exact(words.CHECK, _TX)),
            button(self._mark_ask, _exact(words.MARK_ASK, _TX, "([cf])")),
            button(self._mark, _exact(words.MARK, _TX, "([cf])")),
            button(self._keep, _exact(words.KEEP)),
            CommandHandler(ADMIN_COMMANDS, self._not_admin, private & ~self._visitors.admin_filter),
        ]

    # /refund and the order detail's Refund button

    async def _refund_command(self, update: Update, context: Context) -> object:
        admin, lang = await self._admin(update)
        if admin is None:
            return END
        args = context.args or []
        if not args:
            await _send(update, words.say(lang, "usage_refund"))
            return END
        order = await self._stores.orders.by_reference(args[0])
        if order is None:
            await _send(update, words.refused(lang, "order_not_found", ref=args[0][:20]))
            return END
        asked = None
        if len(args) > 1:
            asked = parse_amount(args[1])
            if asked is None:
                await _send(update, words.bad_amount(lang, args[1]))
                return END
        reason = " ".join(args[2:]).strip()
        return await self._start_refund(update, context, admin, lang, order, asked, reason)

    async def _start_button(self, update: Update, context: Context) -> object:
        admin, lang = await self._admin(update)
        if admin is None:
            return END
        await _answer(update)
        order = await self._stores.orders.by_reference(_group(context))
        if order is None:
            await _send(update, words.refused(lang, "order_not_found", ref=_group(context)))
            return END
        return await self._start_refund(update, context, admin, lang, order, None, "")

    async def _start_refund(
        self,
        update: Update,
        context: Context,
        admin: Customer,
        lang: Lang,
        order: Order,
        asked: int | None,
        reason: str,
    ) -> object:
        amount = await self._treasurer.refund_amount(order, asked)
        if isinstance(amount, PayoutRefused):
            await self._refused(update, lang, amount)
            return END
        reason = reason or words.TEXT(lang, "default_reason", ref=order.reference)
        phone = await self._treasurer.paying_phone(order)
        if phone is None:
            _set_draft(context, order.reference, amount, reason, PayoutKind.MERCHANT)
            text = words.TEXT(lang, "ask_number", amount=money(amount, lang), ref=order.reference)
            await _send(update, Reply(text))
            return NUMBER
        await self._prepare(update, admin, lang, amount, phone, PayoutKind.MERCHANT, reason, order)
        return END

    # /payout

    async def _payout_command(self, update: Update, context: Context) -> None:
        admin, lang = await self._admin(update)
        if admin is None:
            return
        args = context.args or []
        if len(args) < 3:
            await _send(update, words.say(lang, "usage_payout"))
            return
        try:
            phone = parse_phone(args[0])
        except InvalidPhoneError as exc:
            await _send(update, words.bad_number(lang, exc.reason, args[0]))
            return
        amount = parse_amount(args[1])
        if amount is None:
            await _send(update, words.bad_amount(lang, args[1]))
            return
        reason = " ".join(args[2:]).strip()[:200]
        await self._prepare(update, admin, lang, amount, phone, PayoutKind.MERCHANT, reason, None)

    # Typing a number

    async def _other_number(self, update: Update, context: Context) -> object:
        """The review's "another number": withdraw the intent, ask for the number."""
        admin, lang = await self._admin(update)
        if admin is None:
            return END
        await _answer(update)
        shown = await self._treasurer.describe(_group(context))
        if shown is None or shown.payout.state is not PayoutState.INTENT:
            await _edit(update, self._handled(lang, shown))
            return END
        payout = shown.payout
        change = await self._treasurer.cancel(
            payout.transaction_id, admin.id, "another number asked for"
        )
        if change.outcome is not Outcome.APPLIED:
            await _edit(update, self._handled(lang, shown))
            return END
        reference = shown.order.reference if shown.order else ""
        # A new number starts again from mobile money, the default way; the review shows it.
        _set_draft(context, reference, payout.amount, payout.reason, PayoutKind.MERCHANT)
        text = words.TEXT(lang, "ask_other_number", amount=money(payout.amount, lang))
        await _edit(update, Reply(text))
        return NUMBER

    async def _number_typed(self, update: Update, context: Context) -> object:
        admin, lang = await self._admin(update)
        message = update.effective_message
        draft = _draft(context)
        if admin is None or message is None or draft is None:
            return END
        try:
            phone = parse_phone(message.text or "")
        except InvalidPhoneError as exc:
            await _send(update, words.bad_number(lang, exc.reason))
            return None
        reference, amount, reason, kind = draft
        order = await self._stores.orders.by_reference(reference) if reference else None
        if reference and order is None:
            await _send(update, words.refused(lang, "order_not_found", ref=reference))
        else:
            await self._prepare(update, admin, lang, amount, phone, kind, reason, order)
        _clear_draft(context)
        return END

    async def _cancel_typing(self, update: Update, context: Context) -> object:
        admin, lang = await self._admin(update)
        _clear_draft(context)
        if admin is not None:
            await _send(update, words.say(lang, "typing_cancelled"))
        return END

    async def _timed_out(self, update: Update, context: Context) -> object:
        _clear_draft(context)
        return END

    # Preparing and reviewing

    async def _prepare(
        self,
        update: Update,
        admin: Customer,
        lang: Lang,
        amount: int,
        phone: Phone,
        kind: PayoutKind,
        reason: str,
        order: Order | None,
        *,
        edit: bool = False,
    ) -> None:
        note = ""
        if kind is PayoutKind.MERCHANT and phone.operator not in MOBILE_MONEY_OPERATORS:
            # Ligdicash's straight/payout only reaches Orange and Moov: offer the wallet.
            kind = PayoutKind.CLIENT
            note = words.refused(lang, "operator_not_supported", phone=phone).text
        prepared = await self._treasurer.prepare(
            amount=amount,
            phone=phone,
            kind=kind,
            admin_id=admin.id,
            reason=reason,
            order=order,
        )
        if isinstance(prepared, PayoutRefused):
            await self._refused(update, lang, prepared, edit=edit)
            return
        reply = _review(lang, prepared, note=note)
        await (_edit(update, reply) if edit else _send(update, reply))

    async def _refused(
        self, update: Update, lang: Lang, refused: PayoutRefused, *, edit: bool = False
    ) -> None:
        order, payout = refused.order, refused.payout
        show = _edit if edit else _send
        if payout is not None and payout.state is PayoutState.INTENT:
            # Another admin prepared it: both may confirm it, the claim sends it once.
            shown = await self._treasurer.describe(payout.transaction_id)
            if shown is not None:
                note = words.TEXT(
                    lang,
                    "active_intent",
                    ref=order.reference if order else "",
                    admin=payout.requested_by,
                )
                await show(update, _review(lang, shown, note=note))
                return
        reply = words.refused(
            lang,
            refused.reason,
            ref=order.reference if order else "",
            limit=refused.limit,
            paid=order.paid_amount if order else 0,
            reserved=refused.reserved,
            amount=payout.amount if payout else 0,
            state=payout.state if payout else None,
        )
        await show(update, reply)

    # The review's buttons

    async def _confirm(self, update: Update, context: Context) -> None:
        admin, lang = await self._admin(update)
        if admin is None:
            return
        await _answer(update)
        shown = await self._treasurer.describe(_group(context))
        if shown is None:
            await _edit(update, words.say(lang, "not_found"))
            return
        if shown.payout.state is PayoutState.INTENT:
            # The buttons go at once: a second tap cannot reach a review being sent.
            await _edit(update, words.sending(lang, shown.payout, shown.phone))
        sent = await self._treasurer.send(shown.payout.transaction_id, admin.id)
        if sent.expired:
            minutes = int(self._treasurer.intent_lifetime.total_seconds() // 60)
            await _edit(update, words.say(lang, "intent_expired", minutes=minutes))
        elif not sent.claimed or sent.payout is None:
            await _edit(update, self._handled(lang, sent.payout))
        else:
            await _edit(update, words.outcome(lang, sent.payout, sent.order, shown.phone))

    async def _cancel(self, update: Update, context: Context) -> None:
        admin, lang = await self._admin(update)
        if admin is None:
            return
        await _answer(update)
        change = await self._treasurer.cancel(_group(context), admin.id, "cancelled at review")
        payout = change.payout
        if payout is None:
            await _edit(update, words.say(lang, "not_found"))
        elif change.outcome is Outcome.APPLIED:
            amount = money(payout.amount, lang)
            phone = phone_of(payout).masked()
            await _edit(update, words.say(lang, "intent_cancelled", amount=amount, phone=phone))
        else:
            await _edit(update, self._handled(lang, payout))

    async def _switch_way(self, update: Update, context: Context) -> None:
        """Mobile money <-> Ligdicash wallet: withdraw the intent and prepare the other way."""
        admin, lang = await self._admin(update)
        if admin is None:
            return
        shown = await self._treasurer.describe(_group(context))
        if shown is None or shown.payout.state is not PayoutState.INTENT:
            await _answer(update)
            await _edit(update, self._handled(lang, shown))
            return
        payout = shown.payout
        kind = PayoutKind.CLIENT if payout.kind is PayoutKind.MERCHANT else PayoutKind.MERCHANT
        if kind is PayoutKind.MERCHANT and shown.phone.operator not in MOBILE_MONEY_OPERATORS:
            operator = words.operator_name(lang, shown.phone)
            await _answer(update, words.TEXT(lang, "mobile_money_impossible", operator=operator))
            return
        await _answer(update)
        change = await self._treasurer.cancel(
            payout.transaction_id, admin.id, f"changed to {kind.value} payout"
        )
        if change.outcome is not Outcome.APPLIED:
            await _edit(update, self._handled(lang, shown))
            return
        await self._prepare(
            update,
            admin,
            lang,
            payout.amount,
            shown.phone,
            kind,
            payout.reason,
            shown.order,
            edit=True,
        )

    # The buttons of payout alerts

    async def _check(self, update: Update, context: Context) -> None:
        admin, lang = await self._admin(update)
        if admin is None:
            return
        shown = await self._treasurer.describe(_group(context))
        if shown is None:
            await _answer(update, words.TEXT(lang, "not_found"))
            return
        if not shown.payout.token:
            await _answer(update, words.TEXT(lang, "check_no_token"), alert=True)
            return
        try:
            after = await self._treasurer.check(shown.payout.transaction_id)
        except LigdicashError:
            await _answer(update, words.TEXT(lang, "check_unreachable"), alert=True)
            return
        state = words.state_name(lang, after.state if after else shown.payout.state)
        await _answer(update, words.TEXT(lang, "check_result", state=state), alert=True)

    async def _mark_ask(self, update: Update, context: Context) -> None:
        admin, lang = await self._admin(update)
        if admin is None:
            return
        await _answer(update)
        tx, code = _groups(context)
        shown = await self._treasurer.describe(tx)
        if shown is None or shown.payout.state not in (PayoutState.PENDING, PayoutState.UNKNOWN):
            await _send(update, self._handled(lang, shown))
            return
        completed = code == words.COMPLETED
        await _send(update, words.mark_ask(lang, shown.payout, shown.phone, completed=completed))

    async def _mark(self, update: Update, context: Context) -> None:
        admin, lang = await self._admin(update)
        if admin is None:
            return
        await _answer(update)
        tx, code = _groups(context)
        change = await self._treasurer.settle(
            tx, completed=code == words.COMPLETED, admin_id=admin.id
        )
        if change.payout is None:
            await _edit(update, words.say(lang, "not_found"))
            return
        key = "mark_done" if change.outcome is Outcome.APPLIED else "mark_refused"
        state = words.state_name(lang, change.payout.state)
        await _edit(update, words.say(lang, key, tx=tx, state=state))

    async def _keep(self, update: Update, context: Context) -> None:
        admin, lang = await self._admin(update)
        if admin is None:
            return
        await _answer(update)
        await _edit(update, words.say(lang, "kept"))

    # Everyone else

    async def _not_admin(self, update: Update, context: Context) -> None:
        """Admin commands do not exist for others: the shop's unknown-command reply."""
        customer = await self._visitors.customer(update)
        message = update.effective_message
        if customer is None or message is None:
            return
        command = (message.text or "").split(maxsplit=1)[0][:40]
        log.warning("non-admin %s tried %s", customer.id, command)
        cart = await self._stores.carts.get(customer.id)
        lang = self._visitors.lang(customer)
        await _send(update, shop_words.unknown(lang, cart.item_count, command=True))

    # Helpers

    async def _admin(self, update: Update) -> tuple[Customer | None, Lang]:
        customer = await self._visitors.customer(update)
        if customer is None or not self._visitors.is_admin(customer.id):
            return None, self._visitors.default_language
        return customer, self._visitors.lang(customer)

    @staticmethod
    def _handled(lang: Lang, shown: Prepared | Payout | None) -> Reply:
        payout = shown.payout if isinstance(shown, Prepared) else shown
        if payout is None:
            return words.say(lang, "not_found")
        state = words.state_name(lang, payout.state)
        return words.say(lang, "already_handled", state=state)


def _review(lang: Lang, prepared: Prepared, *, note: str = "") -> Reply:
    return words.review(
        lang, prepared.payout, prepared.order, prepared.phone, prepared.reserved, note=note
    )


def _set_draft(
    context: Context, reference: str, amount: int, reason: str, kind: PayoutKind
) -> None:
    if context.user_data is not None:
        context.user_data[DRAFT] = {
            "ref": reference,
            "amount": amount,
            "reason": reason,
            "kind": kind.value,
        }


def _draft(context: Context) -> tuple[str, int, str, PayoutKind] | None:
    data = context.user_data.get(DRAFT) if context.user_data is not None else None
    if not isinstance(data, dict):
        return None
    reference, amount, reason, kind = (data.get(key) for key in ("ref", "amount", "reason", "kind"))
    if not (
        isinstance(reference, str)
        and isinstance(amount, int)
        and isinstance(reason, str)
        and kind in {k.value for k in PayoutKind}
    ):
        return None
    return reference, amount, reason, PayoutKind(str(kind))


def _clear_draft(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)


def _group(context: Context) -> str:
    return _groups(context)[0]


def _groups(context: Context) -> tuple[str, ...]:
    matches = context.matches
    if not matches:
        return ("",)
    return tuple(group for group in matches[0].groups() if group is not None) or ("",)


async def _send(update: Update, reply: Reply) -> Message:
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(
        reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup()
    )


async def _edit(update: Update, reply: Reply) -> None:
    """Turn the pressed message into `reply`; a message that cannot be edited gets a new one."""
    query = update.callback_query
    if query is None:
        await _send(update, reply)
        return
    try:
        await query.edit_message_text(
            reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup()
        )
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return
        log.info("refund message not edited (%s): sending it anew", exc.message)
        await _send(update, reply)


async def _answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    query: CallbackQuery | None = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest as exc:
        log.info("button press not answered: %s", exc.message)
