"""Languages, money and date formatting, and the per-language text tables every feature uses."""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import datetime
from typing import Final, Literal, get_args

from babel.dates import format_datetime
from babel.numbers import format_currency

Lang = Literal["fr", "en"]
LANGUAGES: Final[tuple[Lang, ...]] = get_args(Lang)
DEFAULT_LANG: Final[Lang] = "fr"


def pick_language(code: str | None, default: Lang = DEFAULT_LANG) -> Lang:
    """Choose fr or en from a Telegram `language_code` such as `en-US`; else the default."""
    if code:
        prefix = code.split("-")[0].split("_")[0].lower()
        for lang in LANGUAGES:
            if prefix == lang:
                return lang
    return default


def money(amount: int, lang: Lang) -> str:
    """Format XOF the way customers read it: `40 000 F CFA` (fr) or `40,000 F CFA` (en)."""
    if lang == "fr":
        return str(format_currency(amount, "XOF", locale="fr_BF"))
    # Babel's English pattern puts the symbol first (`F CFA40,000`), which nobody writes here.
    return str(format_currency(amount, "XOF", "#,##0\u00a0¤", locale="en"))


def when(moment: datetime, lang: Lang) -> str:
    """Format an aware datetime in Ouagadougou time (UTC+0 all year)."""
    return str(format_datetime(moment, "d MMM y, HH:mm", tzinfo=moment.tzinfo, locale=lang))


class Texts:
    """One feature's texts in every language, filled with `str.format` placeholders."""

    registry: Final[list[Texts]] = []

    def __init__(self, name: str, tables: Mapping[Lang, Mapping[str, str]]) -> None:
        self.name = name
        self.tables = tables
        Texts.registry.append(self)

    def __call__(self, lang: Lang, key: str, /, **values: object) -> str:
        """Return the text `key` in `lang` with its placeholders filled."""
        table = self.tables.get(lang) or self.tables[DEFAULT_LANG]
        return table[key].format(**values)

    def problems(self) -> list[str]:
        """List keys or placeholders that differ between languages (empty when complete)."""
        found: list[str] = []
        reference = self.tables.get(DEFAULT_LANG, {})
        for lang in LANGUAGES:
            table = self.tables.get(lang)
            if table is None:
                found.append(f"{self.name}: no {lang} table")
                continue
            for key in sorted(set(reference) ^ set(table)):
                found.append(f"{self.name}.{key}: missing in one language ({lang})")
            for key in sorted(set(reference) & set(table)):
                if placeholders(reference[key]) != placeholders(table[key]):
                    found.append(f"{self.name}.{key}: placeholders differ in {lang}")
        return found


def placeholders(template: str) -> set[str]:
    """The names of a template's `{placeholders}`."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}
