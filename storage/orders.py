"""Orders: made from a cart with the prices of the moment, listed and looked up for the admin.

An order only reaches a paid state through a completed payin (see storage.payins), and its state
then follows the money it holds (`models.money_state`). A payment that arrives after the order was
cancelled or expired is still recorded as paid and flagged `paid_after_cancel` for a person to
deliver or refund: real money is never dropped.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import datetime

from storage import audit
from storage.database import Database, Queryable, Row, Transaction
from storage.models import (
    ORDER_TRANSITIONS,
    Notify,
    Order,
    OrderChange,
    OrderCreation,
    OrderFlag,
    OrderLine,
    OrderPage,
    OrderState,
    Outcome,
    Rejection,
    from_ms,
    messages_for,
    money_state,
    opt_from_ms,
    to_ms,
)
from storage.outbox import insert_messages

REFERENCE_PREFIX = "LB-"
# No 0/O, 1/I/L or U/V look-alikes: a reference is read aloud and typed on phones.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
REFERENCE_LENGTH = 6
_REFERENCE_TRIES = 20
_MAX_PAGE = 100


def new_reference() -> str:
    """Return a random order reference such as `LB-7K3F9Q`."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return REFERENCE_PREFIX + body


def normalize_reference(text: str) -> str | None:
    """Return the canonical form of a typed reference (`lb 7k3f9q`, `7K3F9Q`), or None."""
    compact = "".join(text.split()).upper().replace("-", "")
    if compact.startswith(REFERENCE_PREFIX[:-1]) and len(compact) == REFERENCE_LENGTH + 2:
        compact = compact[2:]
    if len(compact) != REFERENCE_LENGTH or any(c not in REFERENCE_ALPHABET for c in compact):
        return None
    return REFERENCE_PREFIX + compact


def encode_flags(flags: Iterable[OrderFlag]) -> str:
    """Return the stored text of a set of flags."""
    return ",".join(sorted({str(flag) for flag in flags}))


def decode_flags(text: str) -> frozenset[OrderFlag]:
    """Return the flags stored as text."""
    return frozenset(OrderFlag(part) for part in text.split(",") if part)


# Lines come with their order in one query: each round trip to the database thread counts.
ORDER_SELECT = (
    "SELECT orders.*, (SELECT json_group_array(json_array(line_no, product_id, name,"
    " unit_price, quantity)) FROM order_lines WHERE order_lines.order_id = orders.id)"
    " AS lines_json FROM orders"
)


def order_from_row(row: Row) -> Order:
    """Return the order record of a row selected with ORDER_SELECT."""
    lines = sorted(
        (OrderLine(*values) for values in json.loads(row["lines_json"])),
        key=lambda line: line.line_no,
    )
    return Order(
        id=row["id"],
        reference=row["reference"],
        customer_id=row["customer_id"],
        state=OrderState(row["state"]),
        total=row["total"],
        paid_amount=row["paid_amount"],
        refunded_amount=row["refunded_amount"],
        flags=decode_flags(row["flags"]),
        first_name=row["first_name"],
        last_name=row["last_name"],
        email=row["email"],
        lines=tuple(lines),
        created_at=from_ms(row["created_at"]),
        updated_at=from_ms(row["updated_at"]),
        paid_at=opt_from_ms(row["paid_at"]),
    )


async def load_order(reader: Queryable, order_id: int) -> Order | None:
    """Return one order with its lines, or None."""
    row = await reader.fetch_one(f"{ORDER_SELECT} WHERE orders.id = ?", (order_id,))
    return None if row is None else order_from_row(row)


async def set_order_money(
    tx: Transaction,
    order: Order,
    *,
    paid_amount: int,
    refunded_amount: int,
    flags: frozenset[OrderFlag],
    actor: str,
    why: str,
) -> Order:
    """Store an order's new money and flags, moving its state to match, with an audit entry."""
    state = order.state
    new_state = money_state(state, paid_amount, refunded_amount)
    if new_state is not state and new_state not in ORDER_TRANSITIONS[state]:
        raise ValueError(f"order {order.reference}: {state} -> {new_state} is not a transition")
    changed = await tx.execute(
        "UPDATE orders SET state = ?, paid_amount = ?, refunded_amount = ?, flags = ?,"
        " paid_at = CASE WHEN ? > 0 THEN coalesce(paid_at, ?) END, updated_at = ?"
        " WHERE id = ? AND state = ? AND paid_amount = ? AND refunded_amount = ?",
        (
            new_state,
            paid_amount,
            refunded_amount,
            encode_flags(flags),
            paid_amount,
            tx.now_ms,
            tx.now_ms,
            order.id,
            state,
            order.paid_amount,
            order.refunded_amount,
        ),
    )
    if changed != 1:
        raise RuntimeError(f"order {order.reference} changed under an open transaction")
    if new_state is not state:
        audit.record(
            tx,
            entity="order",
            entity_id=order.reference,
            actor=actor,
            why=why,
            from_state=state,
            to_state=new_state,
            order_id=order.id,
        )
    for flag in sorted(flags - order.flags):
        audit.record(
            tx,
            entity="order",
            entity_id=order.reference,
            actor=actor,
            why=f"flag {flag}: {why}",
            order_id=order.id,
        )
    now = from_ms(tx.now_ms)
    return replace(
        order,
        state=new_state,
        paid_amount=paid_amount,
        refunded_amount=refunded_amount,
        flags=flags,
        updated_at=now,
        paid_at=(order.paid_at or now) if paid_amount > 0 else None,
    )


async def raise_flags(
    tx: Transaction, order: Order, flags: Iterable[OrderFlag], *, actor: str, why: str
) -> Order:
    """Add flags to an order (no state change), recording each new one."""
    new = frozenset(flags) - order.flags
    if not new:
        return order
    await tx.execute(
        "UPDATE orders SET flags = ?, updated_at = ? WHERE id = ?",
        (encode_flags(order.flags | new), tx.now_ms, order.id),
    )
    for flag in sorted(new):
        audit.record(
            tx,
            entity="order",
            entity_id=order.reference,
            actor=actor,
            why=f"flag {flag}: {why}",
            order_id=order.id,
        )
    reloaded = await load_order(tx, order.id)
    assert reloaded is not None
    return reloaded


def encode_cursor(order: Order) -> str:
    """Return the cursor that lists orders older than `order`."""
    return f"{to_ms(order.created_at)}.{order.id}"


def decode_cursor(cursor: str) -> tuple[int, int]:
    """Return (created_at ms, id) of a cursor; ValueError if it is not one."""
    created, _, order_id = cursor.partition(".")
    if not created.isdigit() or not order_id.isdigit():
        raise ValueError(f"not an order cursor: {cursor!r}")
    return int(created), int(order_id)


class OrderStore:
    """Creates, changes and lists orders."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_from_cart(
        self,
        customer_id: int,
        *,
        first_name: str,
        last_name: str,
        email: str | None,
        actor: str,
    ) -> OrderCreation:
        """Turn a customer's cart into an awaiting-payment order and empty the cart.

        Refused with EMPTY_CART, or with UNAVAILABLE and the product ids that are hidden or
        short of stock (stock is only taken when the order is paid).
        """
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT c.product_id, c.quantity, p.name, p.price, p.stock, p.active"
                " FROM cart_lines AS c JOIN products AS p ON p.id = c.product_id"
                " WHERE c.customer_id = ? ORDER BY c.added_at, c.product_id",
                (customer_id,),
            )
            if not rows:
                return OrderCreation(order=None, reason=Rejection.EMPTY_CART)
            unavailable = tuple(
                row["product_id"]
                for row in rows
                if not row["active"]
                or (row["stock"] is not None and row["stock"] < row["quantity"])
            )
            if unavailable:
                return OrderCreation(
                    order=None, reason=Rejection.UNAVAILABLE, unavailable=unavailable
                )
            reference = await self._unused_reference(tx)
            total = sum(row["price"] * row["quantity"] for row in rows)
            order_id = await tx.insert(
                "INSERT INTO orders (reference, customer_id, state, total, first_name,"
                " last_name, email, created_at, updated_at)"
                " VALUES (?, ?, 'awaiting_payment', ?, ?, ?, ?, ?, ?)",
                (
                    reference,
                    customer_id,
                    total,
                    first_name,
                    last_name,
                    email,
                    tx.now_ms,
                    tx.now_ms,
                ),
            )
            await tx.execute_many(
                "INSERT INTO order_lines (order_id, line_no, product_id, name, unit_price,"
                " quantity) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        order_id,
                        number,
                        row["product_id"],
                        row["name"],
                        row["price"],
                        row["quantity"],
                    )
                    for number, row in enumerate(rows, start=1)
                ],
            )
            await tx.execute("DELETE FROM cart_lines WHERE customer_id = ?", (customer_id,))
            audit.record(
                tx,
                entity="order",
                entity_id=reference,
                actor=actor,
                why=f"created from cart, total {total}",
                to_state=OrderState.AWAITING_PAYMENT,
                order_id=order_id,
            )
            order = await load_order(tx, order_id)
        assert order is not None
        return OrderCreation(order=order)

    @staticmethod
    async def _unused_reference(tx: Transaction) -> str:
        for _ in range(_REFERENCE_TRIES):
            reference = new_reference()
            if await tx.fetch_one("SELECT 1 FROM orders WHERE reference = ?", (reference,)) is None:
                return reference
        raise RuntimeError("no unused order reference after many tries: lengthen them")

    async def get(self, order_id: int) -> Order | None:
        """Return one order by id."""
        return await load_order(self._db, order_id)

    async def by_reference(self, reference: str) -> Order | None:
        """Return the order with a (possibly loosely typed) reference."""
        canonical = normalize_reference(reference)
        if canonical is None:
            return None
        row = await self._db.fetch_one(f"{ORDER_SELECT} WHERE reference = ?", (canonical,))
        return None if row is None else order_from_row(row)

    async def cancel(
        self,
        order_id: int,
        *,
        actor: str,
        why: str,
        messages: Notify[OrderChange] = (),
    ) -> OrderChange:
        """Cancel an unpaid order (a payin still open may yet pay it: see the module doc)."""
        return await self._close(order_id, OrderState.CANCELLED, actor, why, messages)

    async def expire(
        self,
        order_id: int,
        *,
        actor: str = audit.SYSTEM,
        why: str = "not paid in time",
        messages: Notify[OrderChange] = (),
    ) -> OrderChange:
        """Expire an unpaid order."""
        return await self._close(order_id, OrderState.EXPIRED, actor, why, messages)

    async def _close(
        self,
        order_id: int,
        target: OrderState,
        actor: str,
        why: str,
        messages: Notify[OrderChange],
    ) -> OrderChange:
        async with self._db.transaction() as tx:
            order = await load_order(tx, order_id)
            if order is None:
                return OrderChange(Outcome.REJECTED, None, Rejection.NOT_FOUND)
            if order.state is target:
                return OrderChange(Outcome.ALREADY, order)
            if order.state is not OrderState.AWAITING_PAYMENT:
                return OrderChange(Outcome.REJECTED, order, Rejection.ILLEGAL_STATE)
            await tx.execute(
                "UPDATE orders SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                (target, tx.now_ms, order.id, OrderState.AWAITING_PAYMENT),
            )
            audit.record(
                tx,
                entity="order",
                entity_id=order.reference,
                actor=actor,
                why=why,
                from_state=order.state,
                to_state=target,
                order_id=order.id,
            )
            after = await load_order(tx, order.id)
            change = OrderChange(Outcome.APPLIED, after)
            await insert_messages(tx, messages_for(messages, change))
        return change

    async def expire_stale(
        self, created_before: datetime, *, limit: int = 100, actor: str = audit.SYSTEM
    ) -> tuple[Order, ...]:
        """Expire unpaid orders created before a time that have no open payin; return them."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT id FROM orders WHERE state = 'awaiting_payment' AND created_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM payins WHERE payins.order_id = orders.id"
                "   AND payins.state IN ('creating', 'pending', 'unknown'))"
                " ORDER BY created_at LIMIT ?",
                (to_ms(created_before), limit),
            )
            expired: list[Order] = []
            for row in rows:
                await tx.execute(
                    "UPDATE orders SET state = 'expired', updated_at = ?"
                    " WHERE id = ? AND state = 'awaiting_payment'",
                    (tx.now_ms, row["id"]),
                )
                order = await load_order(tx, row["id"])
                assert order is not None
                audit.record(
                    tx,
                    entity="order",
                    entity_id=order.reference,
                    actor=actor,
                    why="abandoned: not paid in time",
                    from_state=OrderState.AWAITING_PAYMENT,
                    to_state=OrderState.EXPIRED,
                    order_id=order.id,
                )
                expired.append(order)
        return tuple(expired)

    async def clear_flag(
        self, order_id: int, flag: OrderFlag, *, actor: str, why: str
    ) -> OrderChange:
        """Record that a person dealt with a flag."""
        async with self._db.transaction() as tx:
            order = await load_order(tx, order_id)
            if order is None:
                return OrderChange(Outcome.REJECTED, None, Rejection.NOT_FOUND)
            if flag not in order.flags:
                return OrderChange(Outcome.ALREADY, order)
            await tx.execute(
                "UPDATE orders SET flags = ?, updated_at = ? WHERE id = ?",
                (encode_flags(order.flags - {flag}), tx.now_ms, order.id),
            )
            audit.record(
                tx,
                entity="order",
                entity_id=order.reference,
                actor=actor,
                why=f"cleared {flag}: {why}",
                order_id=order.id,
            )
            after = await load_order(tx, order.id)
        return OrderChange(Outcome.APPLIED, after)

    async def page(
        self,
        *,
        states: Collection[OrderState] | None = None,
        customer_id: int | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        cursor: str | None = None,
        limit: int = 10,
    ) -> OrderPage:
        """Return a page of orders, newest first, filtered by state, customer and [from, to)."""
        limit = max(1, min(limit, _MAX_PAGE))
        where: list[str] = []
        params: list[object] = []
        if customer_id is not None:
            where.append("customer_id = ?")
            params.append(customer_id)
        if created_from is not None:
            where.append("created_at >= ?")
            params.append(to_ms(created_from))
        if created_to is not None:
            where.append("created_at < ?")
            params.append(to_ms(created_to))
        if cursor is not None:
            where.append("(created_at, id) < (?, ?)")
            params.extend(decode_cursor(cursor))
        if states is None or not states:
            rows = await self._page(where, params, limit + 1)
        else:
            # One index range per state, merged here: an IN list would sort every match.
            rows = []
            for state in sorted(set(states)):
                rows.extend(await self._page([*where, "state = ?"], [*params, state], limit + 1))
            rows.sort(key=lambda row: (row["created_at"], row["id"]), reverse=True)
        more = len(rows) > limit
        orders = tuple(order_from_row(row) for row in rows[:limit])
        return OrderPage(orders=orders, next_cursor=encode_cursor(orders[-1]) if more else None)

    async def _page(self, where: list[str], params: list[object], limit: int) -> list[Row]:
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return await self._db.fetch_all(
            f"{ORDER_SELECT} {clause} ORDER BY created_at DESC, id DESC LIMIT ?",
            [*params, limit],
        )

    async def flagged(self, limit: int = 20) -> tuple[Order, ...]:
        """Return orders with a flag a person must look at, most recently changed first."""
        rows = await self._db.fetch_all(
            f"{ORDER_SELECT} WHERE flags <> '' ORDER BY updated_at DESC LIMIT ?", (limit,)
        )
        return tuple(order_from_row(row) for row in rows)

    async def ever_ordered(self, product_id: int) -> bool:
        """Return whether any order contains the product."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM order_lines WHERE product_id = ? LIMIT 1", (product_id,)
        )
        return row is not None
