"""The sandbox's vocabulary: endpoints, operators, statuses and the transaction record."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from payments import phone


class Endpoint(StrEnum):
    """One name per sandbox endpoint, used by request counters and fault switches."""

    HOSTED_PAYIN = "hosted_payin"
    DIRECT_PAYIN = "direct_payin"
    PAYIN_CONFIRM = "payin_confirm"
    CLIENT_PAYOUT = "client_payout"
    MERCHANT_PAYOUT = "merchant_payout"
    PAYOUT_CONFIRM = "payout_confirm"
    CHECKOUT_PAGE = "checkout_page"


class Kind(StrEnum):
    """What a transaction is: two ways in, two ways out."""

    HOSTED_PAYIN = "hosted_payin"
    DIRECT_PAYIN = "direct_payin"
    CLIENT_PAYOUT = "client_payout"
    MERCHANT_PAYOUT = "merchant_payout"

    @property
    def is_payout(self) -> bool:
        """True for money going out of the merchant's account."""
        return self in (Kind.CLIENT_PAYOUT, Kind.MERCHANT_PAYOUT)


class SandboxStatus(StrEnum):
    """A transaction's status as Ligdicash spells it on the wire (current spelling)."""

    PENDING = "pending"
    COMPLETED = "completed"
    NOTCOMPLETED = "notcompleted"

    @property
    def is_final(self) -> bool:
        """True once the status can never change again."""
        return self is not SandboxStatus.PENDING


_FINAL_WORDS = {
    "completed": SandboxStatus.COMPLETED,
    "notcompleted": SandboxStatus.NOTCOMPLETED,
    "nocompleted": SandboxStatus.NOTCOMPLETED,
    "failed": SandboxStatus.NOTCOMPLETED,
}


def final_status(word: str) -> SandboxStatus:
    """Read a final status (`completed`, `notcompleted`/`nocompleted`/`failed`), else ValueError."""
    status = _FINAL_WORDS.get(str(word).strip().lower())
    if status is None:
        raise ValueError(f"not a final status: {word!r} (use completed or notcompleted)")
    return status


class Operator(StrEnum):
    """The two Burkina Faso mobile-money operators the sandbox simulates."""

    ORANGE = "orange"
    MOOV = "moov"

    @property
    def wire_name(self) -> str:
        """Ligdicash's `operator_name`."""
        return _OPERATOR_NAMES[self]

    @property
    def wire_id(self) -> str:
        """Ligdicash's `operator_id`."""
        return _OPERATOR_IDS[self]

    @property
    def label(self) -> str:
        """The name a customer knows."""
        return _OPERATOR_LABELS[self]

    @property
    def minimum(self) -> int:
        """Smallest payin, in XOF, the operator accepts."""
        return _OPERATOR_MINIMUMS[self]


_OPERATOR_NAMES = {Operator.ORANGE: "ORANGE BURKINA", Operator.MOOV: "MOOV AFRICA BURKINA"}
_OPERATOR_IDS = {Operator.ORANGE: "11", Operator.MOOV: "12"}
_OPERATOR_LABELS = {Operator.ORANGE: "Orange Money", Operator.MOOV: "Moov Money"}
_OPERATOR_MINIMUMS = {Operator.ORANGE: 10, Operator.MOOV: 100}

_BURKINA_NUMBER = re.compile(r"226[0-9]{8}")
_LIBRARY_OPERATORS = {phone.Operator.ORANGE: Operator.ORANGE, phone.Operator.MOOV: Operator.MOOV}


def is_burkina_number(customer: str) -> bool:
    """True for `226` followed by eight digits, the form Ligdicash expects."""
    return _BURKINA_NUMBER.fullmatch(customer) is not None


def operator_for(customer: str) -> Operator | None:
    """Tell the operator of a `226XXXXXXXX` number; None for Telecel and non-mobile numbers.

    The carrier data of `phonenumbers` decides, as it does for the bot, so the two never disagree.
    """
    if not is_burkina_number(customer):
        return None
    try:
        number = phone.parse_phone(customer)
    except phone.InvalidPhoneError:
        return None
    return _LIBRARY_OPERATORS.get(number.operator) if number.operator else None


def mask_phone(customer: str) -> str:
    """Hide the middle of a phone number for logs: 22670123456 -> 226XXXXXX56."""
    if len(customer) <= 5:
        return "X" * len(customer)
    return customer[:3] + "X" * (len(customer) - 5) + customer[-2:]


@dataclass(frozen=True, slots=True)
class Item:
    """One invoice line, as sent in `commande.invoice.items`."""

    name: str
    description: str
    quantity: int
    unit_price: int
    total_price: int


@dataclass(frozen=True, slots=True)
class Transaction:
    """A sandbox transaction; replaced, never mutated, on each change."""

    token: str
    kind: Kind
    status: SandboxStatus
    amount: int
    description: str
    customer: str
    operator: Operator | None
    custom_data: Mapping[str, str]
    callback_url: str
    created_at: datetime
    updated_at: datetime
    id_invoice: int
    request_id: str
    ordinal: int
    items: tuple[Item, ...] = ()
    store_name: str = ""
    store_website_url: str = ""
    return_url: str = ""
    cancel_url: str = ""
    payment_url: str = ""
    page_id: str = ""
    customer_firstname: str = ""
    customer_lastname: str = ""
    customer_email: str = ""
    otp_flow: bool = False
    top_up_wallet: int | None = None
    callback_token: str = ""
    ligdicash_entries: tuple[tuple[str, str], ...] = ()
    oreference: str = ""

    @property
    def transaction_id(self) -> str:
        """Our (the merchant's) id, sent in custom_data; "" when absent."""
        return self.custom_data.get("transaction_id", "")
