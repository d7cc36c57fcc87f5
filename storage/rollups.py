"""Daily rollups of money and orders (revenue_daily, orders_daily).

Triggers of migration 0001 keep them inside the very statement that changes an order or a
payin, so they can never disagree with the base tables through any code path; stats read a few
rollup rows instead of scanning a month of payins. `rebuild()` recomputes them from scratch
(after a bulk import or a manual repair).
"""

from __future__ import annotations

from storage.database import Transaction

DAY_MS = 86_400_000


async def rebuild(tx: Transaction) -> None:
    """Recompute every rollup from the orders and payins tables."""
    await tx.execute("DELETE FROM revenue_daily")
    await tx.execute("DELETE FROM orders_daily")
    await tx.execute(
        "INSERT INTO revenue_daily (day, method, operator, payins, revenue)"
        " SELECT completed_at / ?, method, coalesce(operator, ''), count(*), sum(amount)"
        " FROM payins WHERE state = 'completed' GROUP BY 1, 2, 3",
        (DAY_MS,),
    )
    await tx.execute(
        "INSERT INTO orders_daily (day, created, created_paid)"
        " SELECT created_at / ?, count(*), count(paid_at) FROM orders GROUP BY 1",
        (DAY_MS,),
    )
    await tx.execute(
        "INSERT INTO orders_daily (day, paid)"
        " SELECT paid_at / ?, count(*) FROM orders WHERE paid_at IS NOT NULL GROUP BY 1"
        " ON CONFLICT (day) DO UPDATE SET paid = excluded.paid",
        (DAY_MS,),
    )
