"""Rules for deploy/env.example: every setting once, with its true default, usable as it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import Settings

EXAMPLE = Path(__file__).parents[2] / "deploy" / "env.example"
# `NAME=` (to fill in) or `# NAME=default` (the default, commented out).
ENTRY = re.compile(r"^(?P<commented># )?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")
COMPOSE_ONLY = {"DOMAIN"}
FIELDS = {name.upper(): name for name in Settings.model_fields}


def entries() -> list[tuple[str, str, bool]]:
    """(name, value, commented) of every setting line of the example."""
    found = []
    for line in EXAMPLE.read_text("utf-8").splitlines():
        match = ENTRY.match(line)
        if match:
            found.append((match["name"], match["value"], bool(match["commented"])))
    return found


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (*FIELDS, *COMPOSE_ONLY):
        monkeypatch.delenv(name, raising=False)


def test_every_setting_is_in_the_example_once() -> None:
    names = [name for name, _, _ in entries()]
    assert sorted(set(names)) == sorted(names), "a setting is listed twice"
    assert set(names) == set(FIELDS) | COMPOSE_ONLY


@pytest.mark.parametrize(
    ("name", "value", "commented"),
    [entry for entry in entries() if entry[0] not in COMPOSE_ONLY | {"TELEGRAM_BOT_TOKEN"}],
)
def test_each_line_of_the_example_means_the_default(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, commented: bool
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    default = Settings()
    monkeypatch.setenv(name, value)
    documented = Settings()
    assert getattr(documented, FIELDS[name]) == getattr(default, FIELDS[name])
    assert commented or value == "", f"{name}: a line to fill in must be empty in the example"


def test_the_token_is_the_one_line_that_must_be_filled_in() -> None:
    assert ("TELEGRAM_BOT_TOKEN", "", False) in entries()
    required = [name for name, field in Settings.model_fields.items() if field.is_required()]
    assert required == ["telegram_bot_token"]


def test_the_example_copied_as_it_is_gives_the_defaults(tmp_path: Path) -> None:
    copied = tmp_path / ".env"
    copied.write_text(
        EXAMPLE.read_text("utf-8").replace("\nTELEGRAM_BOT_TOKEN=\n", "\nTELEGRAM_BOT_TOKEN=1:a\n"),
        "utf-8",
    )
    settings = Settings()
    assert settings.telegram_bot_token.get_secret_value() == "1:a"
    assert settings.model_fields_set == {"telegram_bot_token"}
    assert settings.use_sandbox
