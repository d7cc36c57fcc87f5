"""Every text exists in French and English with the same placeholders."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import bot
from bot.i18n import LANGUAGES, Texts, money, pick_language


def _load_every_module() -> None:
    for module in pkgutil.walk_packages(bot.__path__, "bot."):
        if not module.name.startswith("bot.emulator"):
            importlib.import_module(module.name)


def test_every_text_table_is_complete_in_every_language() -> None:
    _load_every_module()
    assert Texts.registry, "no text table was registered"
    problems = [problem for table in Texts.registry for problem in table.problems()]
    assert problems == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fr", "fr"),
        ("fr-FR", "fr"),
        ("en", "en"),
        ("en-US", "en"),
        ("EN_gb", "en"),
        ("de", "fr"),
        (None, "fr"),
        ("", "fr"),
    ],
)
def test_language_comes_from_telegram_with_french_by_default(
    code: str | None, expected: str
) -> None:
    assert pick_language(code) == expected
    assert expected in LANGUAGES


@pytest.mark.parametrize(
    ("amount", "lang", "expected"),
    [
        (40000, "fr", "40\u202f000\u00a0F\u202fCFA"),
        (500, "fr", "500\u00a0F\u202fCFA"),
        (40000, "en", "40,000\u00a0F\u202fCFA"),
        (2_000_000, "en", "2,000,000\u00a0F\u202fCFA"),
    ],
)
def test_money_reads_like_local_prices(amount: int, lang: str, expected: str) -> None:
    assert money(amount, lang) == expected  # type: ignore[arg-type]


def test_a_missing_translation_is_reported() -> None:
    table = Texts.__new__(Texts)
    table.name = "probe"
    table.tables = {"fr": {"a": "{x}", "b": "b"}, "en": {"a": "{y}"}}
    found = table.problems()
    assert any("b: missing" in problem for problem in found)
    assert any("a: placeholders differ" in problem for problem in found)
