"""Rules for `ligdibot check-config`: every setting shown, secrets never, problems one per line."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.emulator import TelegramEmulator
from payments.sandbox import DEFAULT_API_KEY, DEFAULT_API_TOKEN, Sandbox, SandboxConfig
from tests.bot.cli_support import SETTING_NAMES, clean_environment, ligdibot, set_env

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
KEY, TOKEN = "key-0123456789-secret", "token-0123456789-secret"

Capture = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_environment(monkeypatch, tmp_path)
    set_env(monkeypatch, database_path=tmp_path / "data" / "shop.sqlite3", admin_ids="42")


@pytest.fixture
async def ligdicash() -> AsyncIterator[str]:
    """A standalone Ligdicash sandbox on a loopback port; its API base URL."""
    sandbox = Sandbox(SandboxConfig())
    server = TestServer(sandbox.app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/pay/v01/"))
    finally:
        await server.close()
        await sandbox.aclose()


def live(monkeypatch: pytest.MonkeyPatch, emulator: TelegramEmulator, api_url: str) -> None:
    """Settings of a live bot whose Telegram is the emulator and whose Ligdicash is `api_url`."""
    set_env(
        monkeypatch,
        telegram_bot_token=emulator.token,
        telegram_api_url=emulator.url,
        ligdicash_api_url=api_url,
        ligdicash_api_key=DEFAULT_API_KEY,
        ligdicash_api_token=DEFAULT_API_TOKEN,
        public_url="https://shop.example",
    )


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_every_setting_is_shown_and_secrets_only_as_set(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    set_env(
        monkeypatch,
        telegram_bot_token=BOT_TOKEN,
        ligdicash_api_key=KEY,
        ligdicash_api_token=TOKEN,
        store_name="Boutique Wend-Panga",
    )
    run = await ligdibot(capsys, "check-config")
    assert run.code == 0
    shown = dict(line.split(maxsplit=1) for line in run.out.splitlines() if line[2:3].isupper())
    assert set(SETTING_NAMES) <= set(shown)
    assert shown["TELEGRAM_BOT_TOKEN"] == "set"
    assert shown["LIGDICASH_API_KEY"] == "set"
    assert shown["TELEGRAM_WEBHOOK_SECRET"] == "unset (default)"
    assert shown["STORE_NAME"] == "Boutique Wend-Panga"
    assert shown["HTTP_PORT"] == "8080 (default)"
    for secret in (BOT_TOKEN, KEY, TOKEN, "AAHdqTcv"):
        assert secret not in run.out + run.err
    assert "payments: live, Ligdicash at https://app.ligdicash.com/pay/v01/" in run.out
    assert "updates:  long polling" in run.out
    assert run.out.rstrip().endswith("all good")


async def test_a_missing_token_is_one_clear_line(capsys: Capture) -> None:
    run = await ligdibot(capsys, "check-config")
    assert run.code == 1
    assert run.lines("FAILED") == ["TELEGRAM_BOT_TOKEN: required, not set"]
    assert "1 problem found" in run.out


async def test_each_bad_setting_gets_its_own_line(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    set_env(monkeypatch, telegram_bot_token=BOT_TOKEN, http_port="eighty", default_language="de")
    run = await ligdibot(capsys, "check-config")
    assert run.code == 1
    failed = run.lines("FAILED")
    assert len(failed) == 2
    assert failed[0].startswith("HTTP_PORT: ")
    assert failed[1].startswith("DEFAULT_LANGUAGE: ")
    assert "2 problems found" in run.out


@pytest.mark.parametrize(
    ("env", "warning"),
    [
        ({}, "no Ligdicash keys: payments are simulated by the sandbox"),
        ({"ligdicash_api_key": KEY}, "only LIGDICASH_API_KEY is set"),
        (
            {"ligdicash_api_key": KEY, "ligdicash_api_token": TOKEN, "ligdicash_sandbox": "true"},
            "LIGDICASH_SANDBOX=true",
        ),
        (
            {"ligdicash_api_key": KEY, "ligdicash_api_token": TOKEN},
            "PUBLIC_URL points at this machine",
        ),
        (
            {
                "ligdicash_api_key": KEY,
                "ligdicash_api_token": TOKEN,
                "public_url": "http://shop.example",
            },
            "PUBLIC_URL is not https",
        ),
        (
            {"telegram_webhook_url": "https://shop.example/hook", "telegram_webhook_secret": "s"},
            "TELEGRAM_WEBHOOK_URL does not end in /telegram",
        ),
        ({"admin_ids": ""}, "ADMIN_IDS is empty"),
    ],
)
async def test_doubtful_settings_are_warned_about_without_failing(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture, env: dict[str, str], warning: str
) -> None:
    set_env(monkeypatch, telegram_bot_token=BOT_TOKEN, **env)
    run = await ligdibot(capsys, "check-config")
    assert run.code == 0
    assert any(line.startswith(warning) for line in run.lines("warning")), run.out


async def test_a_database_folder_that_cannot_be_written_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    set_env(monkeypatch, telegram_bot_token=BOT_TOKEN, database_path=blocker / "shop.sqlite3")
    run = await ligdibot(capsys, "check-config")
    assert run.code == 1
    assert run.lines("FAILED") == [
        f"database {blocker.resolve() / 'shop.sqlite3'} cannot be created:"
        f" {blocker.resolve()} is not writable"
    ]


async def test_reach_with_good_token_and_keys_is_all_good(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture, emulator: TelegramEmulator, ligdicash: str
) -> None:
    live(monkeypatch, emulator, ligdicash)
    run = await ligdibot(capsys, "check-config", "--reach")
    assert run.code == 0, run.out
    username = emulator.bot_user["username"]
    assert f"Telegram: token accepted, bot @{username}" in run.lines("ok")
    assert f"Ligdicash: keys accepted at {ligdicash}" in run.lines("ok")
    assert run.lines("FAILED") == []
    assert emulator.count("getMe") == 1


async def test_reach_with_wrong_ligdicash_keys_says_the_keys_are_wrong(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture, emulator: TelegramEmulator, ligdicash: str
) -> None:
    live(monkeypatch, emulator, ligdicash)
    set_env(monkeypatch, ligdicash_api_token="not-the-token")
    run = await ligdibot(capsys, "check-config", "--reach")
    assert run.code == 1
    assert run.lines("FAILED") == [
        "Ligdicash refused the merchant setup: wrong keys,"
        " check LIGDICASH_API_KEY and LIGDICASH_API_TOKEN"
    ]
    assert "not-the-token" not in run.out + run.err


async def test_reach_with_a_wrong_bot_token_says_telegram_refused_it(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture, emulator: TelegramEmulator, ligdicash: str
) -> None:
    live(monkeypatch, emulator, ligdicash)
    set_env(monkeypatch, telegram_bot_token=BOT_TOKEN)
    run = await ligdibot(capsys, "check-config", "--reach")
    assert run.code == 1
    assert run.lines("FAILED") == ["Telegram refused TELEGRAM_BOT_TOKEN (see @BotFather)"]
    assert f"Ligdicash: keys accepted at {ligdicash}" in run.lines("ok")


async def test_reach_reports_what_cannot_be_reached(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture, emulator: TelegramEmulator
) -> None:
    nowhere = f"http://127.0.0.1:{closed_port()}"
    live(monkeypatch, emulator, f"{nowhere}/pay/v01/")
    set_env(monkeypatch, telegram_api_url=nowhere)
    run = await ligdibot(capsys, "check-config", "--reach")
    assert run.code == 1
    failed = run.lines("FAILED")
    assert len(failed) == 2
    assert failed[0].startswith(f"Telegram not reachable at {nowhere}")
    assert failed[1].startswith(f"Ligdicash not reachable at {nowhere}/pay/v01/")


async def test_reach_in_sandbox_mode_only_calls_telegram(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture, emulator: TelegramEmulator
) -> None:
    set_env(monkeypatch, telegram_bot_token=emulator.token, telegram_api_url=emulator.url)
    run = await ligdibot(capsys, "check-config", "--reach")
    assert run.code == 0
    assert "Ligdicash: sandbox mode, nothing to reach" in run.lines("ok")
    assert "payments: sandbox (simulated, no real money moves)" in run.out


async def test_reach_in_webhook_mode_reads_the_webhook_state(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture, emulator: TelegramEmulator, ligdicash: str
) -> None:
    live(monkeypatch, emulator, ligdicash)
    set_env(
        monkeypatch,
        telegram_webhook_url="https://shop.example/telegram",
        telegram_webhook_secret="s3cret-Token_1",
    )
    run = await ligdibot(capsys, "check-config", "--reach")
    assert run.code == 0, run.out
    assert "updates:  webhook at https://shop.example/telegram" in run.out
    assert emulator.count("getWebhookInfo") == 1
    assert "s3cret-Token_1" not in run.out + run.err
