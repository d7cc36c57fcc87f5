"""The sandbox's tables: sub-codes, operator prefixes, statuses and settings."""

from __future__ import annotations

import pytest

from payments.sandbox import Endpoint, Operator, SandboxConfig, SandboxStatus
from payments.sandbox.model import final_status, mask_phone, operator_for
from payments.sandbox.wire import SUB_CODES, WIKI, Reason, Refused, refusal

API_ENDPOINTS = [endpoint for endpoint in Endpoint if endpoint is not Endpoint.CHECKOUT_PAGE]

# Every refusal the sandbox can give, with Ligdicash's sub-code for that endpoint (FACTS.md).
EXPECTED_SUB_CODES = [
    (Endpoint.HOSTED_PAYIN, Reason.AUTH, "00"),
    (Endpoint.HOSTED_PAYIN, Reason.AMOUNT, "02"),
    (Endpoint.HOSTED_PAYIN, Reason.BAD_INPUT, "08"),
    (Endpoint.DIRECT_PAYIN, Reason.AUTH, "00"),
    (Endpoint.DIRECT_PAYIN, Reason.AMOUNT, "02"),
    (Endpoint.DIRECT_PAYIN, Reason.OPERATOR, "07"),
    (Endpoint.DIRECT_PAYIN, Reason.BAD_INPUT, "08"),
    (Endpoint.DIRECT_PAYIN, Reason.WRONG_OTP, "15"),
    (Endpoint.DIRECT_PAYIN, Reason.EXPIRED_OTP, "16"),
    (Endpoint.PAYIN_CONFIRM, Reason.AUTH, "00"),
    (Endpoint.PAYIN_CONFIRM, Reason.NOT_FOUND, "02"),
    (Endpoint.PAYIN_CONFIRM, Reason.BAD_INPUT, "04"),
    (Endpoint.CLIENT_PAYOUT, Reason.AUTH, "00"),
    (Endpoint.CLIENT_PAYOUT, Reason.BALANCE, "04"),
    (Endpoint.CLIENT_PAYOUT, Reason.AMOUNT, "05"),
    (Endpoint.CLIENT_PAYOUT, Reason.BAD_INPUT, "09"),
    (Endpoint.MERCHANT_PAYOUT, Reason.AUTH, "00"),
    (Endpoint.MERCHANT_PAYOUT, Reason.AMOUNT, "02"),
    (Endpoint.MERCHANT_PAYOUT, Reason.OPERATOR, "05"),
    (Endpoint.MERCHANT_PAYOUT, Reason.BALANCE, "08"),
    (Endpoint.MERCHANT_PAYOUT, Reason.BAD_INPUT, "10"),
    (Endpoint.PAYOUT_CONFIRM, Reason.AUTH, "00"),
    (Endpoint.PAYOUT_CONFIRM, Reason.NOT_FOUND, "02"),
    (Endpoint.PAYOUT_CONFIRM, Reason.BAD_INPUT, "04"),
]


@pytest.mark.parametrize(("endpoint", "reason", "code"), EXPECTED_SUB_CODES)
def test_each_refusal_carries_the_documented_sub_code(
    endpoint: Endpoint, reason: Reason, code: str
) -> None:
    body = refusal(endpoint, Refused(reason, "test"), {})
    assert body["response_code"] == "01"
    assert body["response_text"] == f"Echec (Code{code})"
    assert isinstance(body["description"], str)
    assert body["description"]
    assert body["wiki"] == WIKI[endpoint]


def test_the_sub_code_table_is_complete() -> None:
    table = {(endpoint, reason) for endpoint, codes in SUB_CODES.items() for reason in codes}
    assert table == {(endpoint, reason) for endpoint, reason, _ in EXPECTED_SUB_CODES}
    assert set(SUB_CODES) == set(API_ENDPOINTS) == set(WIKI)
    for endpoint in API_ENDPOINTS:
        assert {Reason.AUTH, Reason.BAD_INPUT} <= set(SUB_CODES[endpoint])


@pytest.mark.parametrize(
    ("customer", "operator"),
    [
        ("22605123456", Operator.ORANGE),
        ("22654123456", Operator.ORANGE),
        ("22666068734", Operator.ORANGE),
        ("22677123456", Operator.ORANGE),
        ("22601123456", Operator.MOOV),
        ("22652123456", Operator.MOOV),
        ("22660123456", Operator.MOOV),
        ("22673123456", Operator.MOOV),
        ("22658123456", None),
        ("22678123456", None),
        ("22570123456", None),
        ("2267012345", None),
        ("226701234567", None),
        ("+22670123456", None),
        ("226７0123456", None),
    ],
)
def test_the_operator_follows_the_number_prefix(customer: str, operator: Operator | None) -> None:
    assert operator_for(customer) is operator


@pytest.mark.parametrize(
    ("customer", "operator"),
    [("22604123456", Operator.ORANGE), ("22644123456", Operator.ORANGE), ("22678123456", None)],
)
def test_the_operator_follows_the_carrier_data_of_the_phone_library(
    customer: str, operator: Operator | None
) -> None:
    assert operator_for(customer) is operator


@pytest.mark.parametrize(
    ("operator", "name", "wire_id", "minimum"),
    [
        (Operator.ORANGE, "ORANGE BURKINA", "11", 10),
        (Operator.MOOV, "MOOV AFRICA BURKINA", "12", 100),
    ],
)
def test_operators_are_named_as_ligdicash_names_them(
    operator: Operator, name: str, wire_id: str, minimum: int
) -> None:
    assert (operator.wire_name, operator.wire_id, operator.minimum) == (name, wire_id, minimum)


def test_every_operator_is_described() -> None:
    assert {operator.label for operator in Operator} == {"Orange Money", "Moov Money"}


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("completed", SandboxStatus.COMPLETED),
        ("notcompleted", SandboxStatus.NOTCOMPLETED),
        ("nocompleted", SandboxStatus.NOTCOMPLETED),
        (" Failed ", SandboxStatus.NOTCOMPLETED),
        (SandboxStatus.COMPLETED, SandboxStatus.COMPLETED),
    ],
)
def test_final_status_words(word: str, status: SandboxStatus) -> None:
    assert final_status(word) is status


@pytest.mark.parametrize("word", ["pending", "", "paid"])
def test_only_final_words_settle(word: str) -> None:
    with pytest.raises(ValueError, match="final status"):
        final_status(word)


def test_phone_numbers_are_masked_for_logs() -> None:
    assert mask_phone("22670123456") == "226XXXXXX56"
    assert mask_phone("123") == "XXX"


@pytest.mark.parametrize(
    "changes",
    [
        {"api_key": ""},
        {"api_token": ""},
        {"approval_delay": -1.0},
        {"callback_timeout": 0.0},
        {"merchant_balance": -1},
        {"public_url": "127.0.0.1:8090"},
    ],
)
def test_bad_settings_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (one message per setting)
        SandboxConfig(**changes)  # type: ignore[arg-type]


def test_defaults_are_the_published_test_values() -> None:
    config = SandboxConfig()
    assert (config.api_key, config.api_token) == ("sandbox-api-key", "sandbox-api-token")
    assert (config.approval_delay, config.payout_delay, config.callback_delay) == (5.0, 3.0, 0.5)
    assert (config.hang_seconds, config.merchant_balance) == (3600.0, 10_000_000)
