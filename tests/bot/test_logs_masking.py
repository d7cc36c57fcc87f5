"""Rules for the configured log output: tracebacks, e-mails and the settings' secrets are masked."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Literal, get_args

import pytest
from pydantic import SecretStr

from bot import logs
from bot.cli import secrets_of
from bot.settings import Settings
from tests.bot.cli_support import logging_restored

KEY = "lk_live_0123456789abcdef"
BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    with logging_restored():
        yield


def emit(
    capsys: pytest.CaptureFixture[str], fmt: Literal["text", "json"], secrets: list[str]
) -> str:
    """Configure the logs, log an order event and a failure, return what reached stderr."""
    logs.configure("INFO", fmt, secrets)
    log = logging.getLogger("bot.cashier")
    log.info("payin tx-1 completed: order LB-7K3F9Q, payer 22670123456, awa.ouedraogo@mail.bf")
    try:
        raise RuntimeError(f"Ligdicash said no to {KEY} for 22607123456")
    except RuntimeError:
        log.exception("confirm failed for order %s", "LB-7K3F9Q")
    return capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_events_keep_the_order_reference_and_lose_personal_data(
    capsys: pytest.CaptureFixture[str], fmt: Literal["text", "json"]
) -> None:
    out = emit(capsys, fmt, [KEY])
    lines = out.splitlines() if fmt == "json" else [out]
    if fmt == "json":
        assert [json.loads(line)["level"] for line in lines] == ["INFO", "ERROR"]
    assert "LB-7K3F9Q" in lines[0]
    assert "22670XXXX56" in out
    assert "a***@mail.bf" in out
    for leaked in ("22670123456", "22607123456", "awa.ouedraogo", KEY):
        assert leaked not in out
    assert "<secret>" in out  # the key in the traceback's exception text


def test_every_secret_setting_is_handed_to_the_logs() -> None:
    settings = Settings(
        telegram_bot_token=SecretStr(BOT_TOKEN),
        telegram_webhook_url="https://shop.example/telegram",
        telegram_webhook_secret=SecretStr("webhook-secret-1"),
        ligdicash_api_key=SecretStr(KEY),
        ligdicash_api_token=SecretStr("ligdicash-token-1"),
        metrics_token=SecretStr("metrics-token-1"),
        _env_file=None,
    )
    assert sorted(secrets_of(settings)) == sorted(
        [BOT_TOKEN, "webhook-secret-1", KEY, "ligdicash-token-1", "metrics-token-1"]
    )
    secret_fields = {
        name
        for name, field in Settings.model_fields.items()
        if field.annotation is SecretStr or SecretStr in get_args(field.annotation)
    }
    assert secret_fields == {
        name for name in Settings.model_fields if isinstance(getattr(settings, name), SecretStr)
    }, "a secret setting is missing from this test"


def test_short_secrets_are_not_used_to_mask(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", "text", ["ab"])
    logging.getLogger("bot.shop").info("a cab about")
    assert "a cab about" in capsys.readouterr().err
