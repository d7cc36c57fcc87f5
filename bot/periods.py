"""Periods an admin asks about (`today`, `7d`, `30d`, `month`, a date range), as whole UTC days.

Burkina Faso's day is the UTC day (UTC+0 all year), so a period is a range of UTC days and maps
directly onto `StatsStore.period` and the exports' `[start, end)` instants.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

# The longest range an admin may ask for: the stats store lists days (for the chart) up to 400.
MAX_DAYS: Final = 400
_EPOCH: Final = date(1970, 1, 1)
_ISO_DAY: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_CODE_RANGE: Final = re.compile(r"^d(\d{1,6})-(\d{1,6})$")

# What admins type, in either language, for each named period.
NAMED_PERIODS: Final[dict[str, str]] = {
    "today": "today",
    "aujourdhui": "today",
    "jour": "today",
    "7d": "7d",
    "7j": "7d",
    "week": "7d",
    "semaine": "7d",
    "30d": "30d",
    "30j": "30d",
    "month": "month",
    "mois": "month",
}
NAMED_CODES: Final = ("today", "7d", "30d", "month")


def fold(word: str) -> str:
    """Lower-case a typed word and drop accents and apostrophes (`Aujourd'hui` -> `aujourdhui`)."""
    decomposed = unicodedata.normalize("NFKD", word.strip().lower())
    kept = (c for c in decomposed if not unicodedata.combining(c) and c not in "'’`")
    return "".join(kept)


@dataclass(frozen=True, slots=True)
class Period:
    """The UTC days first_day..last_day (inclusive), with a short code for callback data."""

    first_day: date
    last_day: date
    code: str

    @property
    def start(self) -> datetime:
        """The first instant of the period."""
        return _midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return _midnight(self.last_day + timedelta(days=1))

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.last_day - self.first_day).days + 1


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def named(code: str, today: date) -> Period:
    """The period a named code stands for, ending today."""
    if code == "today":
        return Period(today, today, code)
    if code == "7d":
        return Period(today - timedelta(days=6), today, code)
    if code == "30d":
        return Period(today - timedelta(days=29), today, code)
    if code == "month":
        return Period(today.replace(day=1), today, code)
    raise ValueError(f"not a named period: {code!r}")


def date_range(first_day: date, last_day: date) -> Period | None:
    """The period between two days (either order); None when longer than MAX_DAYS."""
    first_day, last_day = min(first_day, last_day), max(first_day, last_day)
    if (last_day - first_day).days + 1 > MAX_DAYS:
        return None
    code = f"d{(first_day - _EPOCH).days}-{(last_day - _EPOCH).days}"
    return Period(first_day, last_day, code)


def parse_day(text: str) -> date | None:
    """A day written `YYYY-MM-DD`, or None."""
    match = _ISO_DAY.match(text.strip())
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def parse_period(words: Sequence[str], today: date, *, default: str) -> Period | None:
    """Read `/stats` or `/export` arguments: nothing, a named period, or one or two days."""
    if not words:
        return named(default, today)
    if len(words) == 1:
        code = NAMED_PERIODS.get(fold(words[0]))
        if code is not None:
            return named(code, today)
    if len(words) > 2:
        return None
    days = [parse_day(word) for word in words]
    if any(day is None for day in days):
        return None
    found = [day for day in days if day is not None]
    return date_range(found[0], found[-1])


def from_code(code: str, today: date) -> Period | None:
    """The period a callback-data code stands for (see Period.code), or None."""
    if code in NAMED_CODES:
        return named(code, today)
    match = _CODE_RANGE.match(code)
    if match is None:
        return None
    first, last = (_EPOCH + timedelta(days=int(part)) for part in match.groups())
    return date_range(first, last)
