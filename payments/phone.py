"""Burkina Faso mobile numbers: parsing, the operator behind a number, per-operator payin rules."""

# Numbers are validated by `phonenumbers` and the operator comes from its carrier data, so new
# ranges arrive with a library update rather than a code change. That data is prefix-based: a
# number ported to another operator would be misread (Ligdicash would then refuse the payin).

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal

import phonenumbers
from phonenumbers import carrier

COUNTRY_CODE: Final = 226
REGION: Final = "BF"
NATIONAL_LENGTH: Final = 8
# Longer than any sensible way of writing a number; bounds the work done on hostile input.
MAX_INPUT_LENGTH: Final = 40

# ASCII digits with spaces, dots, dashes, slashes and parentheses, and an optional leading `+`.
# Letters are refused up front: phonenumbers would read them as a vanity number (1-800-FLOWERS).
_ALLOWED_INPUT: Final = re.compile(r"\s*\(?\s*\+?[0-9\s.\-/()]*")

InvalidReason = Literal["not_a_number", "not_burkina", "not_mobile"]
PayinFlow = Literal["otp", "approval"]


class Operator(StrEnum):
    """A Burkina Faso mobile operator."""

    ORANGE = "orange"
    MOOV = "moov"
    TELECEL = "telecel"


_INVALID_MESSAGES: Final[Mapping[InvalidReason, str]] = MappingProxyType(
    {
        "not_a_number": "not a valid phone number",
        "not_burkina": "not a Burkina Faso number",
        "not_mobile": "not a mobile number",
    }
)
_DIGITS: Final = re.compile(rf"{COUNTRY_CODE}[0-9]{{{NATIONAL_LENGTH}}}")


class InvalidPhoneError(ValueError):
    """A text that is not a Burkina Faso mobile number; `reason` says why (never the number)."""

    def __init__(self, reason: InvalidReason) -> None:
        super().__init__(_INVALID_MESSAGES[reason])
        self.reason: InvalidReason = reason


@dataclass(frozen=True, repr=False)
class Phone:
    """A valid Burkina Faso mobile number as Ligdicash wants it: `226` + 8 digits."""

    digits: str
    operator: Operator | None

    def __post_init__(self) -> None:
        if not _DIGITS.fullmatch(self.digits):
            raise ValueError("Phone.digits must be 226 followed by 8 digits")

    def masked(self) -> str:
        """Return the number fit for logs and admin screens, e.g. `226 70 XX XX 56`."""
        national = self.digits[3:]
        return f"{self.digits[:3]} {national[:2]} XX XX {national[-2:]}"

    def formatted(self) -> str:
        """Return the full number written for people, e.g. `+226 70 12 34 56`."""
        national = self.digits[3:]
        pairs = " ".join(national[i : i + 2] for i in range(0, NATIONAL_LENGTH, 2))
        return f"+{self.digits[:3]} {pairs}"

    def __repr__(self) -> str:
        # Masked so that logging a Phone (or an object holding one) never leaks the number.
        operator = self.operator.value if self.operator else None
        return f"Phone({self.masked()!r}, operator={operator!r})"


def parse_phone(text: str) -> Phone:
    """Parse a Burkina mobile number as people write it; else raise InvalidPhoneError."""
    if len(text) > MAX_INPUT_LENGTH or not _ALLOWED_INPUT.fullmatch(text):
        raise InvalidPhoneError("not_a_number")
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneError("not_a_number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneError("not_a_number")
    if number.country_code != COUNTRY_CODE:
        raise InvalidPhoneError("not_burkina")
    number_type = phonenumbers.number_type(number)
    if number_type not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidPhoneError("not_mobile")
    national: str = phonenumbers.national_significant_number(number)
    if len(national) != NATIONAL_LENGTH or not national.isdigit():
        raise InvalidPhoneError("not_a_number")
    carrier_name: str = carrier.name_for_number(number, "en")
    return Phone(digits=f"{COUNTRY_CODE}{national}", operator=operator_for_carrier(carrier_name))


def operator_for_carrier(carrier_name: str) -> Operator | None:
    """Map a carrier name from phonenumbers' data (`Orange`, `Moov Africa`, ...) to an Operator."""
    name = carrier_name.casefold()
    if "orange" in name:
        return Operator.ORANGE
    # Moov Africa Burkina was Telmob, the mobile arm of Onatel; older data may use either name.
    if any(word in name for word in ("moov", "telmob", "onatel")):
        return Operator.MOOV
    if "telecel" in name:
        return Operator.TELECEL
    return None


# Direct payin limits in XOF, inclusive (FACTS.md). Telecel is absent: no direct payin.
OPERATOR_LIMITS: Final[Mapping[Operator, tuple[int, int]]] = MappingProxyType(
    {
        Operator.ORANGE: (10, 2_000_000),
        Operator.MOOV: (100, 2_000_000),
    }
)

# Ligdicash's operator_id and operator_name, as they come back in confirm and callbacks.
OPERATOR_IDS: Final[Mapping[Operator, str]] = MappingProxyType(
    {Operator.ORANGE: "11", Operator.MOOV: "12"}
)
OPERATOR_NAMES: Final[Mapping[Operator, str]] = MappingProxyType(
    {Operator.ORANGE: "ORANGE BURKINA", Operator.MOOV: "MOOV AFRICA BURKINA"}
)

_DIRECT_PAYIN_FLOWS: Final[Mapping[Operator, PayinFlow]] = MappingProxyType(
    {Operator.ORANGE: "otp", Operator.MOOV: "approval"}
)


def direct_payin_flow(operator: Operator | None) -> PayinFlow | None:
    """Return how a direct payin works for the operator, or None when it has none (use hosted)."""
    if operator is None:
        return None
    return _DIRECT_PAYIN_FLOWS.get(operator)


def operator_from_ligdicash(operator_id: str | None, operator_name: str | None) -> Operator | None:
    """Tell the Operator from a confirm's or callback's operator_id, else its operator_name."""
    for operator, known_id in OPERATOR_IDS.items():
        if operator_id is not None and operator_id.strip() == known_id:
            return operator
    for operator, known_name in OPERATOR_NAMES.items():
        if operator_name is not None and operator_name.strip().upper() == known_name:
            return operator
    return None


def orange_ussd_code(amount: int) -> str:
    """Return the code an Orange customer dials to get a payin OTP: `*144*4*6*AMOUNT#`."""
    low, high = OPERATOR_LIMITS[Operator.ORANGE]
    if type(amount) is not int or not low <= amount <= high:
        raise ValueError(f"amount must be an integer from {low} to {high} XOF")
    return f"*144*4*6*{amount}#"
