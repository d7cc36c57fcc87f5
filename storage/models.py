"""The storage vocabulary: states, their legal transitions, and the frozen records stores return."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TypeAlias, TypeVar

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def to_ms(moment: datetime) -> int:
    """Return an aware datetime as integer epoch milliseconds (the storage format)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: storage only takes aware datetimes")
    return int(moment.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    """Return epoch milliseconds as an aware UTC datetime."""
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def opt_from_ms(value: int | None) -> datetime | None:
    """Return epoch milliseconds as an aware UTC datetime, keeping None."""
    return None if value is None else from_ms(value)


class OrderState(StrEnum):
    """An order's lifecycle."""

    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class OrderFlag(StrEnum):
    """Something about an order that a person must look at."""

    PAID_AFTER_CANCEL = "paid_after_cancel"
    DOUBLE_PAYMENT = "double_payment"
    STOCK_SHORT = "stock_short"
    AMOUNT_MISMATCH = "amount_mismatch"


class PayinMethod(StrEnum):
    """How the customer pays."""

    LINK = "link"
    ORANGE_OTP = "orange_otp"
    MOOV_APPROVAL = "moov_approval"


class PayinState(StrEnum):
    """A payin's lifecycle on our side."""

    CREATING = "creating"
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class PayoutKind(StrEnum):
    """Which Ligdicash payout endpoint carries the money."""

    CLIENT = "client"
    MERCHANT = "merchant"


class PayoutState(StrEnum):
    """A payout's lifecycle on our side."""

    INTENT = "intent"
    SENDING = "sending"
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


class OutboxState(StrEnum):
    """A queued message's lifecycle."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class BroadcastState(StrEnum):
    """A broadcast's lifecycle."""

    SENDING = "sending"
    CANCELLED = "cancelled"
    FINISHED = "finished"


class Outcome(StrEnum):
    """What a guarded transition did."""

    APPLIED = "applied"
    ALREADY = "already"
    REJECTED = "rejected"


class Rejection(StrEnum):
    """Why a transition or a creation was refused."""

    NOT_FOUND = "not_found"
    ILLEGAL_STATE = "illegal_state"
    AMOUNT_MISMATCH = "amount_mismatch"
    ORDER_NOT_PAYABLE = "order_not_payable"
    EMPTY_CART = "empty_cart"
    UNAVAILABLE = "unavailable"
    NOT_REFUNDABLE = "not_refundable"
    EXCEEDS_PAID = "exceeds_paid"
    ACTIVE_REFUND = "active_refund"
    INVALID_AMOUNT = "invalid_amount"


ORDER_TRANSITIONS: Mapping[OrderState, frozenset[OrderState]] = {
    OrderState.AWAITING_PAYMENT: frozenset(
        {OrderState.PAID, OrderState.CANCELLED, OrderState.EXPIRED}
    ),
    # Money that arrives after we gave up on an order is still the customer's money.
    OrderState.CANCELLED: frozenset({OrderState.PAID}),
    OrderState.EXPIRED: frozenset({OrderState.PAID}),
    OrderState.PAID: frozenset({OrderState.PARTIALLY_REFUNDED, OrderState.REFUNDED}),
    OrderState.PARTIALLY_REFUNDED: frozenset({OrderState.REFUNDED}),
    # A second payment after a full refund leaves part of the money still held.
    OrderState.REFUNDED: frozenset({OrderState.PARTIALLY_REFUNDED}),
}

PAYIN_TRANSITIONS: Mapping[PayinState, frozenset[PayinState]] = {
    PayinState.CREATING: frozenset(
        {
            PayinState.PENDING,
            PayinState.COMPLETED,
            PayinState.FAILED,
            PayinState.EXPIRED,
            PayinState.UNKNOWN,
        }
    ),
    PayinState.PENDING: frozenset(
        {PayinState.COMPLETED, PayinState.FAILED, PayinState.EXPIRED, PayinState.UNKNOWN}
    ),
    PayinState.UNKNOWN: frozenset({PayinState.COMPLETED, PayinState.FAILED, PayinState.EXPIRED}),
    # Our expiry is a guess; Ligdicash's late word still counts.
    PayinState.EXPIRED: frozenset({PayinState.COMPLETED, PayinState.FAILED}),
    PayinState.COMPLETED: frozenset(),
    PayinState.FAILED: frozenset(),
}

PAYOUT_TRANSITIONS: Mapping[PayoutState, frozenset[PayoutState]] = {
    PayoutState.INTENT: frozenset({PayoutState.SENDING, PayoutState.CANCELLED}),
    PayoutState.SENDING: frozenset({PayoutState.PENDING, PayoutState.FAILED, PayoutState.UNKNOWN}),
    PayoutState.PENDING: frozenset(
        {PayoutState.COMPLETED, PayoutState.FAILED, PayoutState.UNKNOWN}
    ),
    # Only an explicit confirm or an admin's decision moves an ambiguous payout.
    PayoutState.UNKNOWN: frozenset({PayoutState.COMPLETED, PayoutState.FAILED}),
    PayoutState.COMPLETED: frozenset(),
    PayoutState.FAILED: frozenset(),
    PayoutState.CANCELLED: frozenset(),
}

OPEN_PAYIN_STATES: frozenset[PayinState] = frozenset(
    {PayinState.CREATING, PayinState.PENDING, PayinState.UNKNOWN}
)
ACTIVE_PAYOUT_STATES: frozenset[PayoutState] = frozenset(
    {PayoutState.INTENT, PayoutState.SENDING, PayoutState.PENDING, PayoutState.UNKNOWN}
)
# Payouts whose money has left or may have left: they count against what can still be refunded.
RESERVING_PAYOUT_STATES: frozenset[PayoutState] = ACTIVE_PAYOUT_STATES | {PayoutState.COMPLETED}
PAID_ORDER_STATES: frozenset[OrderState] = frozenset(
    {OrderState.PAID, OrderState.PARTIALLY_REFUNDED, OrderState.REFUNDED}
)

_S = TypeVar("_S", OrderState, PayinState, PayoutState)


def sources(transitions: Mapping[_S, frozenset[_S]], target: _S) -> frozenset[_S]:
    """Return the states from which `target` may be reached."""
    return frozenset(state for state, nexts in transitions.items() if target in nexts)


def money_state(current: OrderState, paid_amount: int, refunded_amount: int) -> OrderState:
    """Return the order state that the money held says it is in."""
    if paid_amount == 0:
        return current
    if refunded_amount == 0:
        return OrderState.PAID
    if refunded_amount >= paid_amount:
        return OrderState.REFUNDED
    return OrderState.PARTIALLY_REFUNDED


@dataclass(frozen=True, slots=True)
class Customer:
    """A Telegram user who talked to the bot."""

    id: int
    first_name: str
    last_name: str
    username: str | None
    language: str
    email: str | None = field(repr=False)
    blocked: bool
    created_at: datetime
    last_seen_at: datetime

    @property
    def display_name(self) -> str:
        """Return the name to greet the customer with."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(frozen=True, slots=True)
class Category:
    """A shelf of the catalog."""

    id: int
    name: str
    position: int
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Product:
    """Something the shop sells; stock None means unlimited."""

    id: int
    category_id: int | None
    name: str
    description: str
    price: int
    photo_file_id: str | None
    stock: int | None
    active: bool
    position: int
    created_at: datetime
    updated_at: datetime

    @property
    def available(self) -> bool:
        """Return whether a customer can buy at least one now."""
        return self.active and (self.stock is None or self.stock > 0)

    def can_supply(self, quantity: int) -> bool:
        """Return whether `quantity` can be sold now."""
        return self.active and (self.stock is None or self.stock >= quantity)


@dataclass(frozen=True, slots=True)
class CartLine:
    """One product in a cart, at today's price."""

    product: Product
    quantity: int

    @property
    def subtotal(self) -> int:
        """Return the line's amount in XOF."""
        return self.product.price * self.quantity


@dataclass(frozen=True, slots=True)
class Cart:
    """What a customer intends to buy."""

    customer_id: int
    lines: tuple[CartLine, ...]

    @property
    def total(self) -> int:
        """Return the cart's amount in XOF."""
        return sum(line.subtotal for line in self.lines)

    @property
    def item_count(self) -> int:
        """Return the number of items in the cart."""
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        """Return whether the cart has no line."""
        return not self.lines


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One product of an order, with the price it had when the order was made."""

    line_no: int
    product_id: int
    name: str
    unit_price: int
    quantity: int

    @property
    def subtotal(self) -> int:
        """Return the line's amount in XOF."""
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Order:
    """A customer's order and the money it holds."""

    id: int
    reference: str
    customer_id: int
    state: OrderState
    total: int
    paid_amount: int
    refunded_amount: int
    flags: frozenset[OrderFlag]
    first_name: str
    last_name: str
    email: str | None = field(repr=False)
    lines: tuple[OrderLine, ...]
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None

    @property
    def held_amount(self) -> int:
        """Return the money received and not refunded yet."""
        return self.paid_amount - self.refunded_amount


@dataclass(frozen=True, slots=True)
class Payin:
    """One attempt to collect an order's money through Ligdicash."""

    id: int
    transaction_id: str
    order_id: int
    customer_id: int
    method: PayinMethod
    amount: int
    phone: str | None = field(repr=False)
    state: PayinState
    token: str | None = field(repr=False)
    payment_url: str | None = field(repr=False)
    operator: str | None
    request_id: str | None
    detail: str | None
    attempts: int
    next_check_at: datetime | None
    last_checked_at: datetime | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    @property
    def is_open(self) -> bool:
        """Return whether the payin may still change without a person."""
        return self.state in OPEN_PAYIN_STATES


@dataclass(frozen=True, slots=True)
class Payout:
    """Money sent out: a refund (order_id set) or a manual payout."""

    id: int
    transaction_id: str
    order_id: int | None
    kind: PayoutKind
    amount: int
    phone: str = field(repr=False)
    state: PayoutState
    token: str | None = field(repr=False)
    requested_by: int
    reason: str
    request_id: str | None
    detail: str | None
    attempts: int
    next_check_at: datetime | None
    last_checked_at: datetime | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    @property
    def is_refund(self) -> bool:
        """Return whether the payout gives an order's money back."""
        return self.order_id is not None

    @property
    def is_active(self) -> bool:
        """Return whether the payout is neither final nor withdrawn."""
        return self.state in ACTIVE_PAYOUT_STATES


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to put in the outbox; `payload` is JSON text the bot defines."""

    chat_id: int
    kind: str
    payload: str = field(repr=False)
    dedup_key: str
    priority: int = 0

    def __post_init__(self) -> None:
        json.loads(self.payload)
        if not self.dedup_key:
            raise ValueError("a message needs a dedup_key")


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message waiting in, or delivered from, the outbox."""

    id: int
    chat_id: int
    kind: str
    payload: str = field(repr=False)
    dedup_key: str
    priority: int
    broadcast_id: int | None
    state: OutboxState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A message an admin sends to every customer who has not blocked the bot."""

    id: int
    created_by: int
    kind: str
    payload: str = field(repr=False)
    state: BroadcastState
    recipients: int
    created_at: datetime
    finished_at: datetime | None
    status_chat_id: int | None
    status_message_id: int | None


@dataclass(frozen=True, slots=True)
class BroadcastProgress:
    """How far a broadcast has gone."""

    broadcast_id: int
    state: BroadcastState
    recipients: int
    sent: int
    failed: int
    skipped: int
    cancelled: int
    remaining: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded transition or admin action."""

    id: int
    at: datetime
    actor: str
    entity: str
    entity_id: str
    order_id: int | None
    from_state: str | None
    to_state: str | None
    why: str


@dataclass(frozen=True, slots=True)
class CallbackRecord:
    """A callback as received (body masked) and what came of it."""

    id: int
    received_at: datetime
    content_type: str
    body: str
    transaction_id: str | None
    outcome: str


@dataclass(frozen=True, slots=True)
class CallbackEntry:
    """A callback to log, with what came of it (its body is masked when stored)."""

    received_at: datetime
    content_type: str
    body: str
    transaction_id: str | None
    outcome: str


@dataclass(frozen=True, slots=True)
class RestockSubscriber:
    """A customer who asked to be told when a product is back."""

    customer_id: int
    language: str
    product: Product


@dataclass(frozen=True, slots=True)
class OrderCreation:
    """The result of turning a cart into an order."""

    order: Order | None
    reason: Rejection | None = None
    unavailable: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderChange:
    """What a guarded order transition did, and the order after it."""

    outcome: Outcome
    order: Order | None
    reason: Rejection | None = None


@dataclass(frozen=True, slots=True)
class PayinChange:
    """What a guarded payin transition did, with the payin and its order after it."""

    outcome: Outcome
    payin: Payin | None
    order: Order | None
    reason: Rejection | None = None
    flags_raised: frozenset[OrderFlag] = frozenset()


@dataclass(frozen=True, slots=True)
class PayoutChange:
    """What a guarded payout transition did, with the payout and its order after it."""

    outcome: Outcome
    payout: Payout | None
    order: Order | None
    reason: Rejection | None = None


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of an order listing; pass `next_cursor` back to get the next one."""

    orders: tuple[Order, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ProductPage:
    """One page of products and how many there are in all."""

    products: tuple[Product, ...]
    total: int


@dataclass(frozen=True, slots=True)
class DayRevenue:
    """Money received on one UTC day (Burkina Faso's day: UTC+0)."""

    day: date
    revenue: int
    payins: int


@dataclass(frozen=True, slots=True)
class GroupRevenue:
    """Money received through one method or operator."""

    key: str
    revenue: int
    payins: int


@dataclass(frozen=True, slots=True)
class PeriodStats:
    """The shop's figures for the UTC days first_day..last_day (inclusive)."""

    first_day: date
    last_day: date
    revenue: int
    payins_completed: int
    paid_orders: int
    orders_created: int
    orders_created_paid: int
    refunds_total: int
    refunds_count: int
    payouts_total: int
    payouts_count: int
    per_day: tuple[DayRevenue, ...]
    per_method: tuple[GroupRevenue, ...]
    per_operator: tuple[GroupRevenue, ...]

    @property
    def average_basket(self) -> int:
        """Return the mean paid order, rounded down, in XOF."""
        return self.revenue // self.paid_orders if self.paid_orders else 0

    @property
    def conversion_permille(self) -> int:
        """Return orders created in the period that got paid, per thousand."""
        if not self.orders_created:
            return 0
        return self.orders_created_paid * 1000 // self.orders_created


@dataclass(frozen=True, slots=True)
class OrderExportRow:
    """One order as exported for accounting."""

    reference: str
    created_at: datetime
    state: OrderState
    customer_id: int
    customer_name: str
    items: str
    total: int
    paid_amount: int
    refunded_amount: int
    paid_at: datetime | None
    method: str
    operator: str
    request_id: str
    transaction_id: str


@dataclass(frozen=True, slots=True)
class PaymentExportRow:
    """One payin or payout as exported for accounting."""

    direction: str
    transaction_id: str
    order_reference: str
    amount: int
    state: str
    method: str
    operator: str
    request_id: str
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    """The result of checking a database file."""

    path: str
    integrity: str
    row_counts: Mapping[str, int]
    size_bytes: int
    schema_version: int

    @property
    def ok(self) -> bool:
        """Return whether SQLite found nothing wrong."""
        return self.integrity == "ok"


_C = TypeVar("_C")
Notify: TypeAlias = "Sequence[NewMessage] | Callable[[_C], Sequence[NewMessage]]"


def messages_for(notify: Notify[_C], change: _C) -> Sequence[NewMessage]:
    """Return the messages to enqueue for an applied change."""
    if callable(notify):
        return notify(change)
    return notify
