"""A writer killed with SIGKILL mid-transaction leaves a sound database in legal states."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import Database, Stores, check_file
from storage.models import NewMessage, Outcome

ROOT = Path(__file__).resolve().parents[2]


def _run_and_kill(database: Path, seed: int, cycles: int, extra_seconds: float) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.storage.crash_writer", str(database), str(seed)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        for line in child.stdout:
            if int(line) >= cycles:
                break
        else:
            pytest.fail(f"writer stopped early: {child.stderr.read() if child.stderr else ''}")
        time.sleep(extra_seconds)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        if child.stderr is not None:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL


def _violations(database: Path) -> list[str]:
    """Return every broken money rule found in the file."""
    connection = sqlite3.connect(database)
    try:
        problems: list[str] = []
        queries = {
            "paid order without a completed payin of its total": """
                SELECT o.reference FROM orders AS o WHERE o.paid_amount > 0 AND NOT EXISTS (
                  SELECT 1 FROM payins AS p WHERE p.order_id = o.id
                    AND p.state = 'completed' AND p.amount = o.total)""",
            "paid amount differs from completed payins": """
                SELECT o.reference FROM orders AS o WHERE o.paid_amount <> (
                  SELECT coalesce(sum(amount), 0) FROM payins AS p
                  WHERE p.order_id = o.id AND p.state = 'completed')""",
            "refunded amount differs from completed refunds": """
                SELECT o.reference FROM orders AS o WHERE o.refunded_amount <> (
                  SELECT coalesce(sum(amount), 0) FROM payouts AS r
                  WHERE r.order_id = o.id AND r.state = 'completed')""",
            "refunds may exceed what was paid": """
                SELECT o.reference FROM orders AS o WHERE o.paid_amount < (
                  SELECT coalesce(sum(amount), 0) FROM payouts AS r WHERE r.order_id = o.id
                  AND r.state NOT IN ('failed', 'cancelled'))""",
            "completed payin without its message": """
                SELECT p.transaction_id FROM payins AS p WHERE p.state = 'completed'
                AND NOT EXISTS (SELECT 1 FROM outbox
                  WHERE dedup_key = 'payin:' || p.transaction_id || ':completed')""",
            "completed payin without its audit entry": """
                SELECT p.transaction_id FROM payins AS p WHERE p.state = 'completed'
                AND NOT EXISTS (SELECT 1 FROM audit_log AS a WHERE a.entity = 'payin'
                  AND a.entity_id = p.transaction_id AND a.to_state = 'completed')""",
            "negative stock": "SELECT id FROM products WHERE stock < 0",
            "revenue rollup differs from completed payins": """
                SELECT day FROM (SELECT completed_at / 86400000 AS day, sum(amount) AS money
                  FROM payins WHERE state = 'completed' GROUP BY day) AS base
                WHERE money <> (SELECT sum(revenue) FROM revenue_daily AS r
                  WHERE r.day = base.day)""",
            "order rollup differs from orders": """
                SELECT day FROM (SELECT created_at / 86400000 AS day, count(*) AS n,
                  count(paid_at) AS paid FROM orders GROUP BY day) AS base
                WHERE (n, paid) IS NOT (SELECT created, created_paid FROM orders_daily AS d
                  WHERE d.day = base.day)""",
            "order lines not adding up to the total": """
                SELECT o.reference FROM orders AS o WHERE o.total <> (
                  SELECT sum(unit_price * quantity) FROM order_lines WHERE order_id = o.id)""",
        }
        for rule, sql in queries.items():
            rows = connection.execute(sql).fetchall()
            if rows:
                problems.append(f"{rule}: {rows[:5]}")
        problems.extend(
            f"foreign key: {row}" for row in connection.execute("PRAGMA foreign_key_check")
        )
        return problems
    finally:
        connection.close()


def test_killed_writer_leaves_every_row_in_a_legal_state(tmp_path: Path) -> None:
    database = tmp_path / "crash.sqlite3"
    for seed, (cycles, extra) in enumerate([(40, 0.13), (80, 0.29)], start=1):
        _run_and_kill(database, seed, cycles, extra)
        report = check_file(database)
        assert report.ok, report.integrity
        # Every cycle the writer reported as finished added its product first (an order may be
        # refused for stock), so at least that many committed products must have survived.
        assert report.row_counts["products"] >= cycles
        assert _violations(database) == []


async def test_store_works_on_after_a_crash(tmp_path: Path) -> None:
    database = tmp_path / "crash.sqlite3"
    _run_and_kill(database, 7, 20, 0.05)
    async with Database.open(database) as db:
        stores = Stores.over(db)
        stuck = await db.fetch_all(
            "SELECT transaction_id, amount FROM payins WHERE state IN ('creating', 'pending')"
        )
        for row in stuck:
            tx = row["transaction_id"]
            receipt = NewMessage(1, "receipt", "{}", f"payin:{tx}:completed")
            result = await stores.payins.complete(tx, amount=row["amount"], messages=[receipt])
            assert result.outcome is Outcome.APPLIED
    assert _violations(database) == []
