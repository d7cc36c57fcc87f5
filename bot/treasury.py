"""The treasurer: the only code that moves payouts (refunds and manual payouts).

    prepare (intent) --send: claim, one POST--> pending --confirm--> completed | failed
                                      |
                                      +--> failed (refused, or certainly never sent)
                                      +--> unknown (timeout, 5xx, unreadable answer)

A payout row is sent at most once, ever: `claim()` lets exactly one caller move it from intent to
sending and nothing moves it back, so two admins confirming at once send one request. An
ambiguous send becomes `unknown` and is never resent: only a confirm with the token Ligdicash
returned at creation, or an admin who looked at the Ligdicash dashboard, settles it. Callbacks
are hints, as for payins; a payout callback carries a new token that confirm does not know, so
it is never used. Every change writes the customer's and the admins' messages to the outbox in
the same transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.cashier import Links
from bot.i18n import LANGUAGES, Lang
from bot.messages import refunds as words
from bot.metrics import Metrics
from bot.outbox import new_message
from bot.reply import Reply
from payments.client import LigdicashClient
from payments.errors import (
    InvalidRequestError,
    LigdicashError,
    MerchantSetupError,
    NotFoundError,
    ProtocolError,
    Reason,
    RejectedError,
    TransportError,
)
from payments.models import PAYOUT_MAX_AMOUNT, PAYOUT_MIN_AMOUNT, Confirmation, PayoutCreated
from payments.notice import Notice
from payments.phone import InvalidPhoneError, Operator, Phone, parse_phone
from payments.status import Status
from storage import audit
from storage.models import (
    RESERVING_PAYOUT_STATES,
    Customer,
    NewMessage,
    Order,
    Outcome,
    PayinState,
    Payout,
    PayoutChange,
    PayoutKind,
    PayoutState,
    Rejection,
    utc_now,
)
from storage.stores import Stores

log = logging.getLogger(__name__)

# An admin has this long to confirm what the review showed; older intents are withdrawn.
INTENT_LIFETIME = timedelta(minutes=15)
# A payout left `sending` this long by a crash is looked at by reconciliation.
STUCK_SENDING = timedelta(minutes=2)
# Ligdicash's guidance for payouts: a status call every 30-60 s, 10 tries.
CHECK_INTERVAL = timedelta(seconds=45)
MAX_CHECKS = 10
# A payout may take days: after the 10 tries admins are told, and checks go on hourly.
LATE_CHECK_INTERVAL = timedelta(hours=1)
CALLBACK_CLAIMS = "payout_callback"
MOBILE_MONEY_OPERATORS = frozenset({Operator.ORANGE, Operator.MOOV})
FINAL_STATES = frozenset({PayoutState.COMPLETED, PayoutState.FAILED, PayoutState.CANCELLED})
SETTLEABLE_STATES = frozenset({PayoutState.PENDING, PayoutState.UNKNOWN})
# Every reason a refund or payout can be refused before anything is recorded (text keys).
REFUSALS = (
    "order_not_found",
    "not_refundable",
    "active_refund",
    "nothing_left",
    "exceeds_paid",
    "bad_amount",
    "below_minimum",
    "above_maximum",
    "operator_not_supported",
)


@dataclass(frozen=True)
class Prepared:
    """An intent recorded and waiting for an admin's confirmation."""

    payout: Payout
    order: Order | None
    phone: Phone
    reserved: int


@dataclass(frozen=True)
class PayoutRefused:
    """Nothing was recorded; `reason` is the text key that explains why."""

    reason: str
    order: Order | None = None
    payout: Payout | None = None
    limit: int = 0
    reserved: int = 0


@dataclass(frozen=True)
class Sent:
    """What confirming an intent did: `claimed` is False when this caller sent nothing."""

    payout: Payout | None
    order: Order | None
    claimed: bool
    expired: bool = False
    error: LigdicashError | None = None


def phone_of(payout: Payout) -> Phone:
    """The payout's number with its operator."""
    try:
        return parse_phone("+" + payout.phone)
    except InvalidPhoneError:
        return Phone(payout.phone, None)


class Treasurer:
    """Prepares, sends, confirms and settles payouts; the only code that moves their state."""

    def __init__(
        self,
        *,
        stores: Stores,
        client: LigdicashClient,
        links: Links,
        admin_ids: Sequence[int],
        wake_outbox: Callable[[], None],
        top_up_wallet: bool,
        store_name: str,
        default_language: Lang = "fr",
        clock: Callable[[], datetime] = utc_now,
        check_interval: timedelta = CHECK_INTERVAL,
        intent_lifetime: timedelta = INTENT_LIFETIME,
        metrics: Metrics | None = None,
    ) -> None:
        self._stores = stores
        self._payouts = stores.payouts
        self._client = client
        self._links = links
        self._admin_ids = tuple(admin_ids)
        self._wake_outbox = wake_outbox
        self._top_up_wallet = top_up_wallet
        self._store_name = store_name
        self._default_language = default_language
        self._clock = clock
        self._check_interval = check_interval
        self.intent_lifetime = intent_lifetime
        self._checks: dict[str, asyncio.Task[Payout | None]] = {}
        self._confirm_seconds = (metrics or Metrics()).confirm_seconds.labels("payout")
        # Requests on their way now: reconciliation must not take them for a crash's leftovers.
        self._in_flight: set[str] = set()

    # Preparing

    async def paying_phone(self, order: Order) -> Phone | None:
        """The number that paid the order, when Ligdicash or the payin told us."""
        completed = [
            payin
            for payin in await self._stores.payins.for_order(order.id)
            if payin.state is PayinState.COMPLETED
        ]
        for payin in reversed(completed):
            if payin.phone:
                return _parse(payin.phone)
        # A link payin is paid on Ligdicash's page: only its confirm may name the number.
        for payin in reversed(completed):
            if not payin.token:
                continue
            try:
                confirmation = await self._client.confirm_payin(payin.token)
            except LigdicashError as exc:
                log.info("could not ask Ligdicash which number paid %s: %s", order.reference, exc)
                continue
            phone = _parse(confirmation.customer)
            if phone is not None:
                return phone
        return None

    async def refund_amount(self, order: Order, asked: int | None) -> int | PayoutRefused:
        """The amount a refund of `order` may send: `asked`, or all that is left when None."""
        if order.paid_amount == 0:
            return PayoutRefused("not_refundable", order)
        for payout in await self._payouts.for_order(order.id):
            if payout.is_active and not await self._withdraw_if_stale(payout):
                return PayoutRefused("active_refund", order, payout)
        refundable = await self._payouts.refundable(order.id)
        reserved = order.paid_amount - refundable
        if refundable == 0:
            return PayoutRefused("nothing_left", order, reserved=reserved)
        amount = refundable if asked is None else asked
        if amount > refundable:
            return PayoutRefused("exceeds_paid", order, limit=refundable, reserved=reserved)
        return _range_refusal(amount, order) or amount

    async def prepare(
        self,
        *,
        amount: int,
        phone: Phone,
        kind: PayoutKind,
        admin_id: int,
        reason: str,
        order: Order | None = None,
    ) -> Prepared | PayoutRefused:
        """Record the intent (nothing is sent): a refund of `order`, or a manual payout."""
        refused = _range_refusal(amount, order)
        if refused is not None:
            return refused
        if kind is PayoutKind.MERCHANT and phone.operator not in MOBILE_MONEY_OPERATORS:
            return PayoutRefused("operator_not_supported", order)
        change = await self._payouts.request(
            amount=amount,
            phone=phone.digits,
            kind=kind,
            requested_by=admin_id,
            reason=reason,
            order_id=order.id if order else None,
        )
        if change.outcome is Outcome.APPLIED and change.payout is not None:
            log.info(
                "payout %s prepared by admin %s: %d XOF to %s",
                change.payout.transaction_id,
                admin_id,
                amount,
                phone.masked(),
            )
            reserved = await self.reserved_besides(change.payout, change.order)
            return Prepared(change.payout, change.order, phone, reserved)
        return await self._refusal(change, order)

    async def _refusal(self, change: PayoutChange, order: Order | None) -> PayoutRefused:
        order = change.order or order
        if change.reason is Rejection.EXCEEDS_PAID and order is not None:
            refundable = await self._payouts.refundable(order.id)
            reserved = order.paid_amount - refundable
            reason = "exceeds_paid" if refundable else "nothing_left"
            return PayoutRefused(reason, order, limit=refundable, reserved=reserved)
        reasons = {
            Rejection.NOT_FOUND: "order_not_found",
            Rejection.NOT_REFUNDABLE: "not_refundable",
            Rejection.ACTIVE_REFUND: "active_refund",
        }
        reason = reasons.get(change.reason or Rejection.INVALID_AMOUNT, "bad_amount")
        return PayoutRefused(reason, order, change.payout)

    async def reserved_besides(self, payout: Payout, order: Order | None) -> int:
        """What the order's other refunds (done or under way) hold, this payout left out."""
        if order is None:
            return 0
        refundable = await self._payouts.refundable(order.id)
        held = payout.amount if payout.state in RESERVING_PAYOUT_STATES else 0
        return max(0, order.paid_amount - refundable - held)

    async def describe(self, transaction_id: str) -> Prepared | None:
        """A payout with its order and number, to show it again."""
        payout = await self._payouts.get(transaction_id)
        if payout is None:
            return None
        order = await self._stores.orders.get(payout.order_id) if payout.order_id else None
        return Prepared(payout, order, phone_of(payout), await self.reserved_besides(payout, order))

    async def cancel(self, transaction_id: str, admin_id: int, why: str) -> PayoutChange:
        """Withdraw an intent that was never sent."""
        return await self._payouts.cancel(
            transaction_id, actor=audit.admin_actor(admin_id), why=why
        )

    async def _withdraw_if_stale(self, payout: Payout) -> bool:
        if payout.state is not PayoutState.INTENT or not self._stale(payout):
            return False
        change = await self._payouts.cancel(
            payout.transaction_id, actor=audit.SYSTEM, why="not confirmed in time"
        )
        return change.outcome is not Outcome.REJECTED

    def _stale(self, payout: Payout) -> bool:
        return self._clock() - payout.created_at > self.intent_lifetime

    # Sending

    async def send(self, transaction_id: str, admin_id: int) -> Sent:
        """Claim the intent and send its one request; only the claim's winner sends."""
        payout = await self._payouts.get(transaction_id)
        if payout is None:
            return Sent(None, None, claimed=False)
        actor = audit.admin_actor(admin_id)
        if payout.state is PayoutState.INTENT and self._stale(payout):
            change = await self._payouts.cancel(
                transaction_id, actor=actor, why="confirmed after the confirmation expired"
            )
            if change.payout is not None and change.payout.state is PayoutState.CANCELLED:
                # Withdrawn now, or a moment ago by reconciliation: either way, too late.
                return Sent(change.payout, change.order, claimed=False, expired=True)
        claim = await self._payouts.claim(transaction_id, actor=actor, check_after=STUCK_SENDING)
        if claim.outcome is not Outcome.APPLIED or claim.payout is None:
            return Sent(claim.payout, claim.order, claimed=False)
        self._in_flight.add(transaction_id)
        try:
            return await self._deliver(claim.payout, claim.order, admin_id)
        finally:
            self._in_flight.discard(transaction_id)

    async def _deliver(self, payout: Payout, order: Order | None, admin_id: int) -> Sent:
        tx = payout.transaction_id
        log.info(
            "payout %s: sending %d XOF to %s (%s)",
            tx,
            payout.amount,
            phone_of(payout).masked(),
            payout.kind,
        )
        try:
            created = await self._post(payout, order)
        except InvalidRequestError as exc:
            return await self._failed(
                payout, f"refused before sending: {exc.detail}", exc, admin_id
            )
        except RejectedError as exc:
            if exc.reason is Reason.DUPLICATE_TRANSACTION:
                # Ligdicash says this id already exists: an earlier request may have gone through.
                return await self._unclear(payout, _refusal_detail(exc), exc, admin_id)
            sent = await self._failed(payout, _refusal_detail(exc), exc, admin_id)
            if isinstance(exc, MerchantSetupError):
                await self._alert_setup(f"setup:{tx}", exc, payout.amount)
            return sent
        except TransportError as exc:
            if not exc.maybe_delivered:
                return await self._failed(payout, f"not sent: {exc.detail}", exc, admin_id)
            return await self._unclear(payout, f"no answer: {exc.detail}", exc, admin_id)
        except ProtocolError as exc:
            return await self._unclear(payout, f"unreadable answer: {exc.detail}", exc, admin_id)
        notify = await self._notifier(payout, skip_admin=admin_id)
        change = await self._payouts.mark_pending(
            tx, token=created.token, check_after=self._check_interval, messages=notify
        )
        if change.outcome is not Outcome.APPLIED:
            # Cannot happen while we hold the claim; if it does, a person must reconcile it.
            log.error("payout %s accepted by Ligdicash but left %s", tx, change.reason)
        self._wake_outbox()
        return Sent(change.payout, change.order, claimed=True)

    async def _post(self, payout: Payout, order: Order | None) -> PayoutCreated:
        if order is not None:
            description = f"Remboursement {order.reference} - {self._store_name}"
            custom_data = {"order_ref": order.reference}
        else:
            description = f"Paiement {self._store_name}"
            custom_data = {"payout": "manual"}
        if payout.kind is PayoutKind.CLIENT:
            return await self._client.create_client_payout(
                amount=payout.amount,
                phone=payout.phone,
                description=description[:100],
                top_up_wallet=self._top_up_wallet,
                transaction_id=payout.transaction_id,
                callback_url=self._links.callback_url,
                custom_data=custom_data,
            )
        return await self._client.create_merchant_payout(
            amount=payout.amount,
            phone=payout.phone,
            description=description[:100],
            transaction_id=payout.transaction_id,
            callback_url=self._links.callback_url,
            custom_data=custom_data,
        )

    async def _failed(
        self, payout: Payout, detail: str, exc: LigdicashError, admin_id: int
    ) -> Sent:
        log.warning("payout %s failed: %s", payout.transaction_id, detail)
        notify = await self._notifier(payout, skip_admin=admin_id)
        change = await self._payouts.fail(
            payout.transaction_id, detail=detail, actor=audit.LIGDICASH, messages=notify
        )
        self._wake_outbox()
        return Sent(change.payout, change.order, claimed=True, error=exc)

    async def _unclear(
        self, payout: Payout, detail: str, exc: LigdicashError, admin_id: int
    ) -> Sent:
        tx = payout.transaction_id
        heard = await self._stores.kv.get(CALLBACK_CLAIMS, tx)
        if heard:
            detail += f"; a callback said '{json.loads(heard)}' (not verifiable)"
        log.error("payout %s outcome unknown (%s): never resent automatically", tx, detail)
        notify = await self._notifier(payout, skip_admin=admin_id)
        # No token: nothing can confirm it, so it is not scheduled; a person settles it.
        change = await self._payouts.mark_unknown(
            tx, detail=detail, check_after=None, messages=notify
        )
        self._wake_outbox()
        return Sent(change.payout, change.order, claimed=True, error=exc)

    # Confirming

    async def check(self, transaction_id: str) -> Payout | None:
        """Confirm one payout with its stored token and apply the answer; calls share one."""
        running = self._checks.get(transaction_id)
        if running is None:
            running = asyncio.ensure_future(self._check(transaction_id))
            self._checks[transaction_id] = running
            running.add_done_callback(lambda _: self._checks.pop(transaction_id, None))
        return await asyncio.shield(running)

    async def _check(self, transaction_id: str) -> Payout | None:
        payout = await self._payouts.get(transaction_id)
        if payout is None or payout.state not in SETTLEABLE_STATES or not payout.token:
            return payout
        try:
            with self._confirm_seconds.time():
                confirmation = await self._client.confirm_payout(payout.token)
        except NotFoundError:
            await self._record_check(payout, "Ligdicash does not know this token")
            return await self._payouts.get(transaction_id)
        except LigdicashError as exc:
            await self._record_check(payout, _detail(exc))
            if isinstance(exc, MerchantSetupError):
                hour = f"{self._clock():%Y%m%d%H}"
                await self._alert_setup(f"setup:confirm:{exc.reason}:{hour}", exc, payout.amount)
            raise
        return await self._apply(payout, confirmation)

    async def _apply(self, payout: Payout, confirmation: Confirmation) -> Payout | None:
        tx = payout.transaction_id
        if confirmation.transaction_id and confirmation.transaction_id != tx:
            return await self._anomaly(payout, "confirm answered for another transaction")
        if confirmation.status is Status.PENDING:
            await self._record_check(payout, "pending")
            return await self._payouts.get(tx)
        notify = await self._notifier(payout)
        if confirmation.status is Status.FAILED:
            change = await self._payouts.fail(
                tx, detail="Ligdicash: not completed", messages=notify
            )
        else:
            change = await self._payouts.complete(
                tx,
                amount=confirmation.amount,
                request_id=confirmation.request_id,
                messages=notify,
            )
            if change.reason is Rejection.AMOUNT_MISMATCH and change.payout is not None:
                await self._alert_outcome(change.payout, change.order)
        if change.outcome is Outcome.APPLIED:
            log.info("payout %s is now %s", tx, change.payout.state if change.payout else "?")
            self._wake_outbox()
        return change.payout

    async def _anomaly(self, payout: Payout, detail: str) -> Payout | None:
        log.error("payout %s: %s", payout.transaction_id, detail)
        if payout.state is PayoutState.PENDING:
            change = await self._payouts.mark_unknown(
                payout.transaction_id,
                detail=detail,
                check_after=None,
                messages=await self._notifier(payout),
            )
            self._wake_outbox()
            return change.payout
        await self._payouts.record_check(payout.transaction_id, next_check_at=None, detail=detail)
        return await self._payouts.get(payout.transaction_id)

    async def _record_check(self, payout: Payout, detail: str) -> None:
        checks = payout.attempts + 1
        late = checks >= MAX_CHECKS
        delay = LATE_CHECK_INTERVAL if late else self._check_interval
        await self._payouts.record_check(
            payout.transaction_id, next_check_at=self._clock() + delay, detail=detail[:200]
        )
        if late and payout.state is PayoutState.PENDING:
            after = await self._payouts.get(payout.transaction_id)
            if after is not None and after.state is PayoutState.PENDING:
                order = await self._order(after)
                phone = phone_of(after)
                await self._alert(
                    f"payout:{after.transaction_id}:flagged",
                    lambda lang: words.flagged(lang, after, order, phone),
                )

    async def on_notice(self, notice: Notice) -> str:
        """Handle a payout callback: confirm with the stored token; return the outcome to log."""
        tx = notice.transaction_id
        payout = await self._payouts.get(tx)
        if payout is None:
            log.warning("payout callback for an unknown transaction id ignored")
            return "unknown_transaction"
        if payout.state in FINAL_STATES:
            return f"already_{payout.state.value}"
        if not payout.token:
            # The callback's own token is a new one that confirm does not know: never used.
            await self._stores.kv.set(CALLBACK_CLAIMS, tx, json.dumps(notice.status.value))
            if payout.state is PayoutState.UNKNOWN:
                phone = phone_of(payout)
                status = notice.status.value
                await self._alert(
                    f"payout:{tx}:callback:{status}",
                    lambda lang: words.callback_unverified(lang, payout, phone, status),
                )
            return "unconfirmable"
        try:
            after = await self.check(tx)
        except LigdicashError as exc:
            log.warning("confirm after a payout callback failed for %s: %s", tx, exc)
            return "confirm_failed"
        return f"state_{after.state.value}" if after else "unknown_transaction"

    # A person's decision

    async def settle(self, transaction_id: str, *, completed: bool, admin_id: int) -> PayoutChange:
        """Record what an admin saw in the Ligdicash dashboard (pending or unknown payouts)."""
        payout = await self._payouts.get(transaction_id)
        if payout is None:
            return PayoutChange(Outcome.REJECTED, None, None, Rejection.NOT_FOUND)
        if payout.state not in SETTLEABLE_STATES:
            order = await self._order(payout)
            outcome = Outcome.ALREADY if payout.state in FINAL_STATES else Outcome.REJECTED
            return PayoutChange(outcome, payout, order, Rejection.ILLEGAL_STATE)
        actor = audit.admin_actor(admin_id)
        notify = await self._notifier(payout, skip_admin=admin_id)
        seen = "paid out" if completed else "not paid out"
        detail = f"marked {seen} by admin {admin_id} after checking the Ligdicash dashboard"
        if completed:
            change = await self._payouts.complete(
                transaction_id, amount=None, detail=detail, actor=actor, messages=notify
            )
        else:
            change = await self._payouts.fail(
                transaction_id, detail=detail, actor=actor, messages=notify
            )
        log.info("payout %s %s by admin %s", transaction_id, seen, admin_id)
        self._wake_outbox()
        return change

    # Reconciliation

    async def reconcile(self, payout: Payout) -> None:
        """Look at one payout whose check time has come."""
        tx = payout.transaction_id
        if payout.state is PayoutState.SENDING:
            if tx in self._in_flight:
                await self._payouts.record_check(tx, next_check_at=self._clock() + STUCK_SENDING)
                return
            await self._unclear_after_crash(payout)
            return
        if not payout.token:
            # Without Ligdicash's token nothing can confirm it: people decide.
            await self._payouts.record_check(tx, next_check_at=None)
            return
        try:
            await self.check(tx)
        except LigdicashError:
            return  # recorded by check; the next try is scheduled

    async def _unclear_after_crash(self, payout: Payout) -> None:
        detail = "left sending (the bot stopped during the request?)"
        change = await self._payouts.mark_unknown(
            payout.transaction_id,
            detail=detail,
            check_after=None,
            messages=await self._notifier(payout),
        )
        if change.outcome is Outcome.APPLIED:
            log.error("payout %s: %s; never resent automatically", payout.transaction_id, detail)
            self._wake_outbox()

    async def sweep_intents(self) -> int:
        """Withdraw intents nobody confirmed in time; return how many."""
        withdrawn = 0
        for payout in await self._payouts.active(limit=200):
            if await self._withdraw_if_stale(payout):
                withdrawn += 1
        return withdrawn

    # Messages

    async def _order(self, payout: Payout) -> Order | None:
        if payout.order_id is None:
            return None
        return await self._stores.orders.get(payout.order_id)

    async def _admin_languages(self, skip: int | None = None) -> list[tuple[int, Lang]]:
        found = []
        for admin in self._admin_ids:
            if admin != skip:
                found.append((admin, self._lang(await self._stores.customers.get(admin))))
        return found

    def _lang(self, customer: Customer | None) -> Lang:
        if customer is not None:
            for lang in LANGUAGES:
                if customer.language == lang:
                    return lang
        return self._default_language

    async def _notifier(
        self, payout: Payout, *, skip_admin: int | None = None
    ) -> Callable[[PayoutChange], list[NewMessage]]:
        """Build, before the transaction, the function that writes its messages inside it."""
        order = await self._order(payout)
        customer_lang: Lang | None = None
        if order is not None:
            customer = await self._stores.customers.get(order.customer_id)
            customer_lang = self._lang(customer) if customer is not None else None
        admins = await self._admin_languages(skip_admin)

        def messages(change: PayoutChange) -> list[NewMessage]:
            after = change.payout
            if after is None:
                return []
            phone = phone_of(after)
            key = f"payout:{after.transaction_id}:{after.state.value}"
            out: list[NewMessage] = []
            if change.order is not None and customer_lang is not None:
                update = words.customer_update(customer_lang, after, change.order, phone)
                if update is not None:
                    out.append(
                        new_message(change.order.customer_id, update, dedup_key=f"{key}:customer")
                    )
            out += [
                new_message(
                    admin,
                    words.outcome(lang, after, change.order, phone),
                    dedup_key=f"{key}:admin:{admin}",
                    priority=1,
                )
                for admin, lang in admins
            ]
            return out

        return messages

    async def _alert_outcome(self, payout: Payout, order: Order | None) -> None:
        phone = phone_of(payout)
        await self._alert(
            f"payout:{payout.transaction_id}:{payout.state.value}:{payout.attempts}",
            lambda lang: words.outcome(lang, payout, order, phone),
        )

    async def _alert_setup(self, key: str, exc: MerchantSetupError, amount: int) -> None:
        detail = f"{exc.reason.value}, code {exc.sub_code or '?'}"
        await self._alert(key, lambda lang: words.setup_alert(lang, exc.reason, amount, detail))

    async def _alert(self, key: str, build: Callable[[Lang], Reply]) -> None:
        admins = await self._admin_languages()
        if not admins:
            return
        await self._stores.outbox.enqueue_many(
            new_message(admin, build(lang), dedup_key=f"{key}:admin:{admin}", priority=1)
            for admin, lang in admins
        )
        self._wake_outbox()


def _range_refusal(amount: int, order: Order | None) -> PayoutRefused | None:
    if amount <= 0:
        return PayoutRefused("bad_amount", order)
    if amount < PAYOUT_MIN_AMOUNT:
        return PayoutRefused("below_minimum", order, limit=PAYOUT_MIN_AMOUNT)
    if amount > PAYOUT_MAX_AMOUNT:
        return PayoutRefused("above_maximum", order, limit=PAYOUT_MAX_AMOUNT)
    return None


def _parse(text: str | None) -> Phone | None:
    if not text:
        return None
    digits = text.strip()
    try:
        return parse_phone("+" + digits if digits.isdigit() else digits)
    except InvalidPhoneError:
        return None


def _detail(exc: LigdicashError) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _refusal_detail(exc: RejectedError) -> str:
    return f"Ligdicash refused: {exc.reason.value} (code {exc.sub_code or '?'})"
