"""The accounting export of /export: orders and payments as CSV files a spreadsheet opens as is.

UTF-8 with a byte order mark and `;` between fields, which is what spreadsheets in French locales
expect (there `,` is the decimal separator); amounts are whole XOF; instants are ISO 8601 in
UTC. Rows are streamed from storage's async iterators (a batch per query) into one buffer per
file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, TypeVar

from storage.models import OrderExportRow, PaymentExportRow

DELIMITER: Final = ";"
ENCODING: Final = "utf-8-sig"  # UTF-8 with a BOM
ORDER_COLUMNS: Final = (
    "reference",
    "created_at",
    "state",
    "customer_id",
    "customer_name",
    "items",
    "total",
    "paid_amount",
    "refunded_amount",
    "paid_at",
    "method",
    "operator",
    "request_id",
    "transaction_id",
)
PAYMENT_COLUMNS: Final = (
    "direction",
    "transaction_id",
    "order_reference",
    "amount",
    "state",
    "method",
    "operator",
    "request_id",
    "created_at",
    "completed_at",
)
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class CsvFile:
    """One exported file: its bytes and how many data rows it holds."""

    data: bytes
    rows: int


def instant(moment: datetime | None) -> str:
    """An instant as ISO 8601 in UTC (`2026-11-26T14:03:00Z`), or an empty cell."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text_cell(value: str) -> str:
    """Free text people typed, defused so a spreadsheet never runs it as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def order_cells(row: OrderExportRow) -> list[str | int]:
    """One order as a CSV row, in ORDER_COLUMNS order."""
    return [
        row.reference,
        instant(row.created_at),
        row.state.value,
        row.customer_id,
        text_cell(row.customer_name),
        text_cell(row.items),
        row.total,
        row.paid_amount,
        row.refunded_amount,
        instant(row.paid_at),
        row.method,
        row.operator,
        row.request_id,
        row.transaction_id,
    ]


def payment_cells(row: PaymentExportRow) -> list[str | int]:
    """One payin or payout as a CSV row, in PAYMENT_COLUMNS order."""
    return [
        row.direction,
        row.transaction_id,
        row.order_reference,
        row.amount,
        row.state,
        row.method,
        row.operator,
        row.request_id,
        instant(row.created_at),
        instant(row.completed_at),
    ]


async def write_csv(
    columns: Sequence[str],
    rows: AsyncIterator[_R],
    cells: Callable[[_R], list[str | int]],
) -> CsvFile:
    """Stream rows into one CSV file buffer (header first)."""
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding=ENCODING, newline="")
    writer = csv.writer(text, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    async for row in rows:
        writer.writerow(cells(row))
        count += 1
    text.flush()
    data = buffer.getvalue()
    text.detach()
    return CsvFile(data, count)
