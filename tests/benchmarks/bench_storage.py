"""Storage benchmark: admin queries and a payin transition on 1,000,000 orders and payins.

Run with `bash .ci/dev bench` (or `pytest tests/benchmarks -s -o addopts=""`). The database is
built once (about a minute) and cached under the system temp folder; each run works on a copy.
Targets: every admin query p99 < 50 ms, a payin transition p99 < 5 ms.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage import Database, Stores
from storage.database import load_migrations
from storage.models import NewMessage, OrderState, Outcome, PayinMethod, to_ms
from storage.orders import REFERENCE_ALPHABET

ORDERS = 1_000_000
CUSTOMERS = 20_000
PRODUCTS = 200
SAMPLES = 1000
DATA_END = datetime(2026, 3, 1, tzinfo=UTC)
DATA_DAYS = 365
GENERATOR_VERSION = 2
TARGET_QUERY_MS = 50.0
TARGET_TRANSITION_MS = 5.0
METHODS = ("link", "orange_otp", "moov_approval")
OPERATORS = ("ORANGE BURKINA", "MOOV AFRICA BURKINA")


def _cache_path() -> Path:
    # Named after the schema's checksums: a changed migration builds a new file.
    schema = hashlib.sha256("".join(m.sha256 for m in load_migrations()).encode()).hexdigest()
    folder = Path(tempfile.gettempdir()) / "ligdibot-bench"
    return folder / f"storage-{ORDERS}-{schema[:12]}-gen{GENERATOR_VERSION}.sqlite3"


def _reference(number: int) -> str:
    # A multiplicative permutation of 30^6: distinct references for distinct numbers.
    value = (number * 387_420_489 + 12_345) % len(REFERENCE_ALPHABET) ** 6
    chars = []
    for _ in range(6):
        value, digit = divmod(value, len(REFERENCE_ALPHABET))
        chars.append(REFERENCE_ALPHABET[digit])
    return "LB-" + "".join(chars)


def _state(number: int) -> str:
    bucket = number % 100
    if bucket < 70:
        return "paid"
    if bucket < 80:
        return "expired"
    if bucket < 88:
        return "cancelled"
    if bucket < 95:
        return "awaiting_payment"
    return "partially_refunded" if bucket < 98 else "refunded"


PAYIN_STATE = {
    "paid": "completed",
    "partially_refunded": "completed",
    "refunded": "completed",
    "expired": "expired",
    "cancelled": "failed",
    "awaiting_payment": "pending",
}


def _rows(
    start_ms: int, step_ms: float
) -> Iterator[
    tuple[tuple[object, ...], tuple[object, ...], tuple[object, ...], list[tuple[object, ...]]]
]:
    rng = random.Random(42)
    for number in range(1, ORDERS + 1):
        created = start_ms + int(number * step_ms)
        state = _state(number)
        price = rng.randrange(500, 50_000, 100)
        quantity = rng.randint(1, 3)
        total = price * quantity
        paid = total if PAYIN_STATE[state] == "completed" else 0
        refunded = {"partially_refunded": total // 2, "refunded": total}.get(state, 0)
        paid_at = created + 60_000 if paid else None
        customer = rng.randint(1, CUSTOMERS)
        order = (
            number,
            _reference(number),
            customer,
            state,
            total,
            paid,
            refunded,
            "Awa",
            "Ouedraogo",
            created,
            paid_at or created,
            paid_at,
        )
        line = (number, 1, rng.randint(1, PRODUCTS), "Pagne", price, quantity)
        payin_state = PAYIN_STATE[state]
        payin = (
            number,
            uuid.UUID(int=rng.getrandbits(128), version=4).hex,
            number,
            customer,
            METHODS[number % 3],
            total,
            "22670000000",
            payin_state,
            "eyJ.bench.token",
            OPERATORS[number % 2] if payin_state == "completed" else None,
            created + 5000 if payin_state == "pending" else None,
            created,
            paid_at or created,
            paid_at,
        )
        payouts: list[tuple[object, ...]] = []
        if refunded:
            tx = uuid.UUID(int=rng.getrandbits(128), version=4).hex
            payouts.append((tx, number, refunded, paid_at))
        yield order, line, payin, payouts


def _load(path: Path) -> None:
    """Bulk-load rows into a migrated file with its indexes dropped, then rebuild them."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("PRAGMA synchronous = OFF")
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        connection.execute("BEGIN")
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        connection.executemany(
            "INSERT INTO customers (id, first_name, language, created_at, last_seen_at)"
            " VALUES (?, 'Client', 'fr', 0, 0)",
            ((n,) for n in range(1, CUSTOMERS + 1)),
        )
        connection.executemany(
            "INSERT INTO products (id, name, price, created_at, updated_at)"
            " VALUES (?, 'Pagne', 1000, 0, 0)",
            ((n,) for n in range(1, PRODUCTS + 1)),
        )
        start_ms = to_ms(DATA_END - timedelta(days=DATA_DAYS))
        step_ms = DATA_DAYS * 86_400_000 / ORDERS
        orders: list[tuple[object, ...]] = []
        lines: list[tuple[object, ...]] = []
        payins: list[tuple[object, ...]] = []
        payouts: list[tuple[object, ...]] = []
        for order, line, payin, payout in _rows(start_ms, step_ms):
            orders.append(order)
            lines.append(line)
            payins.append(payin)
            payouts.extend(payout)
            if len(orders) == 50_000:
                _flush(connection, orders, lines, payins, payouts)
        _flush(connection, orders, lines, payins, payouts)
        for _, sql in indexes:
            connection.execute(sql)
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA journal_mode = WAL")
    finally:
        connection.close()


def _flush(
    connection: sqlite3.Connection,
    orders: list[tuple[object, ...]],
    lines: list[tuple[object, ...]],
    payins: list[tuple[object, ...]],
    payouts: list[tuple[object, ...]],
) -> None:
    connection.executemany(
        "INSERT INTO orders (id, reference, customer_id, state, total, paid_amount,"
        " refunded_amount, first_name, last_name, created_at, updated_at, paid_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        orders,
    )
    connection.executemany("INSERT INTO order_lines VALUES (?, ?, ?, ?, ?, ?)", lines)
    connection.executemany(
        "INSERT INTO payins (id, transaction_id, order_id, customer_id, method, amount, phone,"
        " state, token, operator, next_check_at, created_at, updated_at, completed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        payins,
    )
    connection.executemany(
        "INSERT INTO payouts (transaction_id, order_id, kind, amount, phone, state,"
        " requested_by, reason, created_at, updated_at, completed_at)"
        " VALUES (?, ?, 'merchant', ?, '22670000000', 'completed', 1, 'bench', ?4, ?4, ?4)",
        payouts,
    )
    for rows in (orders, lines, payins, payouts):
        rows.clear()


async def _database() -> tuple[Path, float]:
    cached = _cache_path()
    seconds = 0.0
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".building")
        partial.unlink(missing_ok=True)
        started = time.perf_counter()
        async with Database.open(partial):
            pass
        await asyncio.to_thread(_load, partial)
        async with Database.open(partial) as db:
            await Stores.over(db).stats.rebuild_rollups()
        seconds = time.perf_counter() - started
        partial.rename(cached)
    return cached, seconds


async def _measure(call: Callable[[], Awaitable[object]], samples: int) -> tuple[float, float]:
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        await call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings[len(timings) // 2], timings[min(len(timings) - 1, int(len(timings) * 0.99))]


async def test_admin_queries_and_transitions_on_a_million_orders(tmp_path: Path) -> None:
    cached, build_seconds = await _database()
    work = tmp_path / "bench.sqlite3"
    shutil.copyfile(cached, work)
    rng = random.Random(7)
    results: list[tuple[str, float, float, float]] = []
    async with Database.open(work) as db:
        stores = Stores.over(db)
        rows = await db.fetch_all(
            "SELECT reference FROM orders WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps([rng.randint(1, ORDERS) for _ in range(SAMPLES)]),),
        )
        references = [row["reference"] for row in rows]
        pending = [
            (row["transaction_id"], row["amount"])
            for row in await db.fetch_all(
                "SELECT transaction_id, amount FROM payins WHERE state = 'pending' LIMIT ?",
                (SAMPLES,),
            )
        ]
        month = (DATA_END - timedelta(days=30), DATA_END)
        month_days = (DATA_END.date() - timedelta(days=30), DATA_END.date() - timedelta(days=1))
        first_page = await stores.orders.page(states=[OrderState.PAID])
        cursor = first_page.next_cursor
        queries: list[tuple[str, Callable[[], Awaitable[object]], float]] = [
            (
                "orders by state (paid), page 1",
                lambda: stores.orders.page(states=[OrderState.PAID]),
                TARGET_QUERY_MS,
            ),
            (
                "orders by state (awaiting_payment), page 1",
                lambda: stores.orders.page(states=[OrderState.AWAITING_PAYMENT]),
                TARGET_QUERY_MS,
            ),
            (
                "orders refunded+partially, page 1",
                lambda: stores.orders.page(
                    states=[OrderState.REFUNDED, OrderState.PARTIALLY_REFUNDED]
                ),
                TARGET_QUERY_MS,
            ),
            (
                "orders by state (paid), page 2",
                lambda: stores.orders.page(states=[OrderState.PAID], cursor=cursor),
                TARGET_QUERY_MS,
            ),
            (
                "orders of one customer, page 1",
                lambda: stores.orders.page(customer_id=rng.randint(1, CUSTOMERS)),
                TARGET_QUERY_MS,
            ),
            (
                "orders of the last day, page 1",
                lambda: stores.orders.page(created_from=DATA_END - timedelta(days=1)),
                TARGET_QUERY_MS,
            ),
            (
                "order by reference",
                lambda: stores.orders.by_reference(rng.choice(references)),
                TARGET_QUERY_MS,
            ),
            ("stats for 30 days", lambda: stores.stats.period(*month_days), TARGET_QUERY_MS),
            ("due payins (reconciliation)", lambda: stores.payins.due(DATA_END), TARGET_QUERY_MS),
        ]
        for name, call, target in queries:
            p50, p99 = await _measure(call, SAMPLES)
            results.append((name, p50, p99, target))

        completions = iter(pending)

        async def complete() -> object:
            tx, amount = next(completions)
            receipt = NewMessage(1, "receipt", json.dumps({"tx": tx}), f"payin:{tx}:completed")
            return await stores.payins.complete(tx, amount=amount, messages=[receipt])

        p50, p99 = await _measure(complete, len(pending))
        results.append(
            ("payin transition: complete (+order, audit, outbox)", p50, p99, TARGET_TRANSITION_MS)
        )
        unpaid = iter(
            row["id"]
            for row in await db.fetch_all(
                "SELECT id FROM orders WHERE state = 'awaiting_payment' ORDER BY created_at DESC"
                " LIMIT ?",
                (SAMPLES,),
            )
        )

        async def create() -> object:
            change = await stores.payins.create(
                next(unpaid), method=PayinMethod.LINK, actor="bench"
            )
            assert change.outcome is Outcome.APPLIED
            return change

        p50, p99 = await _measure(create, SAMPLES)
        results.append(("payin creation (creating)", p50, p99, TARGET_TRANSITION_MS))
        started = time.perf_counter()
        exported = [row async for row in stores.stats.export_orders(*month)]
        export_seconds = time.perf_counter() - started
        started = time.perf_counter()
        backup = await db.backup(tmp_path / "backup.sqlite3")
        backup_seconds = time.perf_counter() - started

    size_mb = cached.stat().st_size / 1_000_000
    print()
    print(f"storage benchmark: {ORDERS:,} orders and payins, {CUSTOMERS:,} customers")
    if build_seconds:
        print(f"built the database in {build_seconds:.1f} s")
    print(f"database size: {size_mb:,.0f} MB ({cached})")
    print(f"{'measure':<62} {'p50 ms':>8} {'p99 ms':>8} {'target':>8}")
    for name, p50, p99, target in results:
        print(f"{name:<62} {p50:>8.3f} {p99:>8.3f} {target:>8.1f}")
    print(f"export of 30 days: {len(exported):,} orders in {export_seconds:.2f} s")
    print(
        f"online backup + verification: {backup_seconds:.1f} s,"
        f" {backup.size_bytes / 1_000_000:,.0f} MB, integrity {backup.integrity}"
    )
    # Benchmarks measure; they report a missed target instead of failing on a noisy machine.
    missed = [name for name, _, p99, target in results if p99 >= target]
    print("every p99 within its target" if not missed else f"p99 OVER TARGET: {missed}")
