"""The admin console: /admin menu, orders and their detail, stats with a chart, CSV export.

For admins (settings.admin_ids) only: anyone else who types an admin command gets the shop's
unknown-command reply and a log line, as if the command did not exist. Every admin action that
changes something, takes data out, or looks at an order goes to the audit trail. Products live
in bot.catalog_admin and broadcasts in bot.broadcast; this module puts them into one persistent
ConversationHandler (see bot.console).
"""

from __future__ import annotations

import asyncio
import logging
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import CommandHandler, ContextTypes, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from bot import charts, exports
from bot.broadcast import Broadcasts
from bot.cashier import Cashier
from bot.catalog_admin import CatalogAdmin
from bot.console import (
    END,
    AdminButtonHandler,
    AnyHandler,
    PTBCallback,
    Route,
    Step,
    Visit,
    acknowledge,
    exact,
    refuse,
    send,
    show,
)
from bot.i18n import Lang
from bot.identity import Visitors
from bot.messages import admin as say
from bot.messages import shop as shop_words
from bot.messages.admin import TEXT
from bot.outbox import new_message
from bot.periods import Period, fold, from_code, parse_day, parse_period
from bot.reply import Reply
from payments.phone import Phone
from storage.models import (
    Order,
    OrderFlag,
    OrderState,
    Outcome,
    PayinState,
    Rejection,
    utc_now,
)
from storage.stores import Stores

log = logging.getLogger(__name__)

CONVERSATION_NAME: Final = "admin_console"
ORDERS_PAGE_SIZE: Final = 8
TRAIL_LENGTH: Final = 15
STATS_DEFAULT: Final = "7d"
EXPORT_DEFAULT: Final = "month"
# Commands that exist for admins only; /orders is also the customers' own order list.
ADMIN_ONLY_COMMANDS: Final = ("admin", "order", "stats", "export", "products", "broadcast")
PAGES: Final = "admin_pages"  # user_data: the cursors of the order list being paged
# Payins the re-check button asks Ligdicash about: those still open, and those we gave up on
# (our expiry is a guess; Ligdicash may still say completed).
RECHECKABLE: Final = frozenset(
    {PayinState.CREATING, PayinState.PENDING, PayinState.UNKNOWN, PayinState.EXPIRED}
)

_REF = r"([A-Z0-9-]{1,20})"
_FILTER = r"([a-z]{2,3}|d\d{1,6}-\d{1,6})"
_PERIOD = r"(today|7d|30d|month|d\d{1,6}-\d{1,6})"
_FLAG = "(" + "|".join(flag.value for flag in OrderFlag) + ")"
ORDER_LIST_PATTERN: Final = re.compile(
    "^" + re.escape(say.ORDER_LIST) + _FILTER + r":(\d{1,4})(?::(\d{1,15}\.\d{1,18}))?$"
)


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders a listing shows; `code` names it in callback data."""

    code: str
    states: frozenset[OrderState] | None = None
    period: Period | None = None
    flagged: bool = False


# "failed": orders that ended unpaid (expired or cancelled). An order whose payin failed can
# still be paid again, so it is "awaiting" until it expires or is cancelled.
_STATE_FILTERS: Final[dict[str, frozenset[OrderState] | None]] = {
    "all": None,
    "aw": frozenset({OrderState.AWAITING_PAYMENT}),
    "pd": frozenset({OrderState.PAID}),
    "fl": frozenset({OrderState.EXPIRED, OrderState.CANCELLED}),
    "rf": frozenset({OrderState.REFUNDED, OrderState.PARTIALLY_REFUNDED}),
}
FILTER_CODES: Final = ("aw", "pd", "fl", "rf", "td", "fg", "all")
# What admins type after /orders, in either language.
FILTER_WORDS: Final[dict[str, str]] = {
    "awaiting": "aw",
    "attente": "aw",
    "unpaid": "aw",
    "paid": "pd",
    "payee": "pd",
    "payees": "pd",
    "failed": "fl",
    "echouee": "fl",
    "echouees": "fl",
    "refunded": "rf",
    "remboursee": "rf",
    "remboursees": "rf",
    "today": "td",
    "aujourdhui": "td",
    "flagged": "fg",
    "signalee": "fg",
    "signalees": "fg",
    "all": "all",
    "toutes": "all",
}


def order_filter(code: str, today: date) -> OrderFilter | None:
    """The filter a code stands for (a date range code covers those days), or None."""
    if code in _STATE_FILTERS:
        return OrderFilter(code, states=_STATE_FILTERS[code])
    if code == "td":
        return OrderFilter(code, period=Period(today, today, "today"))
    if code == "fg":
        return OrderFilter(code, flagged=True)
    period = from_code(code, today)
    return None if period is None else OrderFilter(code, period=period)


def parse_order_filter(words: Sequence[str], today: date) -> OrderFilter | None:
    """Read /orders arguments: nothing (all), a filter word, or one or two days."""
    if not words:
        return order_filter("all", today)
    if len(words) == 1 and fold(words[0]) in FILTER_WORDS:
        return order_filter(FILTER_WORDS[fold(words[0])], today)
    if len(words) > 2 or any(parse_day(word) is None for word in words):
        return None
    period = parse_period(words, today, default="today")
    return None if period is None else OrderFilter(period.code, period=period)


class Admin:
    """The admin console's features and the one conversation that routes them."""

    def __init__(
        self,
        *,
        stores: Stores,
        visitors: Visitors,
        cashier: Cashier,
        wake_outbox: Callable[[], None],
        clock: Callable[[], datetime] = utc_now,
        progress_every: float = 3.0,
    ) -> None:
        self._stores = stores
        self._visitors = visitors
        self._cashier = cashier
        self._wake_outbox = wake_outbox
        self._clock = clock
        self._menus_set: set[int] = set()
        self.catalog = CatalogAdmin(stores=stores, wake_outbox=wake_outbox)
        self.broadcasts = Broadcasts(
            stores=stores, wake_outbox=wake_outbox, progress_every=progress_every
        )

    # Registration

    def routes(self) -> list[Route]:
        """The console's own commands and buttons (orders, stats, export, menu)."""
        return [
            Route(self._menu, commands=("admin",), pattern=exact(say.MENU)),
            Route(self._cancel_prompt, pattern=exact(say.CANCEL_PROMPT)),
            Route(self._orders_command, commands=("orders",)),
            Route(self._order_filters, pattern=exact(say.ORDER_FILTERS)),
            Route(self._order_list, pattern=ORDER_LIST_PATTERN),
            Route(self._order_command, commands=("order",)),
            Route(self._order_button, pattern=exact(say.ORDER, _REF)),
            Route(self._recheck, pattern=exact(say.ORDER_RECHECK, _REF)),
            Route(self._cancel_ask, pattern=exact(say.ORDER_CANCEL, _REF)),
            Route(self._cancel_yes, pattern=exact(say.ORDER_CANCEL_YES, _REF)),
            Route(self._clear_flag, pattern=exact(say.ORDER_CLEAR_FLAG, _REF, _FLAG)),
            Route(self._stats_command, commands=("stats",)),
            Route(self._stats_menu, pattern=exact(say.STATS_MENU)),
            Route(self._stats_button, pattern=exact(say.STATS, _PERIOD)),
            Route(self._export_command, commands=("export",)),
            Route(self._export_menu, pattern=exact(say.EXPORT_MENU)),
            Route(self._export_button, pattern=exact(say.EXPORT, _PERIOD)),
        ]

    def handlers(self) -> list[AnyHandler]:
        """The console conversation, the non-admin refusal, then stale admin buttons.

        Register in group 1 before the checkout's and the shop's handlers.
        """
        admins = self._visitors.admin_filter
        private = filters.ChatType.PRIVATE
        routes = [*self.routes(), *self.catalog.routes(), *self.broadcasts.routes()]
        prompts = [*self.catalog.prompts(), *self.broadcasts.prompts()]
        entry_points: list[AnyHandler] = []
        for route in routes:
            callback = self._on(route.step, entry=True)
            if route.commands:
                entry_points.append(CommandHandler(route.commands, callback, private & admins))
            if route.pattern is not None:
                entry_points.append(AdminButtonHandler(callback, route.pattern, self._visitors))
        states: dict[object, list[AnyHandler]] = {}
        for prompt in prompts:
            callback = self._on(prompt.step, entry=False)
            handler: AnyHandler
            if prompt.pattern is not None:
                handler = AdminButtonHandler(callback, prompt.pattern, self._visitors)
            else:
                assert prompt.filter is not None
                handler = MessageHandler(private & admins & prompt.filter, callback)
            states.setdefault(prompt.state, []).append(handler)
        # Anything else typed while a prompt waits is answered by the prompt, not the shop.
        unexpected = MessageHandler(
            private & admins & filters.UpdateType.MESSAGE & ~filters.COMMAND,
            self._on(self._unexpected, entry=False),
        )
        for handlers in states.values():
            handlers.append(unexpected)
        with warnings.catch_warnings():
            # Keyed by chat and user on purpose: a prompt is about the admin, not one message.
            warnings.filterwarnings(
                "ignore", message="If 'per_message=False'", category=PTBUserWarning
            )
            console = ConversationHandler[ContextTypes.DEFAULT_TYPE](
                entry_points=entry_points,
                states=states,
                fallbacks=[
                    CommandHandler(
                        ("cancel", "annuler"),
                        self._on(self._cancel_prompt, entry=True),
                        private & admins,
                    )
                ],
                allow_reentry=True,
                name=CONVERSATION_NAME,
                persistent=True,
            )
        return [
            console,
            CommandHandler(ADMIN_ONLY_COMMANDS, self._not_admin, private & ~admins),
            AdminButtonHandler(
                self._on(self._stale_button, entry=True), re.compile("^adm:"), self._visitors
            ),
        ]

    def _on(self, step: Step, *, entry: bool) -> PTBCallback:
        """Turn a step into a PTB callback that first records the admin as a customer."""

        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
            admin = await self._visitors.customer(update)
            if admin is None:
                return END if entry else None
            result = await step(Visit(update, context, admin, self._visitors.lang(admin)))
            if result is None and entry:
                return END
            return result

        return callback

    async def start(self, bot: Bot) -> None:
        """Show admins their commands, and resume the progress of broadcasts still sending."""
        for admin_id in sorted(self._visitors.admin_ids):
            customer = await self._stores.customers.get(admin_id)
            await self._set_commands(bot, admin_id, self._visitors.lang(customer))
        await self.broadcasts.start(bot)

    async def _set_commands(self, bot: Bot, admin_id: int, lang: Lang) -> None:
        """Put the admin commands in this admin's / menu (in their chat only)."""
        # An admin's /orders is the console's order list, not their own purchases.
        commands = [
            *(
                BotCommand(name, text)
                for name, text in shop_words.commands(lang)
                if name not in say.COMMANDS
            ),
            *(BotCommand(name, text) for name, text in say.commands(lang)),
        ]
        try:
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:
            # An admin who never opened the bot has no chat yet: /admin sets it later.
            log.info("admin %s: command menu not set (%s)", admin_id, exc.message)
            return
        self._menus_set.add(admin_id)

    async def stop(self) -> None:
        """Stop the broadcasts' progress reports (the broadcasts themselves go on)."""
        await self.broadcasts.stop()

    # Non-admins, cancel, stale buttons

    async def _not_admin(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        customer = await self._visitors.customer(update)
        message = update.effective_message
        if customer is None or message is None:
            return
        command = (message.text or "").split(maxsplit=1)[0].split("@")[0]
        log.warning("non-admin %s tried %s", customer.id, command)
        lang = self._visitors.lang(customer)
        count = (await self._stores.carts.get(customer.id)).item_count
        reply = shop_words.unknown(lang, count, command=True)
        await context.bot.send_message(
            message.chat_id, reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup()
        )

    async def _cancel_prompt(self, v: Visit) -> object:
        v.drop_draft()
        await show(v, say.menu(v.lang, note=TEXT(v.lang, "cancelled")))
        return END

    async def _unexpected(self, v: Visit) -> object:
        await send(v, say.unexpected(v.lang))
        return None

    async def _stale_button(self, v: Visit) -> object:
        await show(v, say.menu(v.lang), toast=TEXT(v.lang, "stale_button"), new=True)
        return END

    # Menu

    async def _menu(self, v: Visit) -> object:
        v.drop_draft()
        await show(v, say.menu(v.lang))
        if v.admin_id not in self._menus_set:
            await self._set_commands(v.context.bot, v.admin_id, v.lang)
        return END

    # Orders

    async def _orders_command(self, v: Visit) -> object:
        chosen = parse_order_filter(v.args, self._clock().date())
        if chosen is None:
            await send(v, say.order_filters(v.lang, note=TEXT(v.lang, "orders_usage")))
            return END
        await self._list_orders(v, chosen, page=0, cursor=None)
        return END

    async def _order_filters(self, v: Visit) -> object:
        await show(v, say.order_filters(v.lang))
        return END

    async def _order_list(self, v: Visit) -> object:
        code, page_text, *rest = v.groups()
        chosen = order_filter(code, self._clock().date())
        if chosen is None:
            await show(v, say.order_filters(v.lang), toast=TEXT(v.lang, "stale_button"))
            return END
        page, cursor = int(page_text), rest[0] if rest else None
        if cursor is None and page > 0 and not chosen.flagged:
            cursor, page = self._remembered_cursor(v, code, page)
        await self._list_orders(v, chosen, page=page, cursor=cursor)
        return END

    @staticmethod
    def _remembered_cursor(v: Visit, code: str, page: int) -> tuple[str | None, int]:
        """The cursor of an earlier page (◀), or the first page when it is not known."""
        trail = v.user_data.get(PAGES)
        if isinstance(trail, dict) and trail.get("f") == code:
            cursors = trail.get("c")
            if isinstance(cursors, list) and page < len(cursors):
                remembered = cursors[page]
                if isinstance(remembered, str):
                    return remembered, page
        return None, 0

    async def _list_orders(
        self, v: Visit, chosen: OrderFilter, *, page: int, cursor: str | None
    ) -> None:
        if chosen.flagged:
            # Flagged orders are few; storage lists them without a cursor.
            upto = (page + 1) * ORDERS_PAGE_SIZE
            found = await self._stores.orders.flagged(limit=upto + 1)
            shown = found[page * ORDERS_PAGE_SIZE : upto]
            next_cursor = "" if len(found) > upto else None
        else:
            period = chosen.period
            try:
                listed = await self._stores.orders.page(
                    states=chosen.states,
                    created_from=period.start if period else None,
                    created_to=period.end if period else None,
                    cursor=cursor,
                    limit=ORDERS_PAGE_SIZE,
                )
            except ValueError:  # a cursor that is not one: show the first page
                page, cursor = 0, None
                listed = await self._stores.orders.page(
                    states=chosen.states, limit=ORDERS_PAGE_SIZE
                )
            shown, next_cursor = listed.orders, listed.next_cursor
            self._remember_cursor(v, chosen.code, page, cursor)
        title = say.filter_name(v.lang, chosen.code, chosen.period)
        await show(
            v, say.order_list(v.lang, title, chosen.code, shown, page=page, next_cursor=next_cursor)
        )

    @staticmethod
    def _remember_cursor(v: Visit, code: str, page: int, cursor: str | None) -> None:
        trail = v.user_data.get(PAGES)
        cursors: list[str | None] = [None]
        if page > 0 and isinstance(trail, dict) and trail.get("f") == code:
            kept = trail.get("c")
            if isinstance(kept, list):
                cursors = list(kept[:page])
        while len(cursors) < page:
            cursors.append(None)
        if page > 0:
            cursors.append(cursor)
        v.user_data[PAGES] = {"f": code, "c": cursors}

    async def _order_command(self, v: Visit) -> object:
        if len(v.args) != 1:
            await send(v, say.usage(v.lang, "order_usage"))
            return END
        await self._order_detail(v, v.args[0])
        return END

    async def _order_button(self, v: Visit) -> object:
        (reference,) = v.groups()
        await self._order_detail(v, reference)
        return END

    async def _order_detail(self, v: Visit, reference: str, *, toast: str | None = None) -> None:
        order = await self._stores.orders.by_reference(reference)
        if order is None:
            await refuse(v, TEXT(v.lang, "order_not_found", ref=reference[:20]))
            return
        await self._stores.audit.record_action(
            actor=v.actor, entity="order", entity_id=order.reference, why="viewed by an admin"
        )
        await show(v, await self._detail_reply(v.lang, order), toast=toast)

    async def _detail_reply(self, lang: Lang, order: Order) -> Reply:
        payins = await self._stores.payins.for_order(order.id)
        payouts = await self._stores.payouts.for_order(order.id)
        trail = (await self._stores.audit.for_order(order.id))[-TRAIL_LENGTH:]
        customer = await self._stores.customers.get(order.customer_id)
        numbers = [p.phone for p in reversed(payins) if p.phone]
        if not numbers:
            numbers = list(await self._stores.customers.phones(order.customer_id))
        phone = _masked(numbers[0]) if numbers else ""
        recheck = any(p.state in RECHECKABLE and p.token for p in payins)
        return say.order_detail(
            lang,
            order,
            customer=customer,
            phone=phone,
            payins=payins,
            payouts=payouts,
            trail=trail,
            recheck=recheck,
            mask=_masked,
        )

    async def _recheck(self, v: Visit) -> object:
        (reference,) = v.groups()
        order = await self._stores.orders.by_reference(reference)
        if order is None:
            await refuse(v, TEXT(v.lang, "order_not_found", ref=reference))
            return END
        payins = [
            p
            for p in await self._stores.payins.for_order(order.id)
            if p.state in RECHECKABLE and p.token
        ]
        if not payins:
            await self._order_detail(v, reference, toast=TEXT(v.lang, "recheck_nothing"))
            return END
        results: list[str] = []
        for payin in payins:
            found = await self._cashier.check_now(payin.transaction_id)
            if found.throttled:
                outcome = "throttled"
            elif found.unreachable:
                outcome = "unreachable"
            else:
                outcome = found.payin.state.value if found.payin else "unknown"
            results.append(outcome)
            await self._stores.audit.record_action(
                actor=v.actor,
                entity="payin",
                entity_id=payin.transaction_id,
                why=f"re-checked with Ligdicash by an admin: {outcome}",
                order_id=order.id,
            )
        log.info("admin %s re-checked order %s: %s", v.admin_id, order.reference, results)
        await self._order_detail(v, reference, toast=say.recheck_toast(v.lang, results))
        return END

    async def _cancel_ask(self, v: Visit) -> object:
        (reference,) = v.groups()
        order = await self._stores.orders.by_reference(reference)
        if order is None or order.state is not OrderState.AWAITING_PAYMENT:
            await refuse(v, TEXT(v.lang, "cannot_cancel"))
            return END
        await show(v, say.confirm_cancel(v.lang, order))
        return END

    async def _cancel_yes(self, v: Visit) -> object:
        (reference,) = v.groups()
        order = await self._stores.orders.by_reference(reference)
        if order is None:
            await refuse(v, TEXT(v.lang, "order_not_found", ref=reference))
            return END
        customer = await self._stores.customers.get(order.customer_id)
        notice = say.customer_cancelled(self._visitors.lang(customer), order)
        change = await self._stores.orders.cancel(
            order.id,
            actor=v.actor,
            why=f"cancelled by admin {v.admin_id}",
            messages=[
                new_message(
                    order.customer_id, notice, dedup_key=f"order:{order.reference}:admin-cancel"
                )
            ],
        )
        if change.outcome is Outcome.REJECTED:
            toast = TEXT(v.lang, "cannot_cancel")
        else:
            toast = TEXT(v.lang, "order_cancelled", ref=order.reference)
        if change.outcome is Outcome.APPLIED:
            log.info("admin %s cancelled order %s", v.admin_id, order.reference)
            self._wake_outbox()
        await self._order_detail(v, reference, toast=toast)
        return END

    async def _clear_flag(self, v: Visit) -> object:
        reference, flag = v.groups()
        order = await self._stores.orders.by_reference(reference)
        if order is None:
            await refuse(v, TEXT(v.lang, "order_not_found", ref=reference))
            return END
        change = await self._stores.orders.clear_flag(
            order.id, OrderFlag(flag), actor=v.actor, why=f"handled by admin {v.admin_id}"
        )
        if change.outcome is Outcome.APPLIED:
            log.info("admin %s cleared %s on order %s", v.admin_id, flag, order.reference)
        toast = TEXT(v.lang, "flag_cleared", flag=say.flag_name(v.lang, OrderFlag(flag)))
        if change.reason is Rejection.NOT_FOUND:
            toast = TEXT(v.lang, "order_not_found", ref=reference)
        await self._order_detail(v, reference, toast=toast)
        return END

    # Stats

    async def _stats_command(self, v: Visit) -> object:
        period = parse_period(v.args, self._clock().date(), default=STATS_DEFAULT)
        if period is None:
            await send(v, say.period_menu(v.lang, say.STATS, note=TEXT(v.lang, "period_usage")))
            return END
        await self._stats(v, period)
        return END

    async def _stats_menu(self, v: Visit) -> object:
        await show(v, say.period_menu(v.lang, say.STATS))
        return END

    async def _stats_button(self, v: Visit) -> object:
        (code,) = v.groups()
        period = from_code(code, self._clock().date())
        if period is None:
            await refuse(v, TEXT(v.lang, "stale_button"))
            return END
        await acknowledge(v)
        await self._stats(v, period)
        return END

    async def _stats(self, v: Visit, period: Period) -> None:
        stats = await self._stores.stats.period(period.first_day, period.last_day)
        await send(v, say.stats(v.lang, stats, period))
        lang = v.lang
        png = await asyncio.to_thread(
            charts.revenue_chart,
            stats.per_day,
            say.chart_words(lang, stats, period),
            lambda amount: say.axis_amount(lang, amount),
        )
        await v.context.bot.send_photo(
            v.chat_id,
            png,
            caption=TEXT(lang, "chart_caption", period=say.period_name(lang, period)),
            filename="revenue.png",
        )
        await self._stores.audit.record_action(
            actor=v.actor,
            entity="stats",
            entity_id=period.code,
            why=f"stats {period.first_day}..{period.last_day} viewed by an admin",
        )

    # Export

    async def _export_command(self, v: Visit) -> object:
        period = parse_period(v.args, self._clock().date(), default=EXPORT_DEFAULT)
        if period is None:
            await send(v, say.period_menu(v.lang, say.EXPORT, note=TEXT(v.lang, "period_usage")))
            return END
        await self._export(v, period)
        return END

    async def _export_menu(self, v: Visit) -> object:
        await show(v, say.period_menu(v.lang, say.EXPORT))
        return END

    async def _export_button(self, v: Visit) -> object:
        (code,) = v.groups()
        period = from_code(code, self._clock().date())
        if period is None:
            await refuse(v, TEXT(v.lang, "stale_button"))
            return END
        await acknowledge(v, TEXT(v.lang, "export_preparing"))
        await self._export(v, period)
        return END

    async def _export(self, v: Visit, period: Period) -> None:
        stats = self._stores.stats
        span = f"{period.first_day.isoformat()}_{period.last_day.isoformat()}"
        # One file at a time: the orders file is sent before the payments file is built.
        orders = await exports.write_csv(
            exports.ORDER_COLUMNS,
            stats.export_orders(period.start, period.end),
            exports.order_cells,
        )
        await v.context.bot.send_document(
            v.chat_id,
            orders.data,
            filename=f"orders_{span}.csv",
            caption=TEXT(
                v.lang, "export_orders", period=say.period_name(v.lang, period), rows=orders.rows
            ),
        )
        payments = await exports.write_csv(
            exports.PAYMENT_COLUMNS,
            stats.export_payments(period.start, period.end),
            exports.payment_cells,
        )
        await v.context.bot.send_document(
            v.chat_id,
            payments.data,
            filename=f"payments_{span}.csv",
            caption=TEXT(
                v.lang,
                "export_payments",
                period=say.period_name(v.lang, period),
                rows=payments.rows,
            ),
        )
        await self._stores.audit.record_action(
            actor=v.actor,
            entity="export",
            entity_id=period.code,
            why=(
                f"exported {orders.rows} orders and {payments.rows} payments,"
                f" {period.first_day}..{period.last_day}"
            ),
        )
        log.info("admin %s exported %s..%s", v.admin_id, period.first_day, period.last_day)


def _masked(digits: str) -> str:
    try:
        return Phone(digits=digits, operator=None).masked()
    except ValueError:
        return "…" + digits[-2:]
