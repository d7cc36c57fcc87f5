"""Rules for what may reach the logs."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logs import JsonFormatter, mask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("payin for 22670123456 started", "payin for 22670XXXX56 started"),
        ("two: 22607000001, 22660999999", "two: 22607XXXX01, 22660XXXX99"),
        ("id P2777636082026 stays", "id P2777636082026 stays"),
        (
            "GET https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe",
            "GET https://api.telegram.org/bot<bot-token>/getMe",
        ),
    ],
)
def test_phone_numbers_and_bot_tokens_are_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


def test_json_lines_carry_level_logger_and_message() -> None:
    record = logging.LogRecord("bot.cashier", logging.INFO, __file__, 1, "paid %s", ("LB-1",), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "INFO"
    assert line["logger"] == "bot.cashier"
    assert line["message"] == "paid LB-1"
