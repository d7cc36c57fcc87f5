"""What admins type after /stats, /export and /orders, and the small rules of the CSV and chart."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.admin import FILTER_CODES, order_filter, parse_order_filter
from bot.charts import nice_ceiling
from bot.exports import instant, text_cell
from bot.periods import MAX_DAYS, NAMED_CODES, from_code, named, parse_period
from storage.models import OrderState

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("words", "first", "last"),
    [
        ([], date(2026, 11, 20), TODAY),  # the default asked for: 7d
        (["today"], TODAY, TODAY),
        (["Aujourd'hui"], TODAY, TODAY),
        (["7d"], date(2026, 11, 20), TODAY),
        (["7j"], date(2026, 11, 20), TODAY),
        (["30d"], date(2026, 10, 28), TODAY),
        (["mois"], date(2026, 11, 1), TODAY),
        (["month"], date(2026, 11, 1), TODAY),
        (["2026-11-01"], date(2026, 11, 1), date(2026, 11, 1)),
        (["2026-11-01", "2026-11-26"], date(2026, 11, 1), TODAY),
        (["2026-11-26", "2026-11-01"], date(2026, 11, 1), TODAY),
    ],
)
def test_periods_admins_type(words: list[str], first: date, last: date) -> None:
    period = parse_period(words, TODAY, default="7d")
    assert period is not None
    assert (period.first_day, period.last_day) == (first, last)
    assert period.start == datetime(first.year, first.month, first.day, tzinfo=UTC)
    assert (period.end - period.start).days == period.days
    assert from_code(period.code, TODAY) == period


@pytest.mark.parametrize(
    "words",
    [
        ["yesterday"],
        ["2026-13-01"],
        ["2026-02-30"],
        ["26/11/2026"],
        ["2026-11-01", "2026-11-02", "2026-11-03"],
        ["2024-01-01", "2026-11-26"],  # longer than MAX_DAYS
    ],
)
def test_periods_that_are_refused(words: list[str]) -> None:
    assert parse_period(words, TODAY, default="7d") is None


def test_the_longest_range_is_accepted() -> None:
    period = parse_period(["2025-10-23", "2026-11-26"], TODAY, default="7d")
    assert period is not None
    assert period.days == MAX_DAYS


def test_every_named_period_has_a_code_that_fits_in_callback_data() -> None:
    for code in NAMED_CODES:
        assert from_code(code, TODAY) == named(code, TODAY)
    widest = parse_period(["1970-01-01", "1971-01-01"], date(1971, 1, 1), default="7d")
    assert widest is not None
    assert len(f"adm:ol:{widest.code}:9999:") <= 30


@pytest.mark.parametrize(
    ("words", "states", "today_only", "flagged"),
    [
        ([], None, False, False),
        (["awaiting"], {OrderState.AWAITING_PAYMENT}, False, False),
        (["payées"], {OrderState.PAID}, False, False),
        (["failed"], {OrderState.EXPIRED, OrderState.CANCELLED}, False, False),
        (
            ["remboursees"],
            {OrderState.REFUNDED, OrderState.PARTIALLY_REFUNDED},
            False,
            False,
        ),
        (["today"], None, True, False),
        (["flagged"], None, False, True),
    ],
)
def test_order_filters_admins_type(
    words: list[str], states: set[OrderState] | None, today_only: bool, flagged: bool
) -> None:
    chosen = parse_order_filter(words, TODAY)
    assert chosen is not None
    assert chosen.states == (frozenset(states) if states else None)
    assert chosen.flagged is flagged
    if today_only:
        assert chosen.period is not None
        assert chosen.period.days == 1
    assert order_filter(chosen.code, TODAY) == chosen


def test_every_order_filter_code_is_known() -> None:
    for code in FILTER_CODES:
        assert order_filter(code, TODAY) is not None
    assert order_filter("zz", TODAY) is None
    assert parse_order_filter(["paid", "today"], TODAY) is None


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("Awa Ouédraogo", "Awa Ouédraogo"),
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+22670123456", "'+22670123456"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("", ""),
    ],
)
def test_text_cells_never_become_formulas(cell: str, written: str) -> None:
    assert text_cell(cell) == written


def test_instants_are_iso_in_utc() -> None:
    assert instant(datetime(2026, 11, 26, 14, 3, 7, 999000, tzinfo=UTC)) == "2026-11-26T14:03:07Z"
    assert instant(None) == ""


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 1), (1, 1), (7, 10), (12, 20), (18000, 20000), (30000, 50000), (60001, 100000)],
)
def test_chart_scale_ends_on_a_round_number(value: int, ceiling: int) -> None:
    assert nice_ceiling(value) == ceiling
