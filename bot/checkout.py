"""Checkout: names, optional e-mail, the order, then a payin by link, Orange OTP or Moov approval.

One persistent ConversationHandler (states are the str constants below; what the customer chose
on the way sits in `user_data["checkout"]`, JSON only) plus standalone handlers for the buttons
of payment status messages, which live on old messages after the conversation ended.

The order is created once names and e-mail are known, before the method choice, so its prices
are locked while the customer pays and it is never lost: a failed or abandoned payin leaves it
awaiting payment in "My orders", where "Pay again" comes back here.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from telegram import CallbackQuery, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
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

from bot.cashier import Cashier, PayinRefused, PayinStarted
from bot.i18n import Lang
from bot.identity import Visitors
from bot.messages import checkout as words
from bot.messages import payment
from bot.reply import Reply
from payments.phone import (
    OPERATOR_LIMITS,
    InvalidPhoneError,
    Operator,
    Phone,
    orange_ussd_code,
    parse_phone,
)
from storage import audit
from storage.models import (
    Customer,
    Order,
    OrderState,
    Payin,
    PayinMethod,
    PayinState,
    Rejection,
)
from storage.stores import Stores

log = logging.getLogger(__name__)

CONVERSATION_NAME: Final = "checkout"
CONVERSATION_TIMEOUT: Final = timedelta(minutes=30)
MAX_OTP_TRIES: Final = 3
OTP_MIN: Final = 4
DATA: Final = "checkout"

# Conversation states (persisted as JSON: plain str).
NAME: Final = "name"
NAME_TYPING: Final = "name_typing"
EMAIL: Final = "email"
METHOD: Final = "method"
ORANGE_PHONE: Final = "orange_phone"
ORANGE_OTP: Final = "orange_otp"
MOOV_PHONE: Final = "moov_phone"
END: Final = ConversationHandler.END

NAME_MIN_LETTERS: Final = 2
NAME_MAX_LENGTH: Final = 60
EMAIL_MAX_LENGTH: Final = 254
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
)
_LINK = re.compile(r"://|www\.|@|\w\.\w{2,}", re.IGNORECASE)
_NAME_JOINERS = "-'’"
_OTP_SEPARATORS = re.compile(r"[\s\-.]")
_METHOD_DATA = re.compile(rf"^{re.escape(words.METHOD)}(link|orange|moov):(\S+)$")
_METHOD_OPERATORS: Final = {words.ORANGE: Operator.ORANGE, words.MOOV: Operator.MOOV}

Context = ContextTypes.DEFAULT_TYPE
Callback = Callable[[Update, Context], Coroutine[Any, Any, object]]


class InvalidInputError(ValueError):
    """A customer's answer that cannot be used; `reason` names the text explaining why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PersonName:
    """A customer's name as written on the order: first word, then the rest."""

    first: str
    last: str

    @property
    def full(self) -> str:
        """Both parts, as people read them."""
        return f"{self.first} {self.last}".strip()


def parse_name(text: str) -> PersonName:
    """Read a typed name (letters, hyphens, apostrophes; 2 to 60 characters), else raise."""
    cleaned = " ".join(unicodedata.normalize("NFC", text).split())
    if any(char.isdigit() for char in cleaned):
        raise InvalidInputError("digits")
    if _LINK.search(cleaned):
        raise InvalidInputError("link")
    if len(cleaned) > NAME_MAX_LENGTH:
        raise InvalidInputError("too_long")
    for word in cleaned.split():
        parts = re.split(f"[{_NAME_JOINERS}]", word.removesuffix("."))
        if not all(part and all(_is_letter(char) for char in part) for part in parts):
            raise InvalidInputError("characters")
    if sum(char.isalpha() for char in cleaned) < NAME_MIN_LETTERS:
        raise InvalidInputError("too_short")
    first, _, last = cleaned.partition(" ")
    return PersonName(first, last)


def _is_letter(char: str) -> bool:
    # Combining marks count: some names are typed with a separate accent.
    return char.isalpha() or unicodedata.category(char).startswith("M")


def parse_email(text: str) -> str:
    """Read a typed e-mail address of a simple, common shape (domain lower-cased), else raise."""
    cleaned = text.strip()
    if len(cleaned) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(cleaned):
        raise InvalidInputError("email")
    local, _, domain = cleaned.rpartition("@")
    return f"{local}@{domain.lower()}"


def parse_otp(text: str) -> str:
    """Read a typed OTP: 4 to 8 digits, spaces and dashes ignored, else raise."""
    compact = _OTP_SEPARATORS.sub("", text)
    if not compact.isascii() or not compact.isdigit():
        raise InvalidInputError("otp_not_digits")
    if not OTP_MIN <= len(compact) <= words.OTP_MAX:
        raise InvalidInputError("otp_length")
    return compact


class Checkout:
    """The checkout conversation and the payment status buttons."""

    def __init__(
        self,
        *,
        stores: Stores,
        visitors: Visitors,
        cashier: Cashier,
        timeout: timedelta = CONVERSATION_TIMEOUT,
    ) -> None:
        self._stores = stores
        self._visitors = visitors
        self._cashier = cashier
        self._timeout = timeout

    def handlers(self) -> list[BaseHandler[Any, Context, Any]]:
        """The conversation first, then the status buttons that work on any old message."""
        text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
        phone = text | (filters.UpdateType.MESSAGE & filters.CONTACT)
        keys = CallbackQueryHandler(self._key, pattern=f"^{re.escape(words.KEY)}")
        methods = CallbackQueryHandler(self._methods, pattern=f"^{re.escape(words.METHODS)}$")

        def button(callback: Callback, data: str) -> BaseHandler[Update, Context, object]:
            return CallbackQueryHandler(callback, pattern=f"^{re.escape(data)}$")

        with warnings.catch_warnings():
            # We key conversations by chat and user on purpose: stale buttons of earlier
            # messages are recognised by their data (order reference, keypad message id).
            warnings.filterwarnings(
                "ignore", message="If 'per_message=False'", category=PTBUserWarning
            )
            conversation: ConversationHandler[Context] = ConversationHandler(
                entry_points=[
                    button(self._start, words.START),
                    CommandHandler("checkout", self._start),
                    CallbackQueryHandler(self._retry, pattern=f"^{re.escape(payment.RETRY)}"),
                    CallbackQueryHandler(self._method, pattern=_METHOD_DATA),
                ],
                states={
                    NAME: [
                        button(self._name_yes, words.NAME_YES),
                        button(self._name_edit, words.NAME_EDIT),
                        MessageHandler(text, self._name_typed),
                        self._unexpected(NAME),
                    ],
                    NAME_TYPING: [
                        MessageHandler(text, self._name_typed),
                        self._unexpected(NAME_TYPING),
                    ],
                    EMAIL: [
                        button(self._email_keep, words.EMAIL_KEEP),
                        button(self._email_skip, words.EMAIL_SKIP),
                        MessageHandler(text, self._email_typed),
                        self._unexpected(EMAIL),
                    ],
                    METHOD: [self._unexpected(METHOD)],
                    ORANGE_PHONE: [
                        methods,
                        MessageHandler(phone, self._orange_phone),
                        self._unexpected(ORANGE_PHONE),
                    ],
                    MOOV_PHONE: [
                        methods,
                        MessageHandler(phone, self._moov_phone),
                        self._unexpected(MOOV_PHONE),
                    ],
                    ORANGE_OTP: [
                        keys,
                        methods,
                        MessageHandler(text, self._otp_typed),
                        self._unexpected(ORANGE_OTP),
                    ],
                    ConversationHandler.TIMEOUT: [TypeHandler(Update, self._timed_out)],
                },
                fallbacks=[
                    CommandHandler("cancel", self._leave),
                    CallbackQueryHandler(
                        self._cancel_in_checkout, pattern=f"^{re.escape(words.CANCEL_ORDER)}:"
                    ),
                    CallbackQueryHandler(
                        self._cancel_status, pattern=f"^{re.escape(payment.CANCEL)}"
                    ),
                    CallbackQueryHandler(self._stale, pattern="^co:"),
                ],
                allow_reentry=True,
                conversation_timeout=self._timeout,
                name=CONVERSATION_NAME,
                persistent=True,
            )
        return [
            conversation,
            CallbackQueryHandler(self._check, pattern=f"^{re.escape(payment.CHECK)}"),
            CallbackQueryHandler(self._cancel_status, pattern=f"^{re.escape(payment.CANCEL)}"),
            CallbackQueryHandler(
                self._cancel_in_checkout, pattern=f"^{re.escape(words.CANCEL_ORDER)}:"
            ),
            CallbackQueryHandler(self._ended, pattern="^co:"),
        ]

    # Entering

    async def _start(self, update: Update, context: Context) -> object:
        customer = await self._visitors.customer(update)
        if customer is None:
            return END
        lang = self._visitors.lang(customer)
        await _answer(update)
        cart = await self._stores.carts.get(customer.id)
        if cart.is_empty:
            # /checkout again while this checkout's order awaits payment: back to its methods.
            reference = _data(context).get("order")
            order = await self._stores.orders.by_reference(str(reference)) if reference else None
            if order is not None and order.state is OrderState.AWAITING_PAYMENT:
                await _drop_reply_keyboard(update, context)
                await _send(update, words.summary(lang, order))
                return METHOD
            await _send(update, words.empty_cart(lang))
            _clear(context)
            return END
        short = [
            (line.product.name, line.product.stock if line.product.active else None, line.quantity)
            for line in cart.lines
            if not line.product.can_supply(line.quantity)
        ]
        if short:
            await _send(update, words.unavailable(lang, short))
            return END
        data = _fresh(context)
        try:
            name = parse_name(customer.display_name)
        except InvalidInputError:
            await _send(update, words.type_name(lang))
            return NAME_TYPING
        data.update(first_name=name.first, last_name=name.last)
        await _send(update, words.ask_name(lang, name.full, cart.total))
        return NAME

    async def _retry(self, update: Update, context: Context) -> object:
        """Pay again for an existing unpaid order: straight to the method choice."""
        pressed = await self._pressed_order(update, payment.RETRY)
        if pressed is None:
            return None
        _, query, lang, order = pressed
        await query.answer()
        if order.state is not OrderState.AWAITING_PAYMENT:
            await _send(update, words.not_payable(lang, order))
            return None
        data = _fresh(context, keep_tries_for=order.reference)
        data["order"] = order.reference
        under_way = any(payin.is_open for payin in await self._stores.payins.for_order(order.id))
        await _send(update, words.summary(lang, order, payin_under_way=under_way))
        return METHOD

    # Names and e-mail

    async def _name_yes(self, update: Update, context: Context) -> object:
        customer = await self._visitors.customer(update)
        if customer is None:
            return None
        await _answer(update, drop_buttons=True)
        return await self._ask_email(update, customer)

    async def _name_edit(self, update: Update, context: Context) -> object:
        customer = await self._visitors.customer(update)
        if customer is None:
            return None
        await _answer(update, drop_buttons=True)
        await _send(update, words.type_name(self._visitors.lang(customer)))
        return NAME_TYPING

    async def _name_typed(self, update: Update, context: Context) -> object:
        customer = await self._visitors.customer(update)
        message = update.effective_message
        if customer is None or message is None or message.text is None:
            return None
        lang = self._visitors.lang(customer)
        data = _data(context)
        answer = words.plain_answer(message.text)
        # "oui" typed instead of tapped confirms the profile name; it is nobody's name.
        if answer in words.YES_WORDS and data.get("first_name"):
            return await self._ask_email(update, customer)
        if answer in words.YES_WORDS | words.NO_WORDS:
            await _send(update, words.type_name(lang))
            return NAME_TYPING
        try:
            name = parse_name(message.text)
        except InvalidInputError as exc:
            await _send(update, words.bad_name(lang, exc.reason))
            return None
        data.update(first_name=name.first, last_name=name.last)
        return await self._ask_email(update, customer)

    async def _ask_email(self, update: Update, customer: Customer) -> object:
        await _send(update, words.ask_email(self._visitors.lang(customer), customer.email))
        return EMAIL

    async def _email_typed(self, update: Update, context: Context) -> object:
        customer = await self._visitors.customer(update)
        message = update.effective_message
        if customer is None or message is None or message.text is None:
            return None
        answer = words.plain_answer(message.text)
        if answer in words.YES_WORDS and customer.email:
            return await self._create_order(update, context, customer, customer.email)
        if answer in words.SKIP_WORDS:
            return await self._create_order(update, context, customer, None)
        try:
            email = parse_email(message.text)
        except InvalidInputError:
            await _send(update, words.bad_email(self._visitors.lang(customer)))
            return None
        await self._stores.customers.set_email(customer.id, email)
        return await self._create_order(update, context, customer, email)

    async def _email_keep(self, update: Update, context: Context) -> object:
        customer = await self._visitors.customer(update)
        if customer is None:
            return None
        await _answer(update, drop_buttons=True)
        return await self._create_order(update, context, customer, customer.email)

    async def _email_skip(self, update: Update, context: Context) -> object:
        customer = await self._visitors.customer(update)
        if customer is None:
            return None
        await _answer(update, drop_buttons=True)
        return await self._create_order(update, context, customer, None)

    async def _create_order(
        self, update: Update, context: Context, customer: Customer, email: str | None
    ) -> object:
        lang = self._visitors.lang(customer)
        data = _data(context)
        created = await self._stores.orders.create_from_cart(
            customer.id,
            first_name=str(data.get("first_name") or customer.first_name),
            last_name=str(data.get("last_name") or ""),
            email=email,
            actor=audit.customer_actor(customer.id),
        )
        if created.order is None:
            if created.reason is Rejection.UNAVAILABLE:
                await _send(
                    update,
                    words.unavailable(lang, await self._short_items(customer, created.unavailable)),
                )
            else:
                await _send(update, words.empty_cart(lang))
            _clear(context)
            return END
        order = created.order
        data["order"] = order.reference
        log.info("order %s created at checkout (%d XOF)", order.reference, order.total)
        await _send(update, words.summary(lang, order))
        return METHOD

    async def _short_items(
        self, customer: Customer, product_ids: tuple[int, ...]
    ) -> list[tuple[str, int | None, int]]:
        cart = await self._stores.carts.get(customer.id)
        return [
            (line.product.name, line.product.stock if line.product.active else None, line.quantity)
            for line in cart.lines
            if line.product.id in product_ids
        ]

    # Choosing the method

    async def _method(self, update: Update, context: Context) -> object:
        """A method button of an order summary: pay that order that way."""
        customer = await self._visitors.customer(update)
        query = update.callback_query
        found = _METHOD_DATA.match(query.data or "") if query else None
        if customer is None or query is None or found is None:
            return None
        lang = self._visitors.lang(customer)
        method, reference = found.group(1), found.group(2)
        order = await self._owned_order(update, customer, reference)
        if order is None:
            return None
        await query.answer()
        if order.state is not OrderState.AWAITING_PAYMENT:
            await _send(update, words.not_payable(lang, order))
            return END if _data(context).get("order") == reference else None
        data = _fresh(context, keep_tries_for=reference)
        data["order"] = reference
        await _drop_reply_keyboard(update, context)
        if method == words.LINK:
            return await self._pay_link(update, context, customer, order)
        operator = _METHOD_OPERATORS[method]
        low, high = OPERATOR_LIMITS[operator]
        if not low <= order.total <= high:
            reason = "below_operator_minimum" if order.total < low else "above_operator_maximum"
            refused = PayinRefused(reason, limit=low if order.total < low else high)
            others = [m for m in (words.LINK, words.ORANGE, words.MOOV) if m != method]
            await _send(
                update,
                words.method_refused(
                    lang, html.escape(refused.message(lang)), order.reference, only=others
                ),
            )
            return METHOD
        return await self._ask_phone(update, context, customer, operator)

    async def _methods(self, update: Update, context: Context) -> object:
        """The keypad's "other method" key: show the methods again."""
        customer = await self._visitors.customer(update)
        if customer is None:
            return None
        await _answer(update)
        return await self._back_to_methods(update, context, customer)

    async def _back_to_methods(
        self, update: Update, context: Context, customer: Customer
    ) -> object:
        lang = self._visitors.lang(customer)
        order = await self._current_order(update, context, customer)
        if order is None:
            return END
        await _drop_reply_keyboard(update, context)
        await _send(update, words.choose_method(lang, order.reference))
        return METHOD

    async def _ask_phone(
        self, update: Update, context: Context, customer: Customer, operator: Operator
    ) -> object:
        lang = self._visitors.lang(customer)
        data = _data(context)
        known = [
            *(str(s) for s in data.get("suggested", [])),
            *await self._stores.customers.phones(customer.id),
        ]
        suggestions: list[Phone] = []
        for digits in known:
            try:
                phone = parse_phone(digits)
            except InvalidPhoneError:
                continue
            if phone.operator is operator and phone not in suggestions and len(suggestions) < 2:
                suggestions.append(phone)
        await _send(
            update, words.ask_phone(lang, operator), words.phone_keyboard(lang, suggestions)
        )
        data["keyboard"] = True
        return ORANGE_PHONE if operator is Operator.ORANGE else MOOV_PHONE

    # The number

    async def _orange_phone(self, update: Update, context: Context) -> object:
        return await self._phone(update, context, Operator.ORANGE)

    async def _moov_phone(self, update: Update, context: Context) -> object:
        return await self._phone(update, context, Operator.MOOV)

    async def _phone(self, update: Update, context: Context, wanted: Operator) -> object:
        customer = await self._visitors.customer(update)
        message = update.effective_message
        user = update.effective_user
        if customer is None or message is None or user is None:
            return None
        lang = self._visitors.lang(customer)
        data = _data(context)
        if message.contact is not None:
            if message.contact.user_id != user.id:
                await _send(update, words.someone_else(lang))
                return None
            raw = message.contact.phone_number
            # Telegram gives shared numbers in international form, with or without the "+".
            raw = raw if raw.startswith("+") else f"+{raw}"
        else:
            raw = message.text or ""
            if words.is_other_method(raw):
                return await self._back_to_methods(update, context, customer)
        try:
            phone = parse_phone(raw)
        except InvalidPhoneError as exc:
            await _send(update, words.bad_phone(lang, exc.reason, wanted))
            return None
        if phone.operator is not wanted:
            data["suggested"] = [phone.digits]
            reference = str(data.get("order", ""))
            await _send(update, words.wrong_operator(lang, phone, wanted, reference))
            return None
        order = await self._current_order(update, context, customer)
        if order is None:
            return END
        data["phone"] = phone.digits
        data["keyboard"] = False
        if wanted is Operator.MOOV:
            await _send(update, words.phone_ok(lang, phone), words.remove_keyboard())
            return await self._pay_moov(update, context, customer, order, phone)
        await _send(
            update,
            words.orange_steps(lang, phone, orange_ussd_code(order.total)),
            words.remove_keyboard(),
        )
        keypad = await _send(update, words.keypad(lang, 0))
        data.update(keypad=keypad.message_id, otp="")
        return ORANGE_OTP

    # The OTP

    async def _key(self, update: Update, context: Context) -> object:
        """One key of the inline keypad: a digit, erase, or send."""
        customer = await self._visitors.customer(update)
        query = update.callback_query
        if customer is None or query is None or query.data is None or query.message is None:
            return None
        lang = self._visitors.lang(customer)
        data = _data(context)
        if query.message.message_id != data.get("keypad"):
            await query.answer(words.TEXT(lang, "stale_button"))
            return None
        key = query.data.removeprefix(words.KEY)
        typed = str(data.get("otp", ""))
        if query.data == words.KEY_SEND:
            if len(typed) < OTP_MIN:
                await query.answer(words.TEXT(lang, "keypad_short"))
                return None
            await query.answer()
            data["otp"] = ""
            await _edit(
                context,
                query.message.chat.id,
                query.message.message_id,
                Reply(words.TEXT(lang, "checking_otp")),
            )
            return await self._submit_otp(
                update, context, customer, typed, query.message.message_id
            )
        if query.data == words.KEY_ERASE:
            typed = typed[:-1]
        elif len(typed) >= words.OTP_MAX:
            await query.answer(words.TEXT(lang, "keypad_full"))
            return None
        elif key.isdigit() and len(key) == 1:
            typed += key
        await query.answer()
        data["otp"] = typed
        await _edit(
            context, query.message.chat.id, query.message.message_id, words.keypad(lang, len(typed))
        )
        return None

    async def _otp_typed(self, update: Update, context: Context) -> object:
        customer = await self._visitors.customer(update)
        message = update.effective_message
        if customer is None or message is None or message.text is None:
            return None
        lang = self._visitors.lang(customer)
        try:
            otp = parse_otp(message.text)
        except InvalidInputError as exc:
            await _send(update, Reply(words.TEXT(lang, exc.reason)))
            return None
        data = _data(context)
        old_keypad = data.get("keypad")
        data.update(otp="", keypad=None)
        if isinstance(old_keypad, int):
            await _edit(context, message.chat_id, old_keypad, words.keypad_closed(lang))
        placeholder = await _send(update, Reply(words.TEXT(lang, "checking_otp")))
        return await self._submit_otp(update, context, customer, otp, placeholder.message_id)

    async def _submit_otp(
        self, update: Update, context: Context, customer: Customer, otp: str, message_id: int
    ) -> object:
        lang = self._visitors.lang(customer)
        chat_id = _chat_id(update)
        order = await self._current_order(update, context, customer)
        data = _data(context)
        if order is None or not isinstance(data.get("phone"), str):
            return END
        phone = Phone(digits=str(data["phone"]), operator=Operator.ORANGE)
        result = await self._cashier.start_orange(
            order, customer, phone, otp, status_at=(chat_id, message_id)
        )
        if isinstance(result, PayinStarted):
            await self._show_status(context, chat_id, message_id, result, lang)
            _clear(context)
            return END
        if result.wrong_otp:
            tries = int(data.get("tries", 0)) + 1
            data["tries"] = tries
            if tries >= MAX_OTP_TRIES:
                await _edit(
                    context, chat_id, message_id, words.pay_later(lang, "too_many_tries", order)
                )
                _clear(context)
                return END
            shown = await _edit(
                context, chat_id, message_id, words.wrong_otp(lang, MAX_OTP_TRIES - tries)
            )
            data["keypad"] = shown
            return ORANGE_OTP
        if result.expired_otp:
            shown = await _edit(
                context, chat_id, message_id, words.expired_otp(lang, orange_ussd_code(order.total))
            )
            data["keypad"] = shown
            return ORANGE_OTP
        await _edit(
            context,
            chat_id,
            message_id,
            words.method_refused(lang, html.escape(result.message(lang)), order.reference),
        )
        return METHOD

    # Starting the payins

    async def _pay_link(
        self, update: Update, context: Context, customer: Customer, order: Order
    ) -> object:
        lang = self._visitors.lang(customer)
        placeholder = await _send(update, Reply(words.TEXT(lang, "sending")))
        # A link already waiting for this order is shown again rather than doubled.
        for payin in await self._stores.payins.for_order(order.id):
            if payin.method is PayinMethod.LINK and payin.state is PayinState.PENDING:
                return await self._after_start(
                    update, context, lang, order, placeholder, PayinStarted(payin, order)
                )
        result = await self._cashier.start_link(
            order, customer, status_at=(placeholder.chat_id, placeholder.message_id)
        )
        return await self._after_start(update, context, lang, order, placeholder, result)

    async def _pay_moov(
        self, update: Update, context: Context, customer: Customer, order: Order, phone: Phone
    ) -> object:
        lang = self._visitors.lang(customer)
        placeholder = await _send(update, Reply(words.TEXT(lang, "sending")))
        result = await self._cashier.start_moov(
            order, customer, phone, status_at=(placeholder.chat_id, placeholder.message_id)
        )
        return await self._after_start(update, context, lang, order, placeholder, result)

    async def _after_start(
        self,
        update: Update,
        context: Context,
        lang: Lang,
        order: Order,
        placeholder: Message,
        result: PayinStarted | PayinRefused,
    ) -> object:
        if isinstance(result, PayinStarted):
            await self._show_status(
                context, placeholder.chat_id, placeholder.message_id, result, lang
            )
            _clear(context)
            return END
        refusal = words.method_refused(lang, html.escape(result.message(lang)), order.reference)
        await _edit(context, placeholder.chat_id, placeholder.message_id, refusal)
        return METHOD

    async def _show_status(
        self, context: Context, chat_id: int, message_id: int, started: PayinStarted, lang: Lang
    ) -> None:
        """Turn the placeholder into the status message the cashier keeps up to date."""
        payin = started.payin
        # The cashier already watches it for new payins; a link shown again needs it here.
        await self._cashier.watch(payin.transaction_id, chat_id, message_id)
        shown = await _edit(context, chat_id, message_id, _status(lang, started.order, payin))
        if shown != message_id:
            await self._cashier.watch(payin.transaction_id, chat_id, shown)
        # The payin may have ended while we edited (an Orange OTP pays at once): our "waiting"
        # edit may then have landed after the cashier's, so show the final state again.
        after = await self._stores.payins.get(payin.transaction_id)
        if after is not None and after.state is not payin.state:
            order = await self._stores.orders.get(after.order_id) or started.order
            await _edit(context, chat_id, shown, _status(lang, order, after))
        log.info("payin %s shown to the customer", payin.transaction_id)

    # Leaving

    async def _leave(self, update: Update, context: Context) -> object:
        """/cancel: leave the checkout; the cart, or the unpaid order, is kept."""
        customer = await self._visitors.customer(update)
        if customer is None:
            return END
        lang = self._visitors.lang(customer)
        await self._say_goodbye(update, context, lang, "left")
        return END

    async def _timed_out(self, update: Update, context: Context) -> object:
        customer = await self._visitors.customer(update)
        lang = self._visitors.lang(customer)
        await self._say_goodbye(update, context, lang, "timed_out")
        return END

    async def _say_goodbye(self, update: Update, context: Context, lang: Lang, why: str) -> None:
        data = _data(context)
        reference = data.get("order")
        order = await self._stores.orders.by_reference(str(reference)) if reference else None
        await _drop_reply_keyboard(update, context)
        if order is not None and order.state is OrderState.AWAITING_PAYMENT:
            await _send(update, words.pay_later(lang, f"{why}_with_order", order))
        else:
            await _send(update, words.left_no_order(lang, f"{why}_no_order"))
        _clear(context)

    async def _cancel_in_checkout(self, update: Update, context: Context) -> object:
        """The summary's "Cancel the order" button: cancel it and put its items back in the cart."""
        pressed = await self._pressed_order(update, f"{words.CANCEL_ORDER}:")
        if pressed is None:
            return None
        customer, query, lang, order = pressed
        if order.state is not OrderState.AWAITING_PAYMENT:
            await query.answer(
                words.TEXT(lang, "already_paid" if order.paid_amount else "stale_button")
            )
            return None
        cancelled = await self._cashier.cancel_order(order.reference, customer)
        if cancelled is None or cancelled.state is not OrderState.CANCELLED:
            await query.answer(words.TEXT(lang, "stale_button"))
            return None
        await self._stores.carts.refill_from_order(customer.id, order.id)
        await query.answer(words.TEXT(lang, "cancelled_toast"))
        if query.message is not None:
            await _edit(
                context,
                query.message.chat.id,
                query.message.message_id,
                words.order_cancelled(lang, cancelled),
            )
        log.info("order %s cancelled at checkout", order.reference)
        return self._end_if_current(context, order.reference)

    async def _cancel_status(self, update: Update, context: Context) -> object:
        """A status message's "Cancel order" button (one tap: the order is unpaid)."""
        pressed = await self._pressed_order(update, payment.CANCEL)
        if pressed is None:
            return None
        customer, query, lang, order = pressed
        if order.paid_amount > 0:
            await query.answer(words.TEXT(lang, "already_paid"), show_alert=True)
            return None
        after = await self._cashier.cancel_order(order.reference, customer)
        if after is None or after.state is not OrderState.CANCELLED:
            await query.answer(words.TEXT(lang, "stale_button"))
            return None
        await query.answer(words.TEXT(lang, "cancelled_toast"))
        if query.message is not None:
            await _edit(
                context,
                query.message.chat.id,
                query.message.message_id,
                words.cancelled(lang, after),
            )
        return self._end_if_current(context, order.reference)

    @staticmethod
    def _end_if_current(context: Context, reference: str) -> object:
        if _data(context).get("order") == reference:
            _clear(context)
            return END
        return None

    # Status buttons and stale input

    async def _check(self, update: Update, context: Context) -> None:
        """A status message's "Check payment" button: confirm now (throttled) and show it."""
        customer = await self._visitors.customer(update)
        query = update.callback_query
        if customer is None or query is None or query.data is None:
            return
        lang = self._visitors.lang(customer)
        transaction_id = query.data.removeprefix(payment.CHECK)
        payin = await self._stores.payins.get(transaction_id)
        if payin is None or payin.customer_id != customer.id:
            await query.answer(words.TEXT(lang, "unknown_payment"))
            return
        found = await self._cashier.check_now(transaction_id)
        if found.throttled:
            await query.answer(payment.TEXT(lang, "check_too_soon"))
            return
        if found.unreachable:
            await query.answer(payment.TEXT(lang, "check_failed"))
            return
        after = found.payin or payin
        if after.is_open:
            await query.answer(payment.TEXT(lang, "still_pending"))
            return
        await query.answer()
        order = await self._stores.orders.get(after.order_id)
        if order is not None and query.message is not None:
            await _edit(
                context,
                query.message.chat.id,
                query.message.message_id,
                _status(lang, order, after),
            )

    async def _stale(self, update: Update, context: Context) -> object:
        customer = await self._visitors.customer(update)
        await _answer(update, words.TEXT(self._visitors.lang(customer), "stale_button"))
        return None

    async def _ended(self, update: Update, context: Context) -> None:
        customer = await self._visitors.customer(update)
        await _answer(update, words.TEXT(self._visitors.lang(customer), "ended_button"))

    def _unexpected(self, step: str) -> BaseHandler[Update, Context, object]:
        """Anything else sent at `step` (sticker, photo, contact, ...): say what is expected."""

        async def reprompt(update: Update, context: Context) -> object:
            customer = await self._visitors.customer(update)
            lang = self._visitors.lang(customer)
            data = _data(context)
            prompt = _prompt(lang, step, customer, str(data.get("order", "")))
            await _send(
                update, Reply(words.TEXT(lang, "reprompt", prompt=prompt.text), prompt.buttons)
            )
            return None

        anything = filters.UpdateType.MESSAGE & ~filters.COMMAND & ~filters.StatusUpdate.ALL
        return MessageHandler(anything, reprompt)

    # Orders

    async def _pressed_order(
        self, update: Update, prefix: str
    ) -> tuple[Customer, CallbackQuery, Lang, Order] | None:
        """For an order button (`prefix` + reference): who pressed it, in which language, on
        which of their orders; None (the button answered) when it is not theirs."""
        customer = await self._visitors.customer(update)
        query = update.callback_query
        if customer is None or query is None or query.data is None:
            return None
        order = await self._owned_order(update, customer, query.data.removeprefix(prefix))
        if order is None:
            return None
        return customer, query, self._visitors.lang(customer), order

    async def _owned_order(
        self, update: Update, customer: Customer, reference: str
    ) -> Order | None:
        """The customer's order with this reference; else answer the button and return None."""
        order = await self._stores.orders.by_reference(reference)
        if order is None or order.customer_id != customer.id:
            await _answer(update, words.TEXT(self._visitors.lang(customer), "unknown_order"))
            return None
        return order

    async def _current_order(
        self, update: Update, context: Context, customer: Customer
    ) -> Order | None:
        """This checkout's order if it can still be paid; else say so and forget the checkout."""
        lang = self._visitors.lang(customer)
        reference = _data(context).get("order")
        order = await self._stores.orders.by_reference(str(reference)) if reference else None
        if order is None or order.customer_id != customer.id:
            await _drop_reply_keyboard(update, context)
            await _send(update, words.left_no_order(lang, "left_no_order"))
            _clear(context)
            return None
        if order.state is not OrderState.AWAITING_PAYMENT:
            await _drop_reply_keyboard(update, context)
            await _send(update, words.not_payable(lang, order))
            _clear(context)
            return None
        return order


def _prompt(lang: Lang, step: str, customer: Customer | None, reference: str) -> Reply:
    if step == NAME:
        return Reply(words.TEXT(lang, "reprompt_buttons"))
    if step == NAME_TYPING:
        return words.type_name(lang)
    if step == EMAIL:
        return words.ask_email(lang, customer.email if customer else None)
    if step == METHOD:
        return words.choose_method(lang, reference)
    if step == ORANGE_OTP:
        return Reply(words.TEXT(lang, "otp_not_digits"))
    operator = Operator.ORANGE if step == ORANGE_PHONE else Operator.MOOV
    return words.ask_phone(lang, operator)


def _status(lang: Lang, order: Order, payin: Payin) -> Reply:
    shown = Phone(digits=payin.phone, operator=None).masked() if payin.phone else ""
    return payment.status(lang, order, payin, shown)


# user_data


def _data(context: Context) -> dict[str, Any]:
    user_data = context.user_data
    if user_data is None:
        return {}
    data = user_data.setdefault(DATA, {})
    assert isinstance(data, dict)
    return data


def _fresh(context: Context, *, keep_tries_for: str | None = None) -> dict[str, Any]:
    """Start a new checkout's data; for the same order, OTP tries and numbers seen are kept."""
    old = _data(context)
    data: dict[str, Any] = {}
    if keep_tries_for is not None and old.get("order") == keep_tries_for:
        data.update({key: old[key] for key in ("tries", "suggested") if key in old})
    if old.get("keyboard"):
        data["keyboard"] = True
    if context.user_data is not None:
        context.user_data[DATA] = data
    return data


def _clear(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(DATA, None)


# Telegram


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None
    return chat.id


async def _send(
    update: Update, reply: Reply, markup: ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None
) -> Message:
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(
        reply.text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup if markup is not None else reply.markup(),
    )


async def _edit(context: Context, chat_id: int, message_id: int, reply: Reply) -> int:
    """Edit a message; if it cannot be edited any more, send the reply anew. Returns its id."""
    try:
        await context.bot.edit_message_text(
            reply.text,
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=reply.markup(),
        )
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return message_id
        log.warning("could not edit a checkout message (%s): sending it anew", exc)
        sent = await context.bot.send_message(
            chat_id, reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup()
        )
        return sent.message_id
    return message_id


async def _answer(update: Update, text: str | None = None, *, drop_buttons: bool = False) -> None:
    """Answer a button press (if the update is one), optionally removing the buttons pressed."""
    query = update.callback_query
    if query is None:
        return
    await query.answer(text)
    if drop_buttons:
        try:
            await query.edit_message_reply_markup(None)
        except TelegramError as exc:
            log.debug("could not remove the buttons of a checkout message: %s", exc)


async def _drop_reply_keyboard(update: Update, context: Context) -> None:
    """Remove the phone step's reply keyboard, if it is shown, without leaving a message."""
    data = _data(context)
    if not data.get("keyboard"):
        return
    data["keyboard"] = False
    chat = update.effective_chat
    if chat is None:
        return
    # Telegram removes a reply keyboard only with a message; this one is deleted at once.
    sent = await chat.send_message("⌨️", reply_markup=ReplyKeyboardRemove())
    try:
        await sent.delete()
    except TelegramError as exc:
        log.debug("could not delete the keyboard-removal message: %s", exc)
