"""The shop's figures, computed in SQL, and the rows of the accounting export.

Days are UTC days, which are Burkina Faso's (UTC+0, no daylight saving). Revenue is the money of
completed payins, dated when they completed; paid orders are orders first paid in the period;
"created, then paid" counts orders created in the period that got paid (so far); refunds are
refund payouts completed in the period.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

from storage import rollups
from storage.database import Database, Row
from storage.models import (
    DayRevenue,
    GroupRevenue,
    OrderExportRow,
    OrderState,
    PaymentExportRow,
    PeriodStats,
    from_ms,
    opt_from_ms,
    to_ms,
)
from storage.orders import ORDER_SELECT, order_from_row
from storage.rollups import DAY_MS

MAX_FILLED_DAYS = 400
_EPOCH = date(1970, 1, 1)


def _day(number: int) -> date:
    return _EPOCH + timedelta(days=number)


def day_start(day: date) -> datetime:
    """Return the first instant of a (UTC) day."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class StatsStore:
    """Aggregates and exports for the admin."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def period(self, first_day: date, last_day: date) -> PeriodStats:
        """Return revenue, counts and splits (day, method, operator) for whole UTC days.

        Read from the daily rollups (storage.rollups), so a year costs what a day costs.
        """
        if last_day < first_day:
            raise ValueError("last_day is before first_day")
        first, last = (first_day - _EPOCH).days, (last_day - _EPOCH).days
        money = await self._db.fetch_all(
            "SELECT day, method, operator, payins, revenue FROM revenue_daily"
            " WHERE day BETWEEN ? AND ?",
            (first, last),
        )
        orders = await self._db.fetch_one(
            "SELECT coalesce(sum(created), 0) AS created,"
            " coalesce(sum(created_paid), 0) AS created_paid, coalesce(sum(paid), 0) AS paid"
            " FROM orders_daily WHERE day BETWEEN ? AND ?",
            (first, last),
        )
        out = await self._db.fetch_all(
            "SELECT order_id IS NOT NULL AS refund, count(*) AS n, sum(amount) AS total"
            " FROM payouts WHERE state = 'completed' AND completed_at >= ? AND completed_at < ?"
            " GROUP BY refund",
            (first * DAY_MS, (last + 1) * DAY_MS),
        )
        # Days without money are listed (for a chart) unless the period is absurdly long.
        per_day: dict[int, list[int]] = (
            {number: [0, 0] for number in range(first, last + 1)}
            if last - first < MAX_FILLED_DAYS
            else {}
        )
        per_method: dict[str, list[int]] = {}
        per_operator: dict[str, list[int]] = {}
        for row in money:
            for bucket in (
                per_day.setdefault(row["day"], [0, 0]),
                per_method.setdefault(row["method"], [0, 0]),
                per_operator.setdefault(row["operator"], [0, 0]),
            ):
                bucket[0] += row["revenue"]
                bucket[1] += row["payins"]
        outgoing = {bool(row["refund"]): (row["total"], row["n"]) for row in out}
        assert orders is not None
        return PeriodStats(
            first_day=first_day,
            last_day=last_day,
            revenue=sum(bucket[0] for bucket in per_method.values()),
            payins_completed=sum(bucket[1] for bucket in per_method.values()),
            paid_orders=orders["paid"],
            orders_created=orders["created"],
            orders_created_paid=orders["created_paid"],
            refunds_total=outgoing.get(True, (0, 0))[0],
            refunds_count=outgoing.get(True, (0, 0))[1],
            payouts_total=outgoing.get(False, (0, 0))[0],
            payouts_count=outgoing.get(False, (0, 0))[1],
            per_day=tuple(
                DayRevenue(_day(number), bucket[0], bucket[1])
                for number, bucket in sorted(per_day.items())
            ),
            per_method=_groups(per_method),
            per_operator=_groups(per_operator),
        )

    async def rebuild_rollups(self) -> None:
        """Recompute the daily rollups from orders and payins (after a repair, say)."""
        async with self._db.transaction() as tx:
            await rollups.rebuild(tx)

    async def export_orders(
        self, start: datetime, end: datetime, *, batch_size: int = 500
    ) -> AsyncIterator[OrderExportRow]:
        """Yield the orders created in [start, end), oldest first, a batch per query."""
        start_ms, end_ms = to_ms(start), to_ms(end)
        after = (start_ms - 1, 0)
        while True:
            rows = await self._db.fetch_all(
                f"{ORDER_SELECT} WHERE (created_at, id) > (?, ?) AND created_at < ?"
                " ORDER BY created_at, id LIMIT ?",
                (*after, end_ms, batch_size),
            )
            if not rows:
                return
            orders = [order_from_row(row) for row in rows]
            payins = await self._payins_of([order.id for order in orders])
            for order in orders:
                payin = payins.get(order.id)
                yield OrderExportRow(
                    reference=order.reference,
                    created_at=order.created_at,
                    state=OrderState(order.state),
                    customer_id=order.customer_id,
                    customer_name=" ".join(p for p in (order.first_name, order.last_name) if p),
                    items="; ".join(f"{line.quantity} x {line.name}" for line in order.lines),
                    total=order.total,
                    paid_amount=order.paid_amount,
                    refunded_amount=order.refunded_amount,
                    paid_at=order.paid_at,
                    method="" if payin is None else payin["method"],
                    operator="" if payin is None else payin["operator"] or "",
                    request_id="" if payin is None else payin["request_id"] or "",
                    transaction_id="" if payin is None else payin["transaction_id"],
                )
            last = rows[-1]
            after = (last["created_at"], last["id"])

    async def _payins_of(self, order_ids: list[int]) -> dict[int, Row]:
        """Return each order's payin that best explains it: the last completed, else the last."""
        marks = ",".join("?" * len(order_ids))
        rows = await self._db.fetch_all(
            "SELECT order_id, method, operator, request_id, transaction_id, state FROM payins"  # noqa: S608
            f" WHERE order_id IN ({marks}) ORDER BY id",
            order_ids,
        )
        chosen: dict[int, Row] = {}
        for row in rows:
            current = chosen.get(row["order_id"])
            if current is None or current["state"] != "completed" or row["state"] == "completed":
                chosen[row["order_id"]] = row
        return chosen

    async def export_payments(
        self, start: datetime, end: datetime, *, batch_size: int = 500
    ) -> AsyncIterator[PaymentExportRow]:
        """Yield payins, then payouts, created in [start, end), oldest first."""
        start_ms, end_ms = to_ms(start), to_ms(end)
        for table, direction in (("payins", "payin"), ("payouts", "payout")):
            after = (start_ms - 1, 0)
            while True:
                rows = await self._db.fetch_all(
                    f"SELECT m.*, o.reference FROM {table} AS m"  # noqa: S608
                    " LEFT JOIN orders AS o ON o.id = m.order_id"
                    " WHERE (m.created_at, m.id) > (?, ?) AND m.created_at < ?"
                    " ORDER BY m.created_at, m.id LIMIT ?",
                    (*after, end_ms, batch_size),
                )
                if not rows:
                    break
                for row in rows:
                    yield _payment_row(row, direction)
                after = (rows[-1]["created_at"], rows[-1]["id"])


def _payment_row(row: Row, direction: str) -> PaymentExportRow:
    payin = direction == "payin"
    return PaymentExportRow(
        direction=direction,
        transaction_id=row["transaction_id"],
        order_reference=row["reference"] or "",
        amount=row["amount"],
        state=row["state"],
        method=row["method"] if payin else row["kind"],
        operator=(row["operator"] or "") if payin else "",
        request_id=row["request_id"] or "",
        created_at=from_ms(row["created_at"]),
        completed_at=opt_from_ms(row["completed_at"]),
    )


def _groups(buckets: dict[str, list[int]]) -> tuple[GroupRevenue, ...]:
    return tuple(
        GroupRevenue(key, revenue, count)
        for key, (revenue, count) in sorted(buckets.items(), key=lambda item: -item[1][0])
    )
