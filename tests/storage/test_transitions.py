"""The transition tables as specs: every (state, event) pair and what it must do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from storage import Stores
from storage.models import (
    ORDER_TRANSITIONS,
    PAYIN_TRANSITIONS,
    PAYOUT_TRANSITIONS,
    OrderState,
    Outcome,
    PayinChange,
    PayinMethod,
    PayinState,
    PayoutChange,
    PayoutKind,
    PayoutState,
    money_state,
)
from tests.storage.shop import ADMIN, ADMIN_ACTOR, PHONE, order, paid_order

A, D, R = Outcome.APPLIED, Outcome.ALREADY, Outcome.REJECTED
P = PayinState
PAYIN_EVENTS = ("mark_pending", "complete", "fail", "expire", "mark_unknown")
# (state, event) -> (outcome, state afterwards)
PAYIN_TABLE: dict[tuple[PayinState, str], tuple[Outcome, PayinState]] = {
    (P.CREATING, "mark_pending"): (A, P.PENDING),
    (P.CREATING, "complete"): (A, P.COMPLETED),
    (P.CREATING, "fail"): (A, P.FAILED),
    (P.CREATING, "expire"): (A, P.EXPIRED),
    (P.CREATING, "mark_unknown"): (A, P.UNKNOWN),
    (P.PENDING, "mark_pending"): (D, P.PENDING),
    (P.PENDING, "complete"): (A, P.COMPLETED),
    (P.PENDING, "fail"): (A, P.FAILED),
    (P.PENDING, "expire"): (A, P.EXPIRED),
    (P.PENDING, "mark_unknown"): (A, P.UNKNOWN),
    (P.COMPLETED, "mark_pending"): (R, P.COMPLETED),
    (P.COMPLETED, "complete"): (D, P.COMPLETED),
    (P.COMPLETED, "fail"): (R, P.COMPLETED),
    (P.COMPLETED, "expire"): (R, P.COMPLETED),
    (P.COMPLETED, "mark_unknown"): (R, P.COMPLETED),
    (P.FAILED, "mark_pending"): (R, P.FAILED),
    (P.FAILED, "complete"): (R, P.FAILED),
    (P.FAILED, "fail"): (D, P.FAILED),
    (P.FAILED, "expire"): (R, P.FAILED),
    (P.FAILED, "mark_unknown"): (R, P.FAILED),
    (P.EXPIRED, "mark_pending"): (R, P.EXPIRED),
    (P.EXPIRED, "complete"): (A, P.COMPLETED),
    (P.EXPIRED, "fail"): (A, P.FAILED),
    (P.EXPIRED, "expire"): (D, P.EXPIRED),
    (P.EXPIRED, "mark_unknown"): (R, P.EXPIRED),
    (P.UNKNOWN, "mark_pending"): (R, P.UNKNOWN),
    (P.UNKNOWN, "complete"): (A, P.COMPLETED),
    (P.UNKNOWN, "fail"): (A, P.FAILED),
    (P.UNKNOWN, "expire"): (A, P.EXPIRED),
    (P.UNKNOWN, "mark_unknown"): (D, P.UNKNOWN),
}
PAYIN_SETUP: dict[PayinState, tuple[str, ...]] = {
    P.CREATING: (),
    P.PENDING: ("mark_pending",),
    P.COMPLETED: ("mark_pending", "complete"),
    P.FAILED: ("fail",),
    P.EXPIRED: ("mark_pending", "expire"),
    P.UNKNOWN: ("mark_unknown",),
}

Q = PayoutState
PAYOUT_EVENTS = ("claim", "cancel", "mark_pending", "mark_unknown", "complete", "fail")
PAYOUT_TABLE: dict[tuple[PayoutState, str], tuple[Outcome, PayoutState]] = {
    (Q.INTENT, "claim"): (A, Q.SENDING),
    (Q.INTENT, "cancel"): (A, Q.CANCELLED),
    (Q.INTENT, "mark_pending"): (R, Q.INTENT),
    (Q.INTENT, "mark_unknown"): (R, Q.INTENT),
    (Q.INTENT, "complete"): (R, Q.INTENT),
    (Q.INTENT, "fail"): (R, Q.INTENT),
    (Q.SENDING, "claim"): (D, Q.SENDING),
    (Q.SENDING, "cancel"): (R, Q.SENDING),
    (Q.SENDING, "mark_pending"): (A, Q.PENDING),
    (Q.SENDING, "mark_unknown"): (A, Q.UNKNOWN),
    (Q.SENDING, "complete"): (R, Q.SENDING),
    (Q.SENDING, "fail"): (A, Q.FAILED),
    (Q.PENDING, "claim"): (R, Q.PENDING),
    (Q.PENDING, "cancel"): (R, Q.PENDING),
    (Q.PENDING, "mark_pending"): (D, Q.PENDING),
    (Q.PENDING, "mark_unknown"): (A, Q.UNKNOWN),
    (Q.PENDING, "complete"): (A, Q.COMPLETED),
    (Q.PENDING, "fail"): (A, Q.FAILED),
    (Q.UNKNOWN, "claim"): (R, Q.UNKNOWN),
    (Q.UNKNOWN, "cancel"): (R, Q.UNKNOWN),
    (Q.UNKNOWN, "mark_pending"): (R, Q.UNKNOWN),
    (Q.UNKNOWN, "mark_unknown"): (D, Q.UNKNOWN),
    (Q.UNKNOWN, "complete"): (A, Q.COMPLETED),
    (Q.UNKNOWN, "fail"): (A, Q.FAILED),
    (Q.COMPLETED, "claim"): (R, Q.COMPLETED),
    (Q.COMPLETED, "cancel"): (R, Q.COMPLETED),
    (Q.COMPLETED, "mark_pending"): (R, Q.COMPLETED),
    (Q.COMPLETED, "mark_unknown"): (R, Q.COMPLETED),
    (Q.COMPLETED, "complete"): (D, Q.COMPLETED),
    (Q.COMPLETED, "fail"): (R, Q.COMPLETED),
    (Q.FAILED, "claim"): (R, Q.FAILED),
    (Q.FAILED, "cancel"): (R, Q.FAILED),
    (Q.FAILED, "mark_pending"): (R, Q.FAILED),
    (Q.FAILED, "mark_unknown"): (R, Q.FAILED),
    (Q.FAILED, "complete"): (R, Q.FAILED),
    (Q.FAILED, "fail"): (D, Q.FAILED),
    (Q.CANCELLED, "claim"): (R, Q.CANCELLED),
    (Q.CANCELLED, "cancel"): (D, Q.CANCELLED),
    (Q.CANCELLED, "mark_pending"): (R, Q.CANCELLED),
    (Q.CANCELLED, "mark_unknown"): (R, Q.CANCELLED),
    (Q.CANCELLED, "complete"): (R, Q.CANCELLED),
    (Q.CANCELLED, "fail"): (R, Q.CANCELLED),
}
PAYOUT_SETUP: dict[PayoutState, tuple[str, ...]] = {
    Q.INTENT: (),
    Q.SENDING: ("claim",),
    Q.PENDING: ("claim", "mark_pending"),
    Q.UNKNOWN: ("claim", "mark_unknown"),
    Q.COMPLETED: ("claim", "mark_pending", "complete"),
    Q.FAILED: ("claim", "fail"),
    Q.CANCELLED: ("cancel",),
}


def test_payin_table_covers_every_state_and_event() -> None:
    assert set(PAYIN_TABLE) == {(state, event) for state in PayinState for event in PAYIN_EVENTS}
    assert set(PAYIN_SETUP) == set(PayinState) == set(PAYIN_TRANSITIONS)


def test_payout_table_covers_every_state_and_event() -> None:
    assert set(PAYOUT_TABLE) == {(s, e) for s in PayoutState for e in PAYOUT_EVENTS}
    assert set(PAYOUT_SETUP) == set(PayoutState) == set(PAYOUT_TRANSITIONS)


def test_order_transitions_cover_every_state() -> None:
    assert set(ORDER_TRANSITIONS) == set(OrderState)


def test_final_states_have_no_way_out() -> None:
    assert PAYIN_TRANSITIONS[PayinState.COMPLETED] == frozenset()
    assert PAYIN_TRANSITIONS[PayinState.FAILED] == frozenset()
    assert PAYOUT_TRANSITIONS[PayoutState.COMPLETED] == frozenset()
    assert PAYOUT_TRANSITIONS[PayoutState.FAILED] == frozenset()
    assert PAYOUT_TRANSITIONS[PayoutState.CANCELLED] == frozenset()


@pytest.mark.parametrize(
    ("current", "paid", "refunded", "expected"),
    [
        (OrderState.AWAITING_PAYMENT, 0, 0, OrderState.AWAITING_PAYMENT),
        (OrderState.CANCELLED, 0, 0, OrderState.CANCELLED),
        (OrderState.EXPIRED, 0, 0, OrderState.EXPIRED),
        (OrderState.AWAITING_PAYMENT, 5000, 0, OrderState.PAID),
        (OrderState.CANCELLED, 5000, 0, OrderState.PAID),
        (OrderState.PAID, 5000, 1000, OrderState.PARTIALLY_REFUNDED),
        (OrderState.PARTIALLY_REFUNDED, 5000, 5000, OrderState.REFUNDED),
        (OrderState.REFUNDED, 10000, 5000, OrderState.PARTIALLY_REFUNDED),
    ],
)
def test_order_state_follows_the_money(
    current: OrderState, paid: int, refunded: int, expected: OrderState
) -> None:
    assert money_state(current, paid, refunded) is expected


def _payin_event(stores: Stores, tx: str, amount: int, event: str) -> Awaitable[PayinChange]:
    actions: dict[str, Callable[[], Awaitable[PayinChange]]] = {
        "mark_pending": lambda: stores.payins.mark_pending(tx, token="tok"),
        "complete": lambda: stores.payins.complete(tx, amount=amount),
        "fail": lambda: stores.payins.fail(tx, detail="notcompleted"),
        "expire": lambda: stores.payins.expire(tx),
        "mark_unknown": lambda: stores.payins.mark_unknown(tx, detail="timeout"),
    }
    return actions[event]()


@pytest.mark.parametrize(("state", "event"), sorted(PAYIN_TABLE))
async def test_payin_event_in_state(stores: Stores, state: PayinState, event: str) -> None:
    the_order = await order(stores)
    created = await stores.payins.create(the_order.id, method=PayinMethod.LINK, actor="customer:1")
    assert created.payin is not None
    tx, amount = created.payin.transaction_id, created.payin.amount
    for step in PAYIN_SETUP[state]:
        assert (await _payin_event(stores, tx, amount, step)).outcome is Outcome.APPLIED
    result = await _payin_event(stores, tx, amount, event)
    expected_outcome, expected_state = PAYIN_TABLE[(state, event)]
    assert result.outcome is expected_outcome
    assert result.payin is not None
    assert result.payin.state is expected_state


def _payout_event(stores: Stores, tx: str, event: str) -> Awaitable[PayoutChange]:
    actions: dict[str, Callable[[], Awaitable[PayoutChange]]] = {
        "claim": lambda: stores.payouts.claim(tx, actor=ADMIN_ACTOR),
        "cancel": lambda: stores.payouts.cancel(tx, actor=ADMIN_ACTOR, why="changed mind"),
        "mark_pending": lambda: stores.payouts.mark_pending(tx, token="ptok"),
        "mark_unknown": lambda: stores.payouts.mark_unknown(tx, detail="timeout"),
        "complete": lambda: stores.payouts.complete(tx, amount=None),
        "fail": lambda: stores.payouts.fail(tx, detail="notcompleted"),
    }
    return actions[event]()


@pytest.mark.parametrize(("state", "event"), sorted(PAYOUT_TABLE))
async def test_payout_event_in_state(stores: Stores, state: PayoutState, event: str) -> None:
    paid = await paid_order(stores)
    intent = await stores.payouts.request(
        order_id=paid.id,
        amount=paid.paid_amount,
        phone=PHONE,
        kind=PayoutKind.MERCHANT,
        requested_by=ADMIN,
        reason="refund",
    )
    assert intent.payout is not None
    tx = intent.payout.transaction_id
    for step in PAYOUT_SETUP[state]:
        assert (await _payout_event(stores, tx, step)).outcome is Outcome.APPLIED
    result = await _payout_event(stores, tx, event)
    expected_outcome, expected_state = PAYOUT_TABLE[(state, event)]
    assert result.outcome is expected_outcome
    assert result.payout is not None
    assert result.payout.state is expected_state
