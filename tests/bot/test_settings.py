"""Rules for reading the bot's settings from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe_error


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env file
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "LIGDICASH_", "ADMIN_", "PUBLIC_", "HTTP_", "STORE_")):
            monkeypatch.delenv(name)


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings()


def test_defaults_run_in_sandbox_with_a_local_database(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch, TELEGRAM_BOT_TOKEN="123:abc")
    assert settings.use_sandbox
    assert settings.database_path == Path("data/ligdibot.sqlite3")
    assert settings.default_language == "fr"
    assert settings.admin_ids == ()


def test_admin_ids_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch, TELEGRAM_BOT_TOKEN="1:a", ADMIN_IDS="11, 22,33")
    assert settings.admin_ids == (11, 22, 33)


def test_keys_switch_off_the_sandbox_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "1:a", "LIGDICASH_API_KEY": "k", "LIGDICASH_API_TOKEN": "t"}
    assert not load(monkeypatch, **env).use_sandbox
    assert load(monkeypatch, **env, LIGDICASH_SANDBOX="true").use_sandbox


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(
        monkeypatch,
        TELEGRAM_BOT_TOKEN="999:very-secret",
        LIGDICASH_API_KEY="key-secret",
        LIGDICASH_API_TOKEN="token-secret",
    )
    text = repr(settings) + str(settings)
    assert "very-secret" not in text
    assert "key-secret" not in text
    assert "token-secret" not in text


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "1:a", "HTTP_PORT": "eighty"}, "HTTP_PORT"),
        ({"TELEGRAM_BOT_TOKEN": "1:a", "ADMIN_IDS": "12,bob"}, "ADMIN_IDS"),
        ({"TELEGRAM_BOT_TOKEN": "1:a", "PUBLIC_URL": "example.org"}, "PUBLIC_URL"),
        ({"TELEGRAM_BOT_TOKEN": "1:a", "DEFAULT_LANGUAGE": "de"}, "DEFAULT_LANGUAGE"),
        (
            {"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_URL": "http://x.org/telegram"},
            "TELEGRAM_WEBHOOK_URL",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_URL": "https://x.org/telegram"},
            "TELEGRAM_WEBHOOK_SECRET",
        ),
    ],
)
def test_a_bad_setting_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        load(monkeypatch, **env)
    line = describe_error(caught.value)
    assert named in line
    assert "\n" not in line
