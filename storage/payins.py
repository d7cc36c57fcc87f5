"""Payins: money in, through Ligdicash, with guarded transitions that report what they did.

The row exists (state `creating`) before Ligdicash is called, so a crash in between leaves a trace
for reconciliation. Every transition is one transaction: the guarded UPDATE, the order's money,
stock, audit entries and the outbox messages of the event, or none of them. A late or duplicate
event is a value (`Outcome.ALREADY` / `Outcome.REJECTED`), never an exception, and `completed` is
final: nothing that comes after it undoes it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from storage import audit
from storage.database import Database, Queryable, Row, Transaction
from storage.models import (
    OPEN_PAYIN_STATES,
    PAYIN_TRANSITIONS,
    Notify,
    Order,
    OrderFlag,
    OrderState,
    Outcome,
    Payin,
    PayinChange,
    PayinMethod,
    PayinState,
    Rejection,
    from_ms,
    messages_for,
    opt_from_ms,
    sources,
    to_ms,
)
from storage.orders import load_order, raise_flags, set_order_money
from storage.outbox import insert_messages
from storage.products import take_stock

_DETAIL_LIMIT = 500
COUNT_SLICE_IDS = 20_000


def new_transaction_id() -> str:
    """Return a random, unguessable transaction id (never sequential)."""
    return uuid.uuid4().hex


def _payin(row: Row) -> Payin:
    return Payin(
        id=row["id"],
        transaction_id=row["transaction_id"],
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        method=PayinMethod(row["method"]),
        amount=row["amount"],
        phone=row["phone"],
        state=PayinState(row["state"]),
        token=row["token"],
        payment_url=row["payment_url"],
        operator=row["operator"],
        request_id=row["request_id"],
        detail=row["detail"],
        attempts=row["attempts"],
        next_check_at=opt_from_ms(row["next_check_at"]),
        last_checked_at=opt_from_ms(row["last_checked_at"]),
        created_at=from_ms(row["created_at"]),
        updated_at=from_ms(row["updated_at"]),
        completed_at=opt_from_ms(row["completed_at"]),
    )


async def load_payin(reader: Queryable, transaction_id: str) -> Payin | None:
    """Return one payin by our transaction id."""
    row = await reader.fetch_one("SELECT * FROM payins WHERE transaction_id = ?", (transaction_id,))
    return None if row is None else _payin(row)


def _in_list(states: frozenset[PayinState]) -> str:
    return ", ".join(f"'{state}'" for state in sorted(states))


def _ms_after(tx: Transaction, delay: timedelta | None) -> int | None:
    return None if delay is None else tx.now_ms + int(delay.total_seconds() * 1000)


class PayinStore:
    """Creates payins and moves them through their states."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        order_id: int,
        *,
        method: PayinMethod,
        actor: str,
        phone: str | None = None,
        check_after: timedelta = timedelta(minutes=2),
    ) -> PayinChange:
        """Record a payin of the order's total in state `creating`, before calling Ligdicash.

        `phone` (normalised, `226XXXXXXXX`) is required for the direct methods and is remembered
        among the customer's numbers. Refused with ORDER_NOT_PAYABLE unless the order awaits
        payment. `check_after` is when reconciliation looks at it if it stays `creating`.
        """
        method = PayinMethod(method)
        if method is not PayinMethod.LINK and not phone:
            raise ValueError(f"a {method} payin needs the customer's phone number")
        async with self._db.transaction() as tx:
            order = await load_order(tx, order_id)
            if order is None:
                return PayinChange(Outcome.REJECTED, None, None, Rejection.NOT_FOUND)
            if order.state is not OrderState.AWAITING_PAYMENT:
                return PayinChange(Outcome.REJECTED, None, order, Rejection.ORDER_NOT_PAYABLE)
            transaction_id = new_transaction_id()
            await tx.insert(
                "INSERT INTO payins (transaction_id, order_id, customer_id, method, amount, phone,"
                " state, next_check_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'creating', ?, ?, ?)",
                (
                    transaction_id,
                    order.id,
                    order.customer_id,
                    method,
                    order.total,
                    phone,
                    _ms_after(tx, check_after),
                    tx.now_ms,
                    tx.now_ms,
                ),
            )
            if phone:
                await tx.execute(
                    "INSERT INTO customer_phones (customer_id, phone, first_used_at, last_used_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (customer_id, phone)"
                    " DO UPDATE SET last_used_at = excluded.last_used_at",
                    (order.customer_id, phone, tx.now_ms, tx.now_ms),
                )
            audit.record(
                tx,
                entity="payin",
                entity_id=transaction_id,
                actor=actor,
                why=f"{method} payin of {order.total}",
                to_state=PayinState.CREATING,
                order_id=order.id,
            )
            payin = await load_payin(tx, transaction_id)
        return PayinChange(Outcome.APPLIED, payin, order)

    async def mark_pending(
        self,
        transaction_id: str,
        *,
        token: str,
        payment_url: str | None = None,
        check_after: timedelta = timedelta(seconds=5),
        actor: str = audit.SYSTEM,
    ) -> PayinChange:
        """Store Ligdicash's token (and payment URL) and move `creating` -> `pending`.

        The token is stored whatever the state if none was stored yet: confirm needs it.
        """
        async with self._db.transaction() as tx:
            payin = await load_payin(tx, transaction_id)
            if payin is None:
                return PayinChange(Outcome.REJECTED, None, None, Rejection.NOT_FOUND)
            await tx.execute(
                "UPDATE payins SET token = ?, payment_url = coalesce(?, payment_url),"
                " updated_at = ? WHERE id = ? AND token IS NULL",
                (token, payment_url, tx.now_ms, payin.id),
            )
            applied = await self._move(
                tx,
                payin,
                PayinState.PENDING,
                actor=actor,
                why="Ligdicash accepted the request",
                next_check_at=_ms_after(tx, check_after),
            )
            return await self._result(tx, transaction_id, applied, PayinState.PENDING)

    async def mark_unknown(
        self,
        transaction_id: str,
        *,
        detail: str,
        actor: str = audit.SYSTEM,
        check_after: timedelta | None = timedelta(seconds=30),
    ) -> PayinChange:
        """Move `creating`/`pending` -> `unknown`: we cannot tell what Ligdicash did."""
        async with self._db.transaction() as tx:
            payin = await load_payin(tx, transaction_id)
            if payin is None:
                return PayinChange(Outcome.REJECTED, None, None, Rejection.NOT_FOUND)
            applied = await self._move(
                tx,
                payin,
                PayinState.UNKNOWN,
                actor=actor,
                why=detail,
                detail=detail,
                next_check_at=_ms_after(tx, check_after),
            )
            return await self._result(tx, transaction_id, applied, PayinState.UNKNOWN)

    async def complete(
        self,
        transaction_id: str,
        *,
        amount: int,
        operator: str | None = None,
        request_id: str | None = None,
        detail: str | None = None,
        actor: str = audit.LIGDICASH,
        messages: Notify[PayinChange] = (),
    ) -> PayinChange:
        """Record the money as received, if Ligdicash's confirmed `amount` is the expected one.

        Accepted from creating/pending/unknown/expired (a late word after our expiry still
        counts). The payin's amount is the order's total, so the order becomes paid: from
        awaiting_payment as usual, from cancelled/expired flagged `paid_after_cancel`, a second
        payment of a paid order flagged `double_payment`. Stock is taken on the first payment,
        never below zero (a shortfall flags `stock_short`: the money is real all the same).
        A wrong amount pays nothing: the payin goes `unknown` and the order is flagged
        `amount_mismatch` for a person. `messages` are enqueued only when this call applied it.
        """
        async with self._db.transaction() as tx:
            payin = await load_payin(tx, transaction_id)
            if payin is None:
                return PayinChange(Outcome.REJECTED, None, None, Rejection.NOT_FOUND)
            order = await load_order(tx, payin.order_id)
            assert order is not None
            if payin.state is PayinState.COMPLETED:
                return PayinChange(Outcome.ALREADY, payin, order)
            if payin.state not in sources(PAYIN_TRANSITIONS, PayinState.COMPLETED):
                return PayinChange(Outcome.REJECTED, payin, order, Rejection.ILLEGAL_STATE)
            if amount != payin.amount or payin.amount != order.total:
                return await self._amount_mismatch(tx, payin, order, amount, actor)
            await self._move(
                tx,
                payin,
                PayinState.COMPLETED,
                actor=actor,
                why=f"paid {amount}" + (f" via {operator}" if operator else ""),
                detail=detail,
                operator=operator,
                request_id=request_id,
                completed=True,
            )
            flags = set(order.flags)
            if order.state in (OrderState.CANCELLED, OrderState.EXPIRED):
                flags.add(OrderFlag.PAID_AFTER_CANCEL)
            elif order.paid_amount > 0:
                flags.add(OrderFlag.DOUBLE_PAYMENT)
            if order.paid_amount == 0 and await take_stock(tx, order.lines):
                flags.add(OrderFlag.STOCK_SHORT)
            after = await set_order_money(
                tx,
                order,
                paid_amount=order.paid_amount + amount,
                refunded_amount=order.refunded_amount,
                flags=frozenset(flags),
                actor=actor,
                why=f"payin {transaction_id} completed",
            )
            completed = replace(
                payin,
                state=PayinState.COMPLETED,
                operator=payin.operator if operator is None else operator,
                request_id=payin.request_id if request_id is None else request_id,
                detail=payin.detail if detail is None else detail[:_DETAIL_LIMIT],
                next_check_at=None,
                updated_at=from_ms(tx.now_ms),
                completed_at=from_ms(tx.now_ms),
            )
            change = PayinChange(
                Outcome.APPLIED,
                completed,
                after,
                flags_raised=frozenset(flags) - order.flags,
            )
            await insert_messages(tx, messages_for(messages, change))
        return change

    async def _amount_mismatch(
        self, tx: Transaction, payin: Payin, order: Order, amount: int, actor: str
    ) -> PayinChange:
        why = f"confirmed amount {amount} is not the expected {payin.amount} (order {order.total})"
        await self._move(tx, payin, PayinState.UNKNOWN, actor=actor, why=why, detail=why)
        flagged = await raise_flags(tx, order, [OrderFlag.AMOUNT_MISMATCH], actor=actor, why=why)
        after = await load_payin(tx, payin.transaction_id)
        return PayinChange(
            Outcome.REJECTED,
            after,
            flagged,
            Rejection.AMOUNT_MISMATCH,
            flags_raised=flagged.flags - order.flags,
        )

    async def fail(
        self,
        transaction_id: str,
        *,
        detail: str,
        operator: str | None = None,
        request_id: str | None = None,
        actor: str = audit.LIGDICASH,
        messages: Notify[PayinChange] = (),
    ) -> PayinChange:
        """Record that the payin did not pay (never undoes a completed one)."""
        async with self._db.transaction() as tx:
            payin = await load_payin(tx, transaction_id)
            if payin is None:
                return PayinChange(Outcome.REJECTED, None, None, Rejection.NOT_FOUND)
            applied = await self._move(
                tx,
                payin,
                PayinState.FAILED,
                actor=actor,
                why=detail,
                detail=detail,
                operator=operator,
                request_id=request_id,
            )
            change = await self._result(tx, transaction_id, applied, PayinState.FAILED)
            if applied:
                await insert_messages(tx, messages_for(messages, change))
        return change

    async def expire(
        self,
        transaction_id: str,
        *,
        detail: str = "no final status in time",
        actor: str = audit.SYSTEM,
        messages: Notify[PayinChange] = (),
    ) -> PayinChange:
        """Give up waiting on our side (a later completion is still honoured)."""
        async with self._db.transaction() as tx:
            payin = await load_payin(tx, transaction_id)
            if payin is None:
                return PayinChange(Outcome.REJECTED, None, None, Rejection.NOT_FOUND)
            applied = await self._move(
                tx, payin, PayinState.EXPIRED, actor=actor, why=detail, detail=detail
            )
            change = await self._result(tx, transaction_id, applied, PayinState.EXPIRED)
            if applied:
                await insert_messages(tx, messages_for(messages, change))
        return change

    async def _move(
        self,
        tx: Transaction,
        payin: Payin,
        target: PayinState,
        *,
        actor: str,
        why: str,
        detail: str | None = None,
        operator: str | None = None,
        request_id: str | None = None,
        next_check_at: int | None = None,
        completed: bool = False,
    ) -> bool:
        allowed = sources(PAYIN_TRANSITIONS, target)
        if payin.state not in allowed:
            return False
        # The guard repeats the check in SQL so the row, not our copy, decides.
        changed = await tx.execute(
            "UPDATE payins SET state = ?, updated_at = ?, detail = coalesce(?, detail),"  # noqa: S608
            " operator = coalesce(?, operator), request_id = coalesce(?, request_id),"
            " next_check_at = ?, completed_at = ?"
            f" WHERE id = ? AND state IN ({_in_list(allowed)})",
            (
                target,
                tx.now_ms,
                None if detail is None else detail[:_DETAIL_LIMIT],
                operator,
                request_id,
                next_check_at if target in OPEN_PAYIN_STATES else None,
                tx.now_ms if completed else None,
                payin.id,
            ),
        )
        if changed != 1:
            return False
        audit.record(
            tx,
            entity="payin",
            entity_id=payin.transaction_id,
            actor=actor,
            why=why,
            from_state=payin.state,
            to_state=target,
            order_id=payin.order_id,
        )
        return True

    @staticmethod
    async def _result(
        tx: Transaction, transaction_id: str, applied: bool, target: PayinState
    ) -> PayinChange:
        payin = await load_payin(tx, transaction_id)
        assert payin is not None
        order = await load_order(tx, payin.order_id)
        if applied:
            return PayinChange(Outcome.APPLIED, payin, order)
        if payin.state is target:
            return PayinChange(Outcome.ALREADY, payin, order)
        return PayinChange(Outcome.REJECTED, payin, order, Rejection.ILLEGAL_STATE)

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
                "UPDATE payins SET attempts = attempts + 1, last_checked_at = ?,"
                " next_check_at = ?, detail = coalesce(?, detail), updated_at = ?"
                " WHERE transaction_id = ? AND state IN ('creating', 'pending', 'unknown')",
                (
                    tx.now_ms,
                    None if next_check_at is None else to_ms(next_check_at),
                    None if detail is None else detail[:_DETAIL_LIMIT],
                    tx.now_ms,
                    transaction_id,
                ),
            )
        return changed == 1

    async def get(self, transaction_id: str) -> Payin | None:
        """Return one payin by our transaction id."""
        return await load_payin(self._db, transaction_id)

    async def for_order(self, order_id: int) -> tuple[Payin, ...]:
        """Return an order's payins, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM payins WHERE order_id = ? ORDER BY id", (order_id,)
        )
        return tuple(_payin(row) for row in rows)

    async def due(self, now: datetime | None = None, limit: int = 100) -> tuple[Payin, ...]:
        """Return open payins whose next check time has come, the most overdue first."""
        moment = self._db.now() if now is None else to_ms(now)
        rows = await self._db.fetch_all(
            "SELECT * FROM payins WHERE state IN ('creating', 'pending', 'unknown')"
            " AND next_check_at <= ? ORDER BY next_check_at LIMIT ?",
            (moment, limit),
        )
        return tuple(_payin(row) for row in rows)

    async def open_for_customer(self, customer_id: int) -> tuple[Payin, ...]:
        """Return a customer's payins that are not final yet (for the abuse limit)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM payins WHERE customer_id = ?"
            " AND state IN ('creating', 'pending', 'unknown') ORDER BY id",
            (customer_id,),
        )
        return tuple(_payin(row) for row in rows)

    async def created_since(self, customer_id: int, since: datetime) -> int:
        """Return how many payins a customer started since a time (for the rate limit)."""
        return await self._db.fetch_int(
            "SELECT count(*) FROM payins WHERE customer_id = ? AND created_at >= ?",
            (customer_id, to_ms(since)),
        )

    async def count_open(self) -> dict[PayinState, int]:
        """Return how many payins are in each non-final state (for metrics)."""
        rows = await self._db.fetch_all(
            "SELECT state, count(*) AS n FROM payins"
            " WHERE state IN ('creating', 'pending', 'unknown') GROUP BY state"
        )
        counts = dict.fromkeys(sorted(OPEN_PAYIN_STATES), 0)
        counts.update({PayinState(row["state"]): row["n"] for row in rows})
        return counts

    async def count_by_method_and_state(
        self, slice_ids: int = COUNT_SLICE_IDS
    ) -> dict[tuple[PayinMethod, PayinState], int]:
        """Return how many payins there are for every method and state (for metrics).

        Counted in slices of ids, each its own short query, so the reads of customers waiting
        on the same connection slip in between (a single GROUP BY over a million payins holds
        the reader for seconds; slices of 20,000 ids take about 20 ms each).
        """
        counts = {(method, state): 0 for method in PayinMethod for state in PayinState}
        top = await self._db.fetch_int("SELECT coalesce(max(id), 0) FROM payins")
        for low in range(0, top, slice_ids):
            rows = await self._db.fetch_all(
                "SELECT method, state, count(*) AS n FROM payins"
                " WHERE id > ? AND id <= ? GROUP BY method, state",
                (low, low + slice_ids),
            )
            for row in rows:
                counts[PayinMethod(row["method"]), PayinState(row["state"])] += row["n"]
        return counts
