"""Rules for Burkina Faso mobile numbers, their operator, and per-operator payin rules."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.phone import (
    OPERATOR_IDS,
    OPERATOR_LIMITS,
    OPERATOR_NAMES,
    InvalidPhoneError,
    InvalidReason,
    Operator,
    Phone,
    direct_payin_flow,
    operator_for_carrier,
    operator_from_ligdicash,
    orange_ussd_code,
    parse_phone,
)


@pytest.mark.parametrize(
    "text",
    [
        "70123456",
        "70 12 34 56",
        "70.12.34.56",
        "70-12-34-56",
        "+22670123456",
        "+226 70 12 34 56",
        "+226-70-12-34-56",
        "(+226) 70 12 34 56",
        "0022670123456",
        "00 226 70 12 34 56",
        "22670123456",
        "226 70 12 34 56",
        "  70123456  ",
        "70\u00a012\u00a034\u00a056",
    ],
)
def test_accepted_forms_normalize_to_226_and_eight_digits(text: str) -> None:
    assert parse_phone(text).digits == "22670123456"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not_a_number"),
        ("   ", "not_a_number"),
        ("abc", "not_a_number"),
        ("70ABCDEF", "not_a_number"),
        ("7O123456", "not_a_number"),
        ("tel:+22670123456", "not_a_number"),
        ("70123456 ext 12", "not_a_number"),
        ("7012345", "not_a_number"),
        ("701234567", "not_a_number"),
        ("226701234567", "not_a_number"),
        ("+226 99 12 34 56", "not_a_number"),
        ("+226+70123456", "not_a_number"),
        ("0070123456", "not_a_number"),
        ("+226 " + "1" * 40, "not_a_number"),
        ("+33 6 12 34 56 78", "not_burkina"),
        ("0033612345678", "not_burkina"),
        ("+225 07 12 34 56 78", "not_burkina"),
        ("+226 25 30 66 20", "not_mobile"),
        ("20 49 12 34", "not_mobile"),
    ],
)
def test_rejected_forms_say_why(text: str, reason: InvalidReason) -> None:
    with pytest.raises(InvalidPhoneError) as caught:
        parse_phone(text)
    assert caught.value.reason == reason


def test_invalid_phone_error_is_a_value_error_without_the_number() -> None:
    with pytest.raises(ValueError, match="not a Burkina Faso number") as caught:
        parse_phone("+33612345678")
    assert "612345678" not in str(caught.value)


# Every two-digit prefix of an 8-digit national number: the operator from phonenumbers' carrier
# data, or the reason it is refused. The sandbox contract's lists are a subset of this table.
_ORANGE_PREFIXES = {"04", "05", "06", "07", "44", "45", "46", "54", "55", "56", "57"}
_ORANGE_PREFIXES |= {"64", "65", "66", "67", "74", "75", "76", "77"}
_MOOV_PREFIXES = {"01", "02", "03", "50", "51", "52", "53", "60", "61", "62", "63"}
_MOOV_PREFIXES |= {"70", "71", "72", "73"}
_TELECEL_PREFIXES = {"58", "68", "69", "78", "79"}
# Fixed-line ranges sit under these prefixes; the numbers outside them do not exist.
_FIXED_LINE_PREFIXES = {"20", "24", "25"}


def _expected_for_prefix(prefix: str) -> Operator | set[InvalidReason]:
    if prefix in _ORANGE_PREFIXES:
        return Operator.ORANGE
    if prefix in _MOOV_PREFIXES:
        return Operator.MOOV
    if prefix in _TELECEL_PREFIXES:
        return Operator.TELECEL
    if prefix in _FIXED_LINE_PREFIXES:
        return {"not_mobile", "not_a_number"}
    return {"not_a_number"}


@pytest.mark.parametrize("prefix", [f"{n:02d}" for n in range(100)])
def test_operator_per_two_digit_prefix(prefix: str) -> None:
    expected = _expected_for_prefix(prefix)
    for tail in ("000000", "123456", "999999"):
        text = f"+226{prefix}{tail}"
        if isinstance(expected, Operator):
            assert parse_phone(text) == Phone(digits=f"226{prefix}{tail}", operator=expected)
        else:
            with pytest.raises(InvalidPhoneError) as caught:
                parse_phone(text)
            assert caught.value.reason in expected


@pytest.mark.parametrize(
    ("operator", "contract_prefixes"),
    [
        (Operator.ORANGE, "05,06,07,54,55,56,57,64,65,66,67,74,75,76,77"),
        (Operator.MOOV, "01,02,03,50,51,52,53,60,61,62,63,70,71,72,73"),
    ],
)
def test_sandbox_contract_prefixes_agree_with_carrier_data(
    operator: Operator, contract_prefixes: str
) -> None:
    for prefix in contract_prefixes.split(","):
        assert parse_phone(f"226{prefix}123456").operator is operator


@pytest.mark.parametrize(
    "text",
    ["+226 20 49 12 34", "+226 24 45 12 34", "+226 25 30 66 20", "+226 25 50 12 34"],
)
def test_fixed_lines_are_not_mobile(text: str) -> None:
    with pytest.raises(InvalidPhoneError) as caught:
        parse_phone(text)
    assert caught.value.reason == "not_mobile"


@pytest.mark.parametrize(
    ("carrier_name", "operator"),
    [
        ("Orange", Operator.ORANGE),
        ("Orange Burkina", Operator.ORANGE),
        ("ORANGE BURKINA", Operator.ORANGE),
        ("Moov Africa", Operator.MOOV),
        ("Moov", Operator.MOOV),
        ("MOOV AFRICA BURKINA", Operator.MOOV),
        ("Telmob", Operator.MOOV),
        ("Onatel", Operator.MOOV),
        ("Telecel Faso", Operator.TELECEL),
        ("Telecel", Operator.TELECEL),
        ("", None),
        ("Airtel", None),
    ],
)
def test_carrier_names_map_to_operators(carrier_name: str, operator: Operator | None) -> None:
    assert operator_for_carrier(carrier_name) is operator


def test_masked_hides_the_middle_four_digits() -> None:
    phone = parse_phone("+226 70 12 34 56")
    assert phone.masked() == "226 70 XX XX 56"
    assert "1234" not in phone.masked()


def test_repr_never_shows_the_full_number() -> None:
    phone = parse_phone("+226 70 12 34 56")
    assert "22670123456" not in repr(phone)
    assert "12 34" not in repr(phone)
    assert "226 70 XX XX 56" in repr(phone)


def test_formatted_writes_the_international_form() -> None:
    assert parse_phone("0022605123456").formatted() == "+226 05 12 34 56"


@pytest.mark.parametrize("digits", ["70123456", "2267012345", "22670123456 ", "33612345678", ""])
def test_phone_refuses_digits_not_in_ligdicash_form(digits: str) -> None:
    with pytest.raises(ValueError, match="226 followed by 8 digits"):
        Phone(digits=digits, operator=None)


@pytest.mark.parametrize(
    ("operator", "flow", "limits", "operator_id", "operator_name"),
    [
        (Operator.ORANGE, "otp", (10, 2_000_000), "11", "ORANGE BURKINA"),
        (Operator.MOOV, "approval", (100, 2_000_000), "12", "MOOV AFRICA BURKINA"),
        (Operator.TELECEL, None, None, None, None),
    ],
)
def test_operator_rules_from_facts(
    operator: Operator,
    flow: str | None,
    limits: tuple[int, int] | None,
    operator_id: str | None,
    operator_name: str | None,
) -> None:
    assert direct_payin_flow(operator) == flow
    assert OPERATOR_LIMITS.get(operator) == limits
    assert OPERATOR_IDS.get(operator) == operator_id
    assert OPERATOR_NAMES.get(operator) == operator_name


def test_every_operator_with_a_direct_flow_has_limits_id_and_name() -> None:
    for operator in Operator:
        supported = direct_payin_flow(operator) is not None
        assert (operator in OPERATOR_LIMITS) is supported
        assert (operator in OPERATOR_IDS) is supported
        assert (operator in OPERATOR_NAMES) is supported
        if supported:
            low, high = OPERATOR_LIMITS[operator]
            assert 0 < low < high


def test_unknown_operator_has_no_direct_flow() -> None:
    assert direct_payin_flow(None) is None


def test_operator_tables_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        OPERATOR_LIMITS[Operator.TELECEL] = (1, 2)  # type: ignore[index]


@pytest.mark.parametrize(
    ("operator_id", "operator_name", "operator"),
    [
        ("11", "ORANGE BURKINA", Operator.ORANGE),
        ("12", "MOOV AFRICA BURKINA", Operator.MOOV),
        ("11", None, Operator.ORANGE),
        (" 12 ", "", Operator.MOOV),
        (None, "Orange Burkina", Operator.ORANGE),
        ("", "moov africa burkina", Operator.MOOV),
        ("", "", None),
        (None, None, None),
        ("99", "TELECEL", None),
    ],
)
def test_operator_from_ligdicash_reads_id_then_name(
    operator_id: str | None, operator_name: str | None, operator: Operator | None
) -> None:
    assert operator_from_ligdicash(operator_id, operator_name) is operator


@pytest.mark.parametrize(
    ("amount", "code"),
    [(10, "*144*4*6*10#"), (2500, "*144*4*6*2500#"), (2_000_000, "*144*4*6*2000000#")],
)
def test_orange_ussd_code_carries_the_amount(amount: int, code: str) -> None:
    assert orange_ussd_code(amount) == code


@pytest.mark.parametrize("amount", [9, 0, -10, 2_000_001, True])
def test_orange_ussd_code_refuses_amounts_orange_refuses(amount: int) -> None:
    with pytest.raises(ValueError, match="from 10 to 2000000"):
        orange_ussd_code(amount)


def test_orange_ussd_code_refuses_a_float() -> None:
    with pytest.raises(ValueError, match="integer"):
        orange_ussd_code(100.0)  # type: ignore[arg-type]


@given(st.text(max_size=60))
def test_any_text_parses_or_raises_invalid_phone(text: str) -> None:
    outcome: Phone | InvalidPhoneError
    try:
        outcome = parse_phone(text)
    except InvalidPhoneError as exc:
        outcome = exc
    if isinstance(outcome, InvalidPhoneError):
        assert outcome.reason in {"not_a_number", "not_burkina", "not_mobile"}
    else:
        assert re.fullmatch(r"226[0-9]{8}", outcome.digits)


@given(
    st.sampled_from(sorted(_ORANGE_PREFIXES | _MOOV_PREFIXES | _TELECEL_PREFIXES)),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.sampled_from(["", "+226", "00226", "226", "+226 "]),
    st.sampled_from(["", " ", ".", "-"]),
)
def test_written_forms_of_one_number_parse_the_same(
    prefix: str, tail: str, country: str, separator: str
) -> None:
    national = prefix + tail
    written = country + separator.join(national[i : i + 2] for i in range(0, 8, 2))
    phone = parse_phone(written)
    assert phone.digits == f"226{national}"
    assert phone.operator is _expected_for_prefix(prefix)
