"""The customer's shop: menu, catalog, product cards, cart, order history, help and fallbacks.

Each handler reads the update, calls a store, and answers with a `bot.messages.shop` reply.
Buttons edit the message they sit on (the customer navigates in one message); commands and typed
text get a new message. The cart lives in the database; the only conversation state is the
typed-quantity prompt, kept by a persistent ConversationHandler.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InputMediaPhoto,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.i18n import LANGUAGES, Lang, pick_language
from bot.identity import Visitors
from bot.messages import shop as say
from bot.messages.shop import TEXT, Shelf
from bot.outbox import new_message
from bot.reply import Reply
from storage.models import Cart, Customer, NewMessage, Product, RestockSubscriber, to_ms
from storage.stores import Stores

log = logging.getLogger(__name__)

QUANTITY_CONVERSATION: Final = "shop_quantity"
TYPING_QUANTITY: Final = "shop:typing_quantity"
# user_data entry while a quantity is being typed (see QuantityPrompt).
TYPING: Final = "shop_typing"
# A prompt left unanswered this long no longer catches the customer's next text.
TYPING_LIFETIME: Final = timedelta(minutes=15)
DEEP_LINK_PRODUCT: Final = re.compile(r"^p_(\d{1,18})$")

_ID = r"(\d{1,18})"
_SMALL = r"(\d{1,6})"
_END: Final = ConversationHandler.END
# Telegram's words for a message that can no longer be edited: send a new one instead.
_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")


def _exact(prefix: str, *groups: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(prefix) + ":".join(groups) + "$")


HOME_PATTERN: Final = _exact(say.HOME)
MENU_PATTERN: Final = _exact(say.MENU)
ORDERS_PATTERN: Final = _exact(say.ORDERS)
CATEGORIES_PATTERN: Final = _exact(say.CATEGORIES)
CATEGORY_PATTERN: Final = _exact(say.CATEGORY, _ID, _SMALL)
PRODUCT_PATTERN: Final = _exact(say.PRODUCT, _ID, _SMALL, _ID, _SMALL)
TYPE_QUANTITY_PATTERN: Final = _exact(say.TYPE_QUANTITY, _ID, _ID, _SMALL)
ADD_PATTERN: Final = _exact(say.ADD, _ID, _SMALL, _ID, _SMALL)
NOTIFY_PATTERN: Final = _exact(say.NOTIFY, _ID, _ID, _SMALL)
CART_PATTERN: Final = _exact(say.CART)
CART_SET_PATTERN: Final = _exact(say.CART_SET, _ID, _SMALL)
EMPTY_ASK_PATTERN: Final = _exact(say.EMPTY_ASK)
EMPTY_YES_PATTERN: Final = _exact(say.EMPTY_YES)
ORDER_LIST_PATTERN: Final = re.compile(
    "^" + re.escape(say.ORDER_LIST) + r"(?::(\d{1,18}\.\d{1,18}))?$"
)
ORDER_PATTERN: Final = _exact(say.ORDER, r"([A-Z0-9-]{1,20})")
HELP_PATTERN: Final = _exact(say.HELP)
LANGUAGE_PATTERN: Final = _exact(say.LANGUAGE, "(" + "|".join(LANGUAGES) + ")")


class QuantityProblem(StrEnum):
    """Why a typed quantity is refused; the value is the text key that explains it."""

    NOT_A_NUMBER = "quantity_not_number"
    TOO_SMALL = "quantity_too_small"
    BEYOND_STOCK = "quantity_too_many_stock"
    TOO_MANY = "quantity_too_many"


_WHOLE = re.compile(r"^[+-]?[0-9]+$")


def parse_quantity(text: str, product: Product) -> int | QuantityProblem:
    """Read a typed quantity: a whole number from 1 to what the product allows."""
    compact = "".join(text.split())
    if not _WHOLE.fullmatch(compact):
        return QuantityProblem.NOT_A_NUMBER
    digits = compact.lstrip("+-").lstrip("0") or "0"
    # Far beyond any stock: no need to turn a thousand digits into an int.
    value = int(digits) if len(digits) <= 6 else 10**6
    if compact.startswith("-") and value:
        value = -value
    if value < 1:
        return QuantityProblem.TOO_SMALL
    if value > say.limit_for(product):
        stock_binds = product.stock is not None and product.stock <= say.MAX_PER_LINE
        return QuantityProblem.BEYOND_STOCK if stock_binds else QuantityProblem.TOO_MANY
    return value


def restock_message(subscriber: RestockSubscriber) -> NewMessage:
    """The outbox row telling one customer a product is back (for `ProductStore.update`)."""
    product = subscriber.product
    return new_message(
        subscriber.customer_id,
        say.back_in_stock(pick_language(subscriber.language), product),
        dedup_key=f"restock:{product.id}:{subscriber.customer_id}:{to_ms(product.updated_at)}",
    )


@dataclass(frozen=True, slots=True)
class QuantityPrompt:
    """A customer was asked to type a quantity; kept in user_data as JSON between updates."""

    product_id: int
    shelf: Shelf
    asked_at: datetime

    def to_data(self) -> dict[str, int]:
        """The JSON-friendly form for user_data."""
        return {
            "product": self.product_id,
            "category": self.shelf.category_id,
            "page": self.shelf.page,
            "at": int(self.asked_at.timestamp()),
        }

    @classmethod
    def from_data(cls, data: object) -> QuantityPrompt | None:
        """Read back `to_data`'s form; None for anything else."""
        if not isinstance(data, dict):
            return None
        product_id, category_id, page, at = (
            data.get(key) for key in ("product", "category", "page", "at")
        )
        if not (
            isinstance(product_id, int)
            and isinstance(category_id, int)
            and isinstance(page, int)
            and isinstance(at, int)
        ):
            return None
        return cls(product_id, Shelf(category_id, page), datetime.fromtimestamp(at, UTC))

    def expired(self, now: datetime) -> bool:
        """Whether the prompt is too old to take the customer's next text as its answer."""
        return now - self.asked_at > TYPING_LIFETIME


@dataclass(frozen=True, slots=True)
class Visit:
    """One update from a known customer, with the language to answer in."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    customer: Customer
    lang: Lang

    @property
    def chat_id(self) -> int:
        """Where to send replies (a private chat has the user's id)."""
        chat = self.update.effective_chat
        return chat.id if chat is not None else self.customer.id

    @property
    def query(self) -> CallbackQuery | None:
        """The button press, if the update is one."""
        return self.update.callback_query

    @property
    def user_data(self) -> dict[Any, Any]:
        """The customer's persisted scratch space."""
        data = self.context.user_data
        return data if data is not None else {}

    def numbers(self) -> tuple[int, ...]:
        """The integers captured from the callback data's pattern."""
        return tuple(int(group) for group in self.groups())

    def groups(self) -> tuple[str, ...]:
        """The strings captured from the callback data's pattern (None groups left out)."""
        matches = self.context.matches
        if not matches:
            return ()
        return tuple(group for group in matches[0].groups() if group is not None)


Step = Callable[[Visit], Awaitable[object]]
PTBCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, object]]
AnyHandler = BaseHandler[Any, ContextTypes.DEFAULT_TYPE, Any]


class Shop:
    """The customer-facing catalog, cart and order history, with the bot's fallbacks."""

    def __init__(
        self,
        *,
        stores: Stores,
        visitors: Visitors,
        store_name: str,
        test_mode: bool,
        website_url: str | None = None,
    ) -> None:
        self._stores = stores
        self._products = stores.products
        self._carts = stores.carts
        self._orders = stores.orders
        self._visitors = visitors
        self._store_name = store_name
        self._test_mode = test_mode
        self._website_url = website_url

    # Registration

    def handlers(self) -> list[AnyHandler]:
        """The shop's handlers, catch-all fallbacks last (register after the checkout's)."""
        # Each command also answers to its French word, for customers who type it.
        commands: list[tuple[tuple[str, ...], Step]] = [
            (("start",), self._start),
            (("menu",), self._menu),
            (("catalog", "catalogue"), self._categories),
            (("cart", "panier"), self._cart),
            (("orders", "commandes"), self._order_list),
            (("help", "aide"), self._help),
            (("language", "langue"), self._language_command),
        ]
        cancel = ("cancel", "annuler")
        routes: list[tuple[re.Pattern[str], Step]] = [
            (HOME_PATTERN, self._menu),
            (MENU_PATTERN, self._menu_message),
            (ORDERS_PATTERN, self._orders_message),
            (CATEGORIES_PATTERN, self._categories),
            (CATEGORY_PATTERN, self._category),
            (PRODUCT_PATTERN, self._product),
            (ADD_PATTERN, self._add),
            (NOTIFY_PATTERN, self._notify),
            (CART_PATTERN, self._cart),
            (CART_SET_PATTERN, self._cart_set),
            (EMPTY_ASK_PATTERN, self._empty_ask),
            (EMPTY_YES_PATTERN, self._empty_yes),
            (ORDER_LIST_PATTERN, self._order_list),
            (ORDER_PATTERN, self._order),
            (HELP_PATTERN, self._help),
            (LANGUAGE_PATTERN, self._language_button),
        ]
        # The shop lives in private chats: a cart or an order list has no place in a group.
        private = filters.ChatType.PRIVATE
        # Inside the quantity prompt, every other shop action first closes the prompt.
        leaving: list[AnyHandler] = [
            CommandHandler(cancel, self._on(self._ending(self._cancel_typing)), private),
            *(
                CommandHandler(names, self._on(self._ending(step)), private)
                for names, step in commands
            ),
            *(
                CallbackQueryHandler(self._on(self._ending(step)), pattern=pattern)
                for pattern, step in routes
            ),
        ]
        # The prompt is entered from a button but is about the customer, not the message:
        # per_message=False is meant, and PTB's warning about it is only advice.
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="If 'per_message=False'", category=PTBUserWarning
            )
            typing = ConversationHandler[ContextTypes.DEFAULT_TYPE](
                entry_points=[
                    CallbackQueryHandler(
                        self._on(self._ask_quantity), pattern=TYPE_QUANTITY_PATTERN
                    )
                ],
                states={
                    TYPING_QUANTITY: [
                        MessageHandler(
                            filters.TEXT & ~filters.COMMAND, self._on(self._typed_quantity)
                        )
                    ]
                },
                fallbacks=leaving,
                name=QUANTITY_CONVERSATION,
                persistent=True,
                allow_reentry=True,
            )
        return [
            typing,
            *(CommandHandler(names, self._on(step), private) for names, step in commands),
            CommandHandler(cancel, self._on(self._cancel), private),
            *(CallbackQueryHandler(self._on(step), pattern=pattern) for pattern, step in routes),
            # Fallbacks, last: whatever no feature took still gets an answer.
            CallbackQueryHandler(self._on(self._stale_button)),
            MessageHandler(private & filters.COMMAND, self._on(self._unknown_command)),
            MessageHandler(
                private & filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL,
                self._on(self._unknown_text),
            ),
        ]

    def _on(self, step: Step) -> PTBCallback:
        """Turn a step into a PTB callback that first records the customer."""

        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
            customer = await self._visitors.customer(update)
            if customer is None:
                return None
            return await step(Visit(update, context, customer, self._visitors.lang(customer)))

        return callback

    @staticmethod
    def _ending(step: Step) -> Step:
        """Run a step as a way out of the quantity prompt."""

        async def leave(v: Visit) -> object:
            v.user_data.pop(TYPING, None)
            await step(v)
            return _END

        return leave

    async def set_commands(self, bot: Bot) -> None:
        """Publish the command list: the default language's, and one per language."""
        default = self._visitors.default_language
        await bot.set_my_commands(_bot_commands(default))
        for lang in LANGUAGES:
            await bot.set_my_commands(_bot_commands(lang), language_code=lang)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a failed update (by id only) and tell the customer, in their language, no detail."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        log.error(
            "handling update %s failed: %s",
            update_id,
            type(error).__name__,
            exc_info=error,
        )
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        try:
            lang = await self._error_language(update)
            if update.callback_query is not None:
                await _answer(update.callback_query)
            reply = say.error(lang)
            await context.bot.send_message(
                update.effective_chat.id,
                reply.text,
                parse_mode=ParseMode.HTML,
                reply_markup=reply.markup(),
            )
        except Exception:  # the error report must never raise in turn
            log.warning("could not tell the customer about update %s failing", update_id)

    async def _error_language(self, update: Update) -> Lang:
        user = update.effective_user
        if user is None:
            return self._visitors.default_language
        try:
            customer = await self._stores.customers.get(user.id)
        except Exception:  # the database may be what failed
            customer = None
        if customer is None:
            return pick_language(user.language_code, self._visitors.default_language)
        return self._visitors.lang(customer)

    # Menu, help, language, cancel

    async def _start(self, v: Visit) -> None:
        args = v.context.args or []
        link = DEEP_LINK_PRODUCT.match(args[0]) if args else None
        if link is not None:
            product = await self._products.get(int(link.group(1)))
            if product is not None and product.active:
                await self._show_card(v, product, quantity=1, shelf=say.shelf_of(product))
                return
            await self._send(
                v, say.menu(v.lang, await self._count(v), note=TEXT(v.lang, "product_gone"))
            )
            return
        reply = say.welcome(
            v.lang,
            store=self._store_name,
            name=v.customer.first_name,
            test_mode=self._test_mode,
            cart_count=await self._count(v),
        )
        await self._send(v, reply)

    async def _menu(self, v: Visit) -> None:
        await self._show(v, say.menu(v.lang, await self._count(v)))

    async def _menu_message(self, v: Visit) -> None:
        # Other features' messages carry this button: keep them, answer below.
        await self._show(v, say.menu(v.lang, await self._count(v)), new=True)

    async def _help(self, v: Visit) -> None:
        await self._show(
            v, say.help_text(v.lang, store=self._store_name, website=self._website_url)
        )

    async def _language_button(self, v: Visit) -> None:
        await self._switch_language(v, pick_language(v.groups()[0], v.lang))

    async def _language_command(self, v: Visit) -> None:
        asked = (v.context.args or [""])[0].lower()
        toggled: Lang = "en" if v.lang == "fr" else "fr"
        await self._switch_language(v, pick_language(asked, toggled) if asked else toggled)

    async def _switch_language(self, v: Visit, lang: Lang) -> None:
        await self._visitors.set_language(v.customer, lang)
        count = await self._count(v)
        await self._show(v, say.menu(lang, count, note=TEXT(lang, "language_set")))

    async def _cancel(self, v: Visit) -> None:
        note = TEXT(v.lang, "nothing_to_cancel")
        await self._send(v, say.menu(v.lang, await self._count(v), note=note))

    async def _cancel_typing(self, v: Visit) -> None:
        note = TEXT(v.lang, "typing_cancelled")
        await self._send(v, say.menu(v.lang, await self._count(v), note=note))

    # Catalog

    async def _categories(self, v: Visit) -> None:
        await self._show(v, say.categories(v.lang, await self._products.categories()))

    async def _category(self, v: Visit) -> None:
        category_id, page = v.numbers()
        category = None
        if category_id != say.ALL_PRODUCTS:
            category = await self._products.get_category(category_id)
            if category is None or not category.active:
                shelves = await self._products.categories()
                await self._show(
                    v, say.categories(v.lang, shelves), toast=TEXT(v.lang, "stale_button")
                )
                return
        listed = await self._products.page(
            category_id or None, offset=page * say.PAGE_SIZE, limit=say.PAGE_SIZE
        )
        if not listed.products and page > 0:
            # The category shrank since this button was drawn: show its last page.
            page = max(0, (listed.total - 1) // say.PAGE_SIZE)
            listed = await self._products.page(
                category_id or None, offset=page * say.PAGE_SIZE, limit=say.PAGE_SIZE
            )
        reply = say.product_list(
            v.lang,
            title=say.category_name(v.lang, category),
            shelf=Shelf(category_id, page),
            products=listed.products,
            total=listed.total,
        )
        await self._show(v, reply)

    async def _product(self, v: Visit) -> None:
        product_id, quantity, category_id, page = v.numbers()
        product = await self._products.get(product_id)
        if product is None or not product.active:
            await self._product_gone(v)
            return
        toast = None
        if product.available and quantity < 1:
            toast = TEXT(v.lang, "quantity_min")
        elif product.available and quantity > say.limit_for(product):
            toast = self._limit_text(v.lang, product)
        await self._show_card(
            v, product, quantity=quantity, shelf=Shelf(category_id, page), toast=toast
        )

    async def _show_card(
        self,
        v: Visit,
        product: Product,
        *,
        quantity: int,
        shelf: Shelf,
        toast: str | None = None,
    ) -> None:
        waiting = not product.available and await self._products.restock_requested(
            product.id, v.customer.id
        )
        reply = say.product_card(
            v.lang, product, quantity=quantity, shelf=shelf, restock_requested=waiting
        )
        await self._show(v, reply, toast=toast)

    async def _add(self, v: Visit) -> None:
        product_id, quantity, category_id, page = v.numbers()
        shelf = Shelf(category_id, page)
        product = await self._products.get(product_id)
        if product is None or not product.active:
            await self._product_gone(v)
            return
        if not product.available:
            await self._show_card(
                v, product, quantity=1, shelf=shelf, toast=TEXT(v.lang, "sold_out")
            )
            return
        cart = await self._carts.get(v.customer.id)
        refusal = self._add_refusal(v.lang, product, _quantity_in(cart, product.id), quantity)
        if refusal is not None:
            await self._refuse(v, refusal)
            return
        cart = await self._carts.add(v.customer.id, product.id, quantity)
        toast = TEXT(v.lang, "added", quantity=quantity, name=say.toast_name(product))
        reply = say.product_card(
            v.lang,
            product,
            quantity=quantity,
            shelf=shelf,
            in_cart=_quantity_in(cart, product.id),
        )
        await self._show(v, reply, toast=toast)

    def _add_refusal(self, lang: Lang, product: Product, in_cart: int, adding: int) -> str | None:
        wanted = in_cart + adding
        if adding < 1:
            return TEXT(lang, "quantity_min")
        if product.stock is not None and wanted > product.stock:
            if in_cart:
                return TEXT(lang, "beyond_stock", stock=product.stock, in_cart=in_cart)
            return TEXT(lang, "quantity_max_stock", count=product.stock)
        if wanted > say.MAX_PER_LINE:
            if in_cart:
                return TEXT(lang, "beyond_limit", count=say.MAX_PER_LINE, in_cart=in_cart)
            return TEXT(lang, "quantity_max", count=say.MAX_PER_LINE)
        return None

    @staticmethod
    def _limit_text(lang: Lang, product: Product) -> str:
        if product.stock is not None and product.stock <= say.MAX_PER_LINE:
            return TEXT(lang, "quantity_max_stock", count=product.stock)
        return TEXT(lang, "quantity_max", count=say.MAX_PER_LINE)

    async def _notify(self, v: Visit) -> None:
        product_id, category_id, page = v.numbers()
        shelf = Shelf(category_id, page)
        product = await self._products.get(product_id)
        if product is None or not product.active:
            await self._product_gone(v)
            return
        if product.available:
            await self._show_card(v, product, quantity=1, shelf=shelf)
            return
        added = await self._products.request_restock(product.id, v.customer.id)
        toast = TEXT(v.lang, "notify_saved" if added else "notify_known")
        reply = say.product_card(v.lang, product, quantity=1, shelf=shelf, restock_requested=True)
        await self._show(v, reply, toast=toast)

    async def _product_gone(self, v: Visit) -> None:
        shelves = await self._products.categories()
        await self._show(
            v, say.categories(v.lang, shelves), toast=TEXT(v.lang, "product_gone"), alert=True
        )

    # Typed quantity

    async def _ask_quantity(self, v: Visit) -> object:
        product_id, category_id, page = v.numbers()
        product = await self._products.get(product_id)
        if product is None or not product.available:
            await self._product_gone(v)
            return _END
        shelf = Shelf(category_id, page)
        v.user_data[TYPING] = QuantityPrompt(product.id, shelf, datetime.now(UTC)).to_data()
        await self._show(v, say.ask_quantity(v.lang, product, shelf))
        return TYPING_QUANTITY

    async def _typed_quantity(self, v: Visit) -> object:
        prompt = QuantityPrompt.from_data(v.user_data.get(TYPING))
        message = v.update.effective_message
        if prompt is None or prompt.expired(datetime.now(UTC)) or message is None:
            # A prompt forgotten long ago must not swallow what the customer says now.
            v.user_data.pop(TYPING, None)
            await self._unknown_text(v)
            return _END
        shelf = prompt.shelf
        product = await self._products.get(prompt.product_id)
        if product is None or not product.available:
            v.user_data.pop(TYPING, None)
            note = TEXT(v.lang, "product_gone")
            await self._send(v, say.menu(v.lang, await self._count(v), note=note))
            return _END
        quantity = parse_quantity(message.text or "", product)
        if isinstance(quantity, QuantityProblem):
            await self._send(v, say.bad_quantity(v.lang, quantity.value, product, shelf))
            return None
        v.user_data.pop(TYPING, None)
        await self._send(v, say.product_card(v.lang, product, quantity=quantity, shelf=shelf))
        return _END

    # Cart

    async def _cart(self, v: Visit) -> None:
        await self._show(v, say.cart(v.lang, await self._carts.get(v.customer.id)))

    async def _cart_set(self, v: Visit) -> None:
        product_id, quantity = v.numbers()
        cart = await self._carts.get(v.customer.id)
        line = next((line for line in cart.lines if line.product.id == product_id), None)
        if line is None:
            await self._show(v, say.cart(v.lang, cart), toast=TEXT(v.lang, "stale_button"))
            return
        product = line.product
        if quantity > line.quantity:
            refusal = None
            if not product.active or product.stock == 0:
                refusal = TEXT(v.lang, "sold_out")
            elif quantity > say.limit_for(product):
                refusal = self._limit_text(v.lang, product)
            if refusal is not None:
                await self._refuse(v, refusal)
                return
        cart = await self._carts.set_quantity(v.customer.id, product_id, quantity)
        toast = (
            TEXT(v.lang, "line_removed", name=say.toast_name(product)) if quantity == 0 else None
        )
        await self._show(v, say.cart(v.lang, cart), toast=toast)

    async def _empty_ask(self, v: Visit) -> None:
        cart = await self._carts.get(v.customer.id)
        reply = say.cart(v.lang, cart) if cart.is_empty else say.confirm_empty(v.lang, cart)
        await self._show(v, reply)

    async def _empty_yes(self, v: Visit) -> None:
        cart = await self._carts.clear(v.customer.id)
        await self._show(v, say.cart(v.lang, cart), toast=TEXT(v.lang, "cart_emptied"))

    # Orders

    async def _order_list(self, v: Visit) -> None:
        await self._list_orders(v, new=False)

    async def _orders_message(self, v: Visit) -> None:
        # The receipt carries this button: the receipt stays, the list comes below it.
        await self._list_orders(v, new=True)

    async def _list_orders(self, v: Visit, *, new: bool) -> None:
        groups = v.groups()  # a command has none: the first page
        cursor = groups[0] if groups else None
        listed = await self._orders.page(
            customer_id=v.customer.id, cursor=cursor, limit=say.ORDERS_PAGE_SIZE
        )
        reply = say.orders(
            v.lang, listed.orders, next_cursor=listed.next_cursor, first=cursor is None
        )
        await self._show(v, reply, new=new)

    async def _order(self, v: Visit) -> None:
        (reference,) = v.groups()
        order = await self._orders.by_reference(reference)
        if order is None or order.customer_id != v.customer.id:
            await self._refuse(v, TEXT(v.lang, "order_not_found"))
            return
        payins = await self._stores.payins.for_order(order.id)
        await self._show(v, say.order_detail(v.lang, order, payins))

    # Fallbacks

    async def _stale_button(self, v: Visit) -> None:
        note = TEXT(v.lang, "stale_menu")
        reply = say.menu(v.lang, await self._count(v), note=note)
        await self._show(v, reply, toast=TEXT(v.lang, "stale_button"), new=True)

    async def _unknown_command(self, v: Visit) -> None:
        await self._send(v, say.unknown(v.lang, await self._count(v), command=True))

    async def _unknown_text(self, v: Visit) -> None:
        await self._send(v, say.unknown(v.lang, await self._count(v), command=False))

    # Replying

    async def _count(self, v: Visit) -> int:
        return (await self._carts.get(v.customer.id)).item_count

    async def _refuse(self, v: Visit, text: str) -> None:
        """Answer a button with an alert and leave its message as it is."""
        if v.query is not None:
            await _answer(v.query, text, alert=True)
        else:
            await self._send(v, Reply(text))

    async def _show(
        self,
        v: Visit,
        reply: Reply,
        *,
        toast: str | None = None,
        alert: bool = False,
        new: bool = False,
    ) -> None:
        """Answer a button by editing its message into `reply`; anything else gets a message."""
        query = v.query
        if query is None:
            await self._send(v, reply)
            return
        await _answer(query, toast, alert=alert)
        message = query.message
        if new or not isinstance(message, Message):
            await self._send(v, reply)
            return
        if bool(reply.photo) != bool(message.photo):
            # Telegram cannot turn a text message into a photo or back: replace it.
            await self._send(v, reply)
            await _delete(message)
            return
        try:
            if reply.photo is None:
                await message.edit_text(
                    reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup()
                )
            else:
                media = InputMediaPhoto(reply.photo, caption=reply.text, parse_mode=ParseMode.HTML)
                await message.edit_media(media, reply_markup=reply.markup())
        except BadRequest as exc:
            text = exc.message.lower()
            if "not modified" in text:
                return  # a double tap, or a − at the minimum: the message already says it
            if not any(gone in text for gone in _GONE):
                raise
            await self._send(v, reply)

    async def _send(self, v: Visit, reply: Reply) -> None:
        """Send `reply` as a new message (a photo with a caption when it has one)."""
        bot = v.context.bot
        if reply.photo is not None:
            try:
                await bot.send_photo(
                    v.chat_id,
                    reply.photo,
                    caption=reply.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=reply.markup(),
                )
                return
            except BadRequest as exc:
                # A photo Telegram no longer knows must not hide the product: send it as text.
                log.warning("product photo refused (%s): sending the card as text", exc.message)
        await bot.send_message(
            v.chat_id, reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup()
        )


def _bot_commands(lang: Lang) -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in say.commands(lang)]


def _quantity_in(cart: Cart, product_id: int) -> int:
    return next((line.quantity for line in cart.lines if line.product.id == product_id), 0)


async def _answer(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Stop the button's spinner; a press too old to answer is still acted on."""
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest as exc:
        log.info("button press not answered: %s", exc.message)


async def _delete(message: Message) -> None:
    try:
        await message.delete()
    except TelegramError as exc:
        # Telegram keeps messages older than two days; the new one is below it anyway.
        log.info("old message not deleted: %s", exc.message)
