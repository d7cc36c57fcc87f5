"""Payouts: money out (refunds and manual payouts), recorded before it is sent, never resent.

    intent --claim--> sending --> pending(token) --> completed | failed
       |                 |            |
       +--> cancelled    +--> failed  +--> unknown --(confirm or a person)--> completed | failed
                         +--> unknown

Only the caller whose `claim()` returns `Outcome.APPLIED` may send the request to Ligdicash:
two admins pressing at once get one APPLIED and one ALREADY. An ambiguous send (timeout, 5xx)
goes `unknown` and only an explicit confirm or an admin's decision moves it on. A refund's amount
plus every refund of the same order that has not failed or been cancelled never exceeds what the
order was paid, and an order has at most one active refund unless the admin asks for another.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from storage import audit
from storage.database import Database, Queryable, Row, Transaction
from storage.models import (
    ACTIVE_PAYOUT_STATES,
    PAYOUT_TRANSITIONS,
    RESERVING_PAYOUT_STATES,
    Notify,
    Order,
    Outcome,
    Payout,
    PayoutChange,
    PayoutKind,
    PayoutState,
    Rejection,
    from_ms,
    messages_for,
    opt_from_ms,
    sources,
    to_ms,
)
from storage.orders import load_order, set_order_money
from storage.outbox import insert_messages

_DETAIL_LIMIT = 500


def _payout(row: Row) -> Payout:
    return Payout(
        id=row["id"],
        transaction_id=row["transaction_id"],
        order_id=row["order_id"],
        kind=PayoutKind(row["kind"]),
        amount=row["amount"],
        phone=row["phone"],
        state=PayoutState(row["state"]),
        token=row["token"],
        requested_by=row["requested_by"],
        reason=row["reason"],
        request_id=row["request_id"],
        detail=row["detail"],
        attempts=row["attempts"],
        next_check_at=opt_from_ms(row["next_check_at"]),
        last_checked_at=opt_from_ms(row["last_checked_at"]),
        created_at=from_ms(row["created_at"]),
        updated_at=from_ms(row["updated_at"]),
        completed_at=opt_from_ms(row["completed_at"]),
    )


async def load_payout(reader: Queryable, transaction_id: str) -> Payout | None:
    """Return one payout by our transaction id."""
    row = await reader.fetch_one(
        "SELECT * FROM payouts WHERE transaction_id = ?", (transaction_id,)
    )
    return None if row is None else _payout(row)


def _in_list(states: frozenset[PayoutState]) -> str:
    return ", ".join(f"'{state}'" for state in sorted(states))


def _ms_after(tx: Transaction, delay: timedelta | None) -> int | None:
    return None if delay is None else tx.now_ms + int(delay.total_seconds() * 1000)


async def _reserved(reader: Queryable, order_id: int) -> int:
    row = await reader.fetch_one(
        "SELECT coalesce(sum(amount), 0) AS reserved FROM payouts"  # noqa: S608
        f" WHERE order_id = ? AND state IN ({_in_list(RESERVING_PAYOUT_STATES)})",
        (order_id,),
    )
    return 0 if row is None else int(row["reserved"])


class PayoutStore:
    """Records payouts and moves them through their states."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def request(
        self,
        *,
        amount: int,
        phone: str,
        kind: PayoutKind,
        requested_by: int,
        reason: str,
        order_id: int | None = None,
        allow_concurrent: bool = False,
        messages: Notify[PayoutChange] = (),
    ) -> PayoutChange:
        """Record the intent to pay out (a refund of `order_id`, or a manual payout).

        Refused with INVALID_AMOUNT (not positive), NOT_FOUND, NOT_REFUNDABLE (order never
        paid), ACTIVE_REFUND (another refund of the order is still under way; the change then
        carries that payout) or EXCEEDS_PAID (this plus the order's other refunds that have not
        failed would exceed what it was paid).
        """
        if amount <= 0:
            return PayoutChange(Outcome.REJECTED, None, None, Rejection.INVALID_AMOUNT)
        async with self._db.transaction() as tx:
            order = None
            if order_id is not None:
                order = await load_order(tx, order_id)
                if order is None:
                    return PayoutChange(Outcome.REJECTED, None, None, Rejection.NOT_FOUND)
                if order.paid_amount == 0:
                    return PayoutChange(Outcome.REJECTED, None, order, Rejection.NOT_REFUNDABLE)
                if not allow_concurrent:
                    active = await tx.fetch_one(
                        "SELECT * FROM payouts WHERE order_id = ?"  # noqa: S608
                        f" AND state IN ({_in_list(ACTIVE_PAYOUT_STATES)})"
                        " ORDER BY id LIMIT 1",
                        (order_id,),
                    )
                    if active is not None:
                        return PayoutChange(
                            Outcome.REJECTED, _payout(active), order, Rejection.ACTIVE_REFUND
                        )
                if await _reserved(tx, order_id) + amount > order.paid_amount:
                    return PayoutChange(Outcome.REJECTED, None, order, Rejection.EXCEEDS_PAID)
            transaction_id = uuid.uuid4().hex
            await tx.insert(
                "INSERT INTO payouts (transaction_id, order_id, kind, amount, phone, state,"
                " requested_by, reason, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 'intent', ?, ?, ?, ?)",
                (
                    transaction_id,
                    order_id,
                    kind,
                    amount,
                    phone,
                    requested_by,
                    reason,
                    tx.now_ms,
                    tx.now_ms,
                ),
            )
            audit.record(
                tx,
                entity="payout",
                entity_id=transaction_id,
                actor=audit.admin_actor(requested_by),
                why=f"{'refund' if order_id is not None else 'payout'} of {amount}: {reason}",
                to_state=PayoutState.INTENT,
                order_id=order_id,
            )
            payout = await load_payout(tx, transaction_id)
            change = PayoutChange(Outcome.APPLIED, payout, order)
            await insert_messages(tx, messages_for(messages, change))
        return change

    async def claim(
        self,
        transaction_id: str,
        *,
        actor: str,
        check_after: timedelta = timedelta(minutes=2),
    ) -> PayoutChange:
        """Move `intent` -> `sending`; only an APPLIED result may send the request, once.

        `check_after` is when reconciliation looks at a payout left `sending` by a crash.
        """
        return await self._transition(
            transaction_id,
            PayoutState.SENDING,
            actor=actor,
            why="sending to Ligdicash",
            next_check_at=check_after,
        )

    async def cancel(self, transaction_id: str, *, actor: str, why: str) -> PayoutChange:
        """Withdraw an intent that was never sent."""
        return await self._transition(transaction_id, PayoutState.CANCELLED, actor=actor, why=why)

    async def mark_pending(
        self,
        transaction_id: str,
        *,
        token: str,
        request_id: str | None = None,
        check_after: timedelta = timedelta(seconds=30),
        actor: str = audit.SYSTEM,
        messages: Notify[PayoutChange] = (),
    ) -> PayoutChange:
        """Store Ligdicash's token and move `sending` -> `pending`."""
        return await self._transition(
            transaction_id,
            PayoutState.PENDING,
            actor=actor,
            why="Ligdicash accepted the request",
            token=token,
            request_id=request_id,
            next_check_at=check_after,
            messages=messages,
        )

    async def mark_unknown(
        self,
        transaction_id: str,
        *,
        detail: str,
        actor: str = audit.SYSTEM,
        check_after: timedelta | None = None,
        messages: Notify[PayoutChange] = (),
    ) -> PayoutChange:
        """Move `sending`/`pending` -> `unknown`: the money may or may not have left."""
        return await self._transition(
            transaction_id,
            PayoutState.UNKNOWN,
            actor=actor,
            why=detail,
            detail=detail,
            next_check_at=check_after,
            messages=messages,
        )

    async def complete(
        self,
        transaction_id: str,
        *,
        amount: int | None,
        request_id: str | None = None,
        detail: str | None = None,
        actor: str = audit.LIGDICASH,
        messages: Notify[PayoutChange] = (),
    ) -> PayoutChange:
        """Record that the money left (`pending`/`unknown` -> `completed`).

        `amount` is what the confirm reported (None for an admin's decision); a different
        amount completes nothing and moves a pending payout to `unknown` for a person. A
        completed refund adds to the order's refunded amount and moves the order to
        `partially_refunded` or `refunded`.
        """
        async with self._db.transaction() as tx:
            payout = await load_payout(tx, transaction_id)
            if payout is None:
                return PayoutChange(Outcome.REJECTED, None, None, Rejection.NOT_FOUND)
            if (
                amount is not None
                and amount != payout.amount
                and payout.state in sources(PAYOUT_TRANSITIONS, PayoutState.COMPLETED)
            ):
                why = f"confirmed amount {amount} is not the expected {payout.amount}"
                await self._move(tx, payout, PayoutState.UNKNOWN, actor=actor, why=why, detail=why)
                after = await load_payout(tx, transaction_id)
                order = await self._order(tx, after)
                return PayoutChange(Outcome.REJECTED, after, order, Rejection.AMOUNT_MISMATCH)
            applied = await self._move(
                tx,
                payout,
                PayoutState.COMPLETED,
                actor=actor,
                why=f"paid out {payout.amount}",
                detail=detail,
                request_id=request_id,
            )
            if applied and payout.order_id is not None:
                order = await load_order(tx, payout.order_id)
                assert order is not None
                await set_order_money(
                    tx,
                    order,
                    paid_amount=order.paid_amount,
                    refunded_amount=order.refunded_amount + payout.amount,
                    flags=order.flags,
                    actor=actor,
                    why=f"refund {transaction_id} completed",
                )
            change = await self._result(tx, transaction_id, applied, PayoutState.COMPLETED)
            if applied:
                await insert_messages(tx, messages_for(messages, change))
        return change

    async def fail(
        self,
        transaction_id: str,
        *,
        detail: str,
        actor: str = audit.LIGDICASH,
        messages: Notify[PayoutChange] = (),
    ) -> PayoutChange:
        """Record that the money did not leave (`sending`/`pending`/`unknown` -> `failed`)."""
        return await self._transition(
            transaction_id,
            PayoutState.FAILED,
            actor=actor,
            why=detail,
            detail=detail,
            messages=messages,
        )

    async def _transition(
        self,
        transaction_id: str,
        target: PayoutState,
        *,
        actor: str,
        why: str,
        detail: str | None = None,
        token: str | None = None,
        request_id: str | None = None,
        next_check_at: timedelta | None = None,
        messages: Notify[PayoutChange] = (),
    ) -> PayoutChange:
        async with self._db.transaction() as tx:
            payout = await load_payout(tx, transaction_id)
            if payout is None:
                return PayoutChange(Outcome.REJECTED, None, None, Rejection.NOT_FOUND)
            applied = await self._move(
                tx,
                payout,
                target,
                actor=actor,
                why=why,
                detail=detail,
                token=token,
                request_id=request_id,
                next_check_at=_ms_after(tx, next_check_at),
            )
            change = await self._result(tx, transaction_id, applied, target)
            if applied:
                await insert_messages(tx, messages_for(messages, change))
        return change

    @staticmethod
    async def _move(
        tx: Transaction,
        payout: Payout,
        target: PayoutState,
        *,
        actor: str,
        why: str,
        detail: str | None = None,
        token: str | None = None,
        request_id: str | None = None,
        next_check_at: int | None = None,
    ) -> bool:
        allowed = sources(PAYOUT_TRANSITIONS, target)
        if payout.state not in allowed:
            return False
        changed = await tx.execute(
            "UPDATE payouts SET state = ?, updated_at = ?, detail = coalesce(?, detail),"  # noqa: S608
            " token = coalesce(?, token), request_id = coalesce(?, request_id),"
            " next_check_at = ?, completed_at = ?"
            f" WHERE id = ? AND state IN ({_in_list(allowed)})",
            (
                target,
                tx.now_ms,
                None if detail is None else detail[:_DETAIL_LIMIT],
                token,
                request_id,
                next_check_at,
                tx.now_ms if target is PayoutState.COMPLETED else None,
                payout.id,
            ),
        )
        if changed != 1:
            return False
        audit.record(
            tx,
            entity="payout",
            entity_id=payout.transaction_id,
            actor=actor,
            why=why,
            from_state=payout.state,
            to_state=target,
            order_id=payout.order_id,
        )
        return True

    @staticmethod
    async def _order(tx: Transaction, payout: Payout | None) -> Order | None:
        if payout is None or payout.order_id is None:
            return None
        return await load_order(tx, payout.order_id)

    @staticmethod
    async def _result(
        tx: Transaction, transaction_id: str, applied: bool, target: PayoutState
    ) -> PayoutChange:
        payout = await load_payout(tx, transaction_id)
        assert payout is not None
        order = None if payout.order_id is None else await load_order(tx, payout.order_id)
        if applied:
            return PayoutChange(Outcome.APPLIED, payout, order)
        if payout.state is target:
            return PayoutChange(Outcome.ALREADY, payout, order)
        return PayoutChange(Outcome.REJECTED, payout, order, Rejection.ILLEGAL_STATE)

    async def record_check(
        self,
        transaction_id: str,
        *,
        next_check_at: datetime | None,
        detail: str | None = None,
    ) -> bool:
        """Count a confirm that changed nothing and schedule the next one (None: no more)."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE payouts SET attempts = attempts + 1, last_checked_at = ?,"
                " next_check_at = ?, detail = coalesce(?, detail), updated_at = ?"
                " WHERE transaction_id = ? AND state IN ('sending', 'pending', 'unknown')",
                (
                    tx.now_ms,
                    None if next_check_at is None else to_ms(next_check_at),
                    None if detail is None else detail[:_DETAIL_LIMIT],
                    tx.now_ms,
                    transaction_id,
                ),
            )
        return changed == 1

    async def get(self, transaction_id: str) -> Payout | None:
        """Return one payout by our transaction id."""
        return await load_payout(self._db, transaction_id)

    async def for_order(self, order_id: int) -> tuple[Payout, ...]:
        """Return an order's refunds, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM payouts WHERE order_id = ? ORDER BY id", (order_id,)
        )
        return tuple(_payout(row) for row in rows)

    async def refundable(self, order_id: int) -> int:
        """Return how much of an order's money may still be refunded."""
        order = await load_order(self._db, order_id)
        if order is None:
            return 0
        return max(0, order.paid_amount - await _reserved(self._db, order_id))

    async def due(self, now: datetime | None = None, limit: int = 100) -> tuple[Payout, ...]:
        """Return sending/pending/unknown payouts whose next check time has come."""
        moment = self._db.now() if now is None else to_ms(now)
        rows = await self._db.fetch_all(
            "SELECT * FROM payouts WHERE state IN ('sending', 'pending', 'unknown')"
            " AND next_check_at <= ? ORDER BY next_check_at LIMIT ?",
            (moment, limit),
        )
        return tuple(_payout(row) for row in rows)

    async def active(self, limit: int = 50) -> tuple[Payout, ...]:
        """Return payouts not final yet (intent, sending, pending, unknown), oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM payouts"  # noqa: S608
            f" WHERE state IN ({_in_list(ACTIVE_PAYOUT_STATES)})"
            " ORDER BY id LIMIT ?",
            (limit,),
        )
        return tuple(_payout(row) for row in rows)

    async def recent(self, limit: int = 20) -> tuple[Payout, ...]:
        """Return the latest payouts, newest first."""
        rows = await self._db.fetch_all("SELECT * FROM payouts ORDER BY id DESC LIMIT ?", (limit,))
        return tuple(_payout(row) for row in rows)

    async def count_by_state(self) -> dict[PayoutState, int]:
        """Return how many payouts are in each state (for metrics)."""
        rows = await self._db.fetch_all("SELECT state, count(*) AS n FROM payouts GROUP BY state")
        counts = dict.fromkeys(PayoutState, 0)
        counts.update({PayoutState(row["state"]): row["n"] for row in rows})
        return counts
