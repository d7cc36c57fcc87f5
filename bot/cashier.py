"""The cashier: starts payins, confirms them with Ligdicash, and applies what Ligdicash says.

Every path that can mark money as received goes through `check()`: a callback, the customer's
"Check payment" button and the reconciliation job alike. A notice is only a hint; the truth is a
confirm called with the token we stored when the payin was created, and only `completed` with
the expected amount pays an order (storage enforces the amount once more in the same
transaction that writes the customer's messages to the outbox).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from bot.i18n import LANGUAGES, Lang, money
from bot.messages import payment
from bot.metrics import Metrics
from bot.outbox import new_edit, new_message
from bot.reply import Reply
from payments.client import LigdicashClient
from payments.errors import (
    InvalidRequestError,
    LigdicashError,
    MerchantSetupError,
    NotFoundError,
    ProtocolError,
    RejectedError,
    TransportError,
)
from payments.models import Confirmation, Invoice, LineItem, PayinCreated
from payments.notice import Notice
from payments.phone import OPERATOR_LIMITS, Phone
from payments.status import Status
from storage import audit
from storage.models import (
    Customer,
    NewMessage,
    Order,
    OrderState,
    Outcome,
    Payin,
    PayinChange,
    PayinMethod,
    PayinState,
    utc_now,
)
from storage.stores import Stores

log = logging.getLogger(__name__)

STATUS_MESSAGES = "status_message"
MAX_OPEN_PAYINS = 3
MAX_NEW_PAYINS = 8
NEW_PAYINS_WINDOW = timedelta(minutes=10)
# Ligdicash asks for no more than one status call every 3 seconds per transaction.
MIN_CHECK_INTERVAL = timedelta(seconds=3)
FIRST_MINUTE = timedelta(minutes=1)
FAST_CHECK = timedelta(seconds=4)
SLOW_CHECK_MAX = timedelta(minutes=5)
# How long we keep asking before giving up on our side (a late callback still counts).
LIFETIME = {
    PayinMethod.LINK: timedelta(minutes=30),
    PayinMethod.ORANGE_OTP: timedelta(minutes=5),
    PayinMethod.MOOV_APPROVAL: timedelta(minutes=10),
}
STUCK_CREATING = timedelta(minutes=2)


@dataclass(frozen=True)
class Links:
    """The URLs Ligdicash and customers are given, built from the public base URL."""

    base: str

    @property
    def callback_url(self) -> str:
        """Where Ligdicash posts its callbacks."""
        return f"{self.base}/ligdicash/callback"

    def return_url(self, reference: str) -> str:
        """Where the payment page sends the customer after paying."""
        return f"{self.base}/payment/return?ref={quote(reference)}"

    def cancel_url(self, reference: str) -> str:
        """Where the payment page sends the customer after cancelling."""
        return f"{self.base}/payment/cancel?ref={quote(reference)}"


@dataclass(frozen=True)
class PayinStarted:
    """Ligdicash accepted the payin; the customer now pays (link) or confirms (phone)."""

    payin: Payin
    order: Order


@dataclass(frozen=True)
class PayinRefused:
    """No payin is under way; `message(lang)` tells the customer why and what to do."""

    reason: str
    error: LigdicashError | None = None
    limit: int = 0

    def message(self, lang: Lang) -> str:
        """The customer-facing explanation."""
        explain = getattr(self.error, "message", None)
        if callable(explain):
            return str(explain(lang))
        return payment.REFUSALS(
            lang, self.reason, limit=money(self.limit, lang), count=self.limit, detail=""
        )

    @property
    def wrong_otp(self) -> bool:
        """The OTP was wrong: the customer may type it again."""
        return self.reason == "wrong_otp"

    @property
    def expired_otp(self) -> bool:
        """The OTP expired: the customer must dial the USSD code again."""
        return self.reason == "expired_otp"


PayinStart = PayinStarted | PayinRefused


@dataclass(frozen=True)
class CheckNow:
    """What the customer's "Check payment" button found."""

    payin: Payin | None
    throttled: bool = False
    unreachable: bool = False


class Cashier:
    """Starts, confirms and settles payins; the only code that moves a payin's state."""

    def __init__(
        self,
        *,
        stores: Stores,
        client: LigdicashClient,
        links: Links,
        admin_ids: Sequence[int],
        wake_outbox: Callable[[], None],
        admin_language: Lang = "fr",
        lifetimes: Mapping[PayinMethod, timedelta] = LIFETIME,
        clock: Callable[[], datetime] = utc_now,
        metrics: Metrics | None = None,
    ) -> None:
        self._stores = stores
        self._client = client
        self._links = links
        self._admin_ids = tuple(admin_ids)
        self._wake_outbox = wake_outbox
        self._admin_language = admin_language
        self._lifetimes = dict(lifetimes)
        self._clock = clock
        self._checks: dict[str, asyncio.Task[Payin | None]] = {}
        self._confirm_seconds = (metrics or Metrics()).confirm_seconds.labels("payin")

    # Starting payins

    async def start_link(
        self, order: Order, customer: Customer, *, status_at: tuple[int, int] | None = None
    ) -> PayinStart:
        """Create a hosted payin and return it with its payment URL."""

        async def send(payin: Payin, invoice: Invoice) -> PayinCreated:
            return await self._client.create_hosted_payin(
                invoice,
                transaction_id=payin.transaction_id,
                callback_url=self._links.callback_url,
                return_url=self._links.return_url(order.reference),
                cancel_url=self._links.cancel_url(order.reference),
                custom_data={"order_ref": order.reference},
            )

        return await self._start(order, customer, PayinMethod.LINK, None, send, status_at)

    async def start_orange(
        self,
        order: Order,
        customer: Customer,
        phone: Phone,
        otp: str,
        *,
        status_at: tuple[int, int] | None = None,
    ) -> PayinStart:
        """Send the number and the OTP the customer got by dialling Orange's USSD code."""
        send = self._direct(order, phone, otp)
        return await self._start(order, customer, PayinMethod.ORANGE_OTP, phone, send, status_at)

    async def start_moov(
        self,
        order: Order,
        customer: Customer,
        phone: Phone,
        *,
        status_at: tuple[int, int] | None = None,
    ) -> PayinStart:
        """Ask Moov to charge the number; the customer approves on the phone."""
        send = self._direct(order, phone, "")  # an empty OTP is Ligdicash's approval flow
        return await self._start(order, customer, PayinMethod.MOOV_APPROVAL, phone, send, status_at)

    def _direct(
        self, order: Order, phone: Phone, otp: str
    ) -> Callable[[Payin, Invoice], Awaitable[PayinCreated]]:
        """The direct payin request of one order, to be sent once its payin is recorded."""

        async def send(payin: Payin, invoice: Invoice) -> PayinCreated:
            return await self._client.create_direct_payin(
                invoice,
                phone=phone.digits,
                otp=otp,
                transaction_id=payin.transaction_id,
                callback_url=self._links.callback_url,
                custom_data={"order_ref": order.reference},
            )

        return send

    async def _start(
        self,
        order: Order,
        customer: Customer,
        method: PayinMethod,
        phone: Phone | None,
        send: Callable[[Payin, Invoice], Awaitable[PayinCreated]],
        status_at: tuple[int, int] | None,
    ) -> PayinStart:
        """Record the payin, then call Ligdicash; `status_at` is the (chat, message) to edit."""
        refused = await self._refuse_early(order, customer, phone)
        if refused is not None:
            return refused
        created = await self._stores.payins.create(
            order.id,
            method=method,
            actor=audit.customer_actor(customer.id),
            phone=phone.digits if phone else None,
            check_after=STUCK_CREATING,
        )
        if created.payin is None or created.outcome is not Outcome.APPLIED:
            reason = created.reason.value if created.reason else "order_not_payable"
            return PayinRefused(reason)
        payin = created.payin
        if status_at is not None:
            # Before the call: a payin can end (and its callback arrive) before we return.
            await self.watch(payin.transaction_id, *status_at)
        try:
            invoice = _invoice(order, customer)
            answer = await send(payin, invoice)
        except (InvalidRequestError, RejectedError) as exc:
            # Nothing was created at Ligdicash: this payin is over, the order still awaits.
            await self._stores.payins.fail(
                payin.transaction_id, detail=_detail(exc), actor=audit.SYSTEM
            )
            if isinstance(exc, MerchantSetupError):
                await self._alert_admins(f"setup:{payin.transaction_id}", _setup_alert(exc))
            reason = exc.reason.value if hasattr(exc, "reason") else "refused"
            return PayinRefused(str(reason), exc)
        except (TransportError, ProtocolError) as exc:
            return await self._after_unclear_send(order, payin, exc)
        pending = await self._stores.payins.mark_pending(
            payin.transaction_id,
            token=answer.token,
            payment_url=answer.payment_url,
            check_after=FAST_CHECK,
        )
        assert pending.payin is not None
        log.info(
            "payin %s started for order %s (%s)", payin.transaction_id, order.reference, method
        )
        return PayinStarted(pending.payin, pending.order or order)

    async def _refuse_early(
        self, order: Order, customer: Customer, phone: Phone | None
    ) -> PayinRefused | None:
        if phone is not None and phone.operator is not None:
            low, high = OPERATOR_LIMITS.get(phone.operator, (0, 0))
            if order.total < low:
                return PayinRefused("below_operator_minimum", limit=low)
            if order.total > high:
                return PayinRefused("above_operator_maximum", limit=high)
        open_payins = 0
        for payin in await self._stores.payins.open_for_customer(customer.id):
            # A cancelled order's payin may still end (and is honoured), but no longer blocks.
            its_order = await self._stores.orders.get(payin.order_id)
            if its_order is not None and its_order.state is OrderState.AWAITING_PAYMENT:
                open_payins += 1
        if open_payins >= MAX_OPEN_PAYINS:
            return PayinRefused("too_many_open", limit=MAX_OPEN_PAYINS)
        recent = await self._stores.payins.created_since(
            customer.id, self._clock() - NEW_PAYINS_WINDOW
        )
        if recent >= MAX_NEW_PAYINS:
            return PayinRefused("rate_limited", limit=MAX_NEW_PAYINS)
        return None

    async def _after_unclear_send(
        self, order: Order, payin: Payin, exc: TransportError | ProtocolError
    ) -> PayinStart:
        if isinstance(exc, TransportError) and not exc.maybe_delivered:
            await self._stores.payins.fail(
                payin.transaction_id, detail=_detail(exc), actor=audit.SYSTEM
            )
            return PayinRefused("unreachable", exc)
        if payin.method is PayinMethod.LINK:
            # The customer never saw a link, so no money can move through this payin.
            await self._stores.payins.fail(
                payin.transaction_id, detail=_detail(exc), actor=audit.SYSTEM
            )
            return PayinRefused("unreachable", exc)
        # A direct payin may have reached the operator (the OTP may be spent): without a token
        # we cannot confirm it, so a person must look; a callback can still settle it.
        change = await self._stores.payins.mark_unknown(
            payin.transaction_id, detail=_detail(exc), check_after=None
        )
        if change.payin is not None:
            await self._alert_admins(
                f"payin:{payin.transaction_id}:unknown",
                payment.admin_unknown(self._admin_language, order, change.payin, _detail(exc)),
            )
            return PayinStarted(change.payin, change.order or order)
        return PayinRefused("unreachable", exc)

    # Watching the status message

    async def watch(self, transaction_id: str, chat_id: int, message_id: int) -> None:
        """Remember the status message to edit when the payin ends."""
        await self._stores.kv.set(
            STATUS_MESSAGES,
            transaction_id,
            json.dumps({"chat_id": chat_id, "message_id": message_id}),
        )

    # Confirming

    async def check(self, transaction_id: str, *, token_hint: str = "") -> Payin | None:
        """Confirm one payin with Ligdicash and apply the answer; concurrent calls share one."""
        running = self._checks.get(transaction_id)
        if running is None:
            running = asyncio.ensure_future(self._check(transaction_id, token_hint))
            self._checks[transaction_id] = running
            running.add_done_callback(lambda _: self._checks.pop(transaction_id, None))
        return await asyncio.shield(running)

    async def check_now(self, transaction_id: str) -> CheckNow:
        """The customer's button: confirm unless the last confirm was under 3 seconds ago."""
        payin = await self._stores.payins.get(transaction_id)
        if payin is None:
            return CheckNow(None)
        last = payin.last_checked_at
        if payin.is_open and last is not None and self._clock() - last < MIN_CHECK_INTERVAL:
            return CheckNow(payin, throttled=True)
        if payin.state in (PayinState.COMPLETED, PayinState.FAILED):
            return CheckNow(payin)
        try:
            after = await self.check(transaction_id)
        except LigdicashError:
            return CheckNow(payin, unreachable=True)
        return CheckNow(after)

    async def on_notice(self, notice: Notice) -> str:
        """Handle a parsed callback: re-confirm, never trust it; return the outcome to log."""
        payin = await self._stores.payins.get(notice.transaction_id)
        if payin is None:
            log.warning("callback for an unknown transaction id ignored")
            return "unknown_transaction"
        if payin.state in (PayinState.COMPLETED, PayinState.FAILED):
            return f"already_{payin.state.value}"
        try:
            after = await self.check(payin.transaction_id, token_hint=notice.token)
        except LigdicashError as exc:
            log.warning("confirm after callback failed for %s: %s", payin.transaction_id, exc)
            return "confirm_failed"
        return f"state_{after.state.value}" if after else "unknown_transaction"

    async def _check(self, transaction_id: str, token_hint: str) -> Payin | None:
        payin = await self._stores.payins.get(transaction_id)
        if payin is None or payin.state in (PayinState.COMPLETED, PayinState.FAILED):
            return payin
        token = payin.token or token_hint
        if not token:
            return payin
        try:
            with self._confirm_seconds.time():
                confirmation = await self._client.confirm_payin(token)
        except NotFoundError:
            await self._record_check(payin, "Ligdicash does not know this token")
            return await self._stores.payins.get(transaction_id)
        except LigdicashError as exc:
            await self._record_check(payin, _detail(exc))
            raise
        if payin.token is None:
            # A token we did not store came with a callback: use it only if Ligdicash says it
            # is ours, then keep it for later confirms.
            if confirmation.transaction_id != payin.transaction_id:
                log.warning("callback token belongs to another transaction: ignored")
                return payin
            await self._stores.payins.mark_pending(transaction_id, token=token)
        return await self._apply(payin, confirmation)

    async def _apply(self, payin: Payin, confirmation: Confirmation) -> Payin | None:
        tx = payin.transaction_id
        if confirmation.transaction_id and confirmation.transaction_id != tx:
            return await self._unknown(payin, "confirm answered for another transaction")
        if confirmation.status is Status.PENDING:
            await self._record_check(payin, "pending")
            return await self._stores.payins.get(tx)
        operator = confirmation.operator_name or None
        notify = await self._notifier(payin)
        if confirmation.status is Status.FAILED:
            change = await self._stores.payins.fail(
                tx,
                detail="Ligdicash: not completed",
                operator=operator,
                request_id=confirmation.request_id,
                messages=notify,
            )
        elif confirmation.amount is None:
            return await self._unknown(payin, "completed without an amount")
        else:
            change = await self._stores.payins.complete(
                tx,
                amount=confirmation.amount,
                operator=operator,
                request_id=confirmation.request_id,
                messages=notify,
            )
            if change.outcome is Outcome.REJECTED and change.payin is not None:
                await self._alert_unknown(change, f"amount {confirmation.amount} unexpected")
        if change.outcome is Outcome.APPLIED:
            if change.payin is not None and change.order is not None:
                log.info("payin %s %s: order %s", tx, change.payin.state, change.order.reference)
            self._wake_outbox()
        return change.payin

    async def _unknown(self, payin: Payin, detail: str) -> Payin | None:
        change = await self._stores.payins.mark_unknown(
            payin.transaction_id, detail=detail, check_after=None
        )
        if change.outcome is Outcome.APPLIED:
            await self._alert_unknown(change, detail)
        return change.payin

    async def _alert_unknown(self, change: PayinChange, detail: str) -> None:
        if change.payin is None or change.order is None:
            return
        await self._alert_admins(
            f"payin:{change.payin.transaction_id}:unknown",
            payment.admin_unknown(self._admin_language, change.order, change.payin, detail),
        )

    async def _record_check(self, payin: Payin, detail: str) -> None:
        await self._stores.payins.record_check(
            payin.transaction_id,
            next_check_at=self._clock() + next_check_delay(payin, self._clock()),
            detail=detail[:200],
        )

    # Reconciliation

    async def reconcile(self, payin: Payin) -> None:
        """Look at one payin whose check time has come: confirm it, or give up on our side."""
        now = self._clock()
        if payin.state is PayinState.CREATING:
            await self._resolve_stuck_creating(payin)
            return
        if payin.token is None:
            # An unknown payin without a token cannot be confirmed: people decide.
            await self._stores.payins.record_check(payin.transaction_id, next_check_at=None)
            return
        try:
            after = await self.check(payin.transaction_id)
        except LigdicashError:
            after = await self._stores.payins.get(payin.transaction_id)
        if after is None or not after.is_open or after.state is PayinState.UNKNOWN:
            return
        if now - after.created_at >= self._lifetimes[after.method]:
            change = await self._stores.payins.expire(
                after.transaction_id, messages=await self._notifier(after)
            )
            if change.outcome is Outcome.APPLIED:
                reference = change.order.reference if change.order else "?"
                log.info("payin %s expired on our side: order %s", after.transaction_id, reference)
                self._wake_outbox()

    async def _resolve_stuck_creating(self, payin: Payin) -> None:
        detail = "left creating (restart during the request?)"
        if payin.method is PayinMethod.LINK:
            await self._stores.payins.fail(payin.transaction_id, detail=detail, actor=audit.SYSTEM)
            return
        change = await self._stores.payins.mark_unknown(
            payin.transaction_id, detail=detail, check_after=None
        )
        if change.outcome is Outcome.APPLIED:
            await self._alert_unknown(change, detail)

    # Cancelling

    async def cancel_order(self, reference: str, customer: Customer) -> Order | None:
        """Cancel a customer's unpaid order; returns it as it is now (None if not theirs)."""
        order = await self._stores.orders.by_reference(reference)
        if order is None or order.customer_id != customer.id:
            return None
        change = await self._stores.orders.cancel(
            order.id, actor=audit.customer_actor(customer.id), why="cancelled by the customer"
        )
        return change.order or order

    # Messages

    async def _notifier(self, payin: Payin) -> Callable[[PayinChange], list[NewMessage]]:
        """Build, before the transaction, the function that writes its messages inside it."""
        customer = await self._stores.customers.get(payin.customer_id)
        lang = _lang(customer)
        watched = await self._stores.kv.get(STATUS_MESSAGES, payin.transaction_id)
        status_at = json.loads(watched) if watched else None

        def messages(change: PayinChange) -> list[NewMessage]:
            after, order = change.payin, change.order
            if after is None or order is None:
                return []
            key = f"payin:{after.transaction_id}:{after.state.value}"
            status = payment.status(lang, order, after)
            customer_id = order.customer_id
            out = [
                new_edit(customer_id, status_at["message_id"], status, dedup_key=f"{key}:status")
                if status_at is not None
                else new_message(customer_id, status, dedup_key=f"{key}:status")
            ]
            if after.state is PayinState.COMPLETED:
                receipt = payment.receipt(lang, order, after)
                out.append(new_message(customer_id, receipt, dedup_key=f"{key}:receipt"))
                alert = payment.admin_paid(self._admin_language, order, after, customer)
                out += [
                    new_message(admin, alert, dedup_key=f"{key}:admin:{admin}", priority=1)
                    for admin in self._admin_ids
                ]
            return out

        return messages

    async def _alert_admins(self, key: str, reply: Reply) -> None:
        if not self._admin_ids:
            return
        await self._stores.outbox.enqueue_many(
            new_message(admin, reply, dedup_key=f"{key}:admin:{admin}", priority=1)
            for admin in self._admin_ids
        )
        self._wake_outbox()


def next_check_delay(payin: Payin, now: datetime) -> timedelta:
    """Ligdicash's polling guidance: every few seconds for a minute, then backing off."""
    age = now - payin.created_at
    if age < FIRST_MINUTE:
        return FAST_CHECK
    return min(SLOW_CHECK_MAX, max(timedelta(seconds=10), age / 6))


def _invoice(order: Order, customer: Customer) -> Invoice:
    return Invoice(
        items=tuple(
            LineItem(name=line.name[:100], quantity=line.quantity, unit_price=line.unit_price)
            for line in order.lines
        ),
        description=f"Commande {order.reference}",
        customer_firstname=(order.first_name or customer.first_name)[:60],
        customer_lastname=(order.last_name or customer.last_name)[:60],
        customer_email=order.email or "",
    )


def _lang(customer: Customer | None) -> Lang:
    if customer is not None:
        for lang in LANGUAGES:
            if customer.language == lang:
                return lang
    return "fr"


def _detail(exc: LigdicashError) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _setup_alert(exc: MerchantSetupError) -> Reply:
    return Reply(payment.REFUSALS("fr", "merchant_setup", detail=exc.reason.value))
