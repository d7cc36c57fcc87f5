"""Ligdicash wire models: what we send (exact documented keys) and what we read back (loosely)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from payments.errors import InvalidRequestError, Reason
from payments.status import Status, normalize_custom_data, parse_amount, parse_status

PAYIN_MIN_AMOUNT = 9
PAYIN_MAX_AMOUNT = 2_000_000
PAYOUT_MIN_AMOUNT = 500
PAYOUT_MAX_AMOUNT = 2_000_000
CURRENCY = "XOF"


def _require_int(value: object, field: str, *, minimum: int) -> int:
    reason = Reason.INVALID_INVOICE if field == "quantity" else Reason.INVALID_AMOUNT
    # bool is an int to Python but never an amount or a quantity.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRequestError(reason, field, f"must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise InvalidRequestError(reason, field, f"must be >= {minimum}, got {value}")
    return value


def _require_text(value: object, field: str, *, non_empty: bool) -> str:
    if not isinstance(value, str):
        raise InvalidRequestError(
            Reason.INVALID_INVOICE, field, f"must be text, got {type(value).__name__}"
        )
    if non_empty and not value.strip():
        raise InvalidRequestError(Reason.INVALID_INVOICE, field, "must not be empty")
    return value


def check_amount_range(amount: int, field: str, *, minimum: int, maximum: int) -> int:
    """Refuse an amount Ligdicash would refuse for being out of its documented range."""
    if not minimum <= amount <= maximum:
        raise InvalidRequestError(
            Reason.AMOUNT_OUT_OF_RANGE,
            field,
            f"{amount} XOF is outside {minimum}..{maximum} XOF",
        )
    return amount


class LineItem(BaseModel):
    """One invoice line; its total_price is computed, never taken from the caller."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: str
    description: str = ""
    quantity: int
    unit_price: int

    @model_validator(mode="before")
    @classmethod
    def _refuse_bad_values(cls, data: Any) -> Any:
        # Runs before pydantic's own checks so that every bad value is an InvalidRequestError.
        if isinstance(data, Mapping):
            _require_text(data.get("name"), "name", non_empty=True)
            _require_text(data.get("description", ""), "description", non_empty=False)
            _require_int(data.get("quantity"), "quantity", minimum=1)
            _require_int(data.get("unit_price"), "unit_price", minimum=0)
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_price(self) -> int:
        """quantity x unit_price, in XOF."""
        return self.quantity * self.unit_price


class Invoice(BaseModel):
    """What the customer pays for; total_amount is computed and must be in 9..2,000,000 XOF."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    items: tuple[LineItem, ...]
    description: str
    customer_firstname: str = ""
    customer_lastname: str = ""
    customer_email: str = ""

    @model_validator(mode="before")
    @classmethod
    def _refuse_bad_values(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        items = data.get("items")
        if not isinstance(items, list | tuple) or not items:
            raise InvalidRequestError(Reason.INVALID_INVOICE, "items", "must be a non-empty list")
        for item in items:
            if not isinstance(item, LineItem):
                raise InvalidRequestError(
                    Reason.INVALID_INVOICE, "items", "must hold LineItem objects"
                )
        _require_text(data.get("description"), "description", non_empty=False)
        for field in ("customer_firstname", "customer_lastname", "customer_email"):
            _require_text(data.get(field, ""), field, non_empty=False)
        total = sum(item.total_price for item in items)
        check_amount_range(
            total, "total_amount", minimum=PAYIN_MIN_AMOUNT, maximum=PAYIN_MAX_AMOUNT
        )
        return {**data, "items": tuple(items)}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_amount(self) -> int:
        """Sum of the items' total_price, in XOF."""
        return sum(item.total_price for item in self.items)


def check_payout_amount(amount: object) -> int:
    """Refuse a payout amount that is not an int in 500..2,000,000 XOF."""
    value = _require_int(amount, "amount", minimum=0)
    return check_amount_range(value, "amount", minimum=PAYOUT_MIN_AMOUNT, maximum=PAYOUT_MAX_AMOUNT)


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WireItem(_Wire):
    """`commande.invoice.items[]` as Ligdicash reads it."""

    name: str
    description: str
    quantity: int
    unit_price: int
    total_price: int


class WireInvoice(_Wire):
    """`commande.invoice`: `devise` is the real key (`devises`/`devis` in API-fr.md are typos)."""

    items: list[WireItem]
    total_amount: int
    devise: str = CURRENCY
    description: str
    customer: str
    customer_firstname: str
    customer_lastname: str
    customer_email: str
    external_id: str = ""
    otp: str


class WireStore(_Wire):
    """`commande.store`."""

    name: str
    website_url: str


class WireActions(_Wire):
    """`commande.actions`: the two redirect URLs are empty for a direct payin."""

    cancel_url: str
    return_url: str
    callback_url: str


class PayinCommand(_Wire):
    """`commande` of both payin creations."""

    invoice: WireInvoice
    store: WireStore
    actions: WireActions
    custom_data: dict[str, str]


class PayinRequest(_Wire):
    """Body of `redirect|straight/checkout-invoice/create`."""

    commande: PayinCommand

    @classmethod
    def build(
        cls,
        invoice: Invoice,
        *,
        store: WireStore,
        actions: WireActions,
        customer: str,
        otp: str,
        custom_data: dict[str, str],
    ) -> PayinRequest:
        """Turn an Invoice into the wire body, with computed totals."""
        items = [
            WireItem(
                name=item.name,
                description=item.description,
                quantity=item.quantity,
                unit_price=item.unit_price,
                total_price=item.total_price,
            )
            for item in invoice.items
        ]
        wire_invoice = WireInvoice(
            items=items,
            total_amount=invoice.total_amount,
            description=invoice.description,
            customer=customer,
            customer_firstname=invoice.customer_firstname,
            customer_lastname=invoice.customer_lastname,
            customer_email=invoice.customer_email,
            otp=otp,
        )
        command = PayinCommand(
            invoice=wire_invoice, store=store, actions=actions, custom_data=custom_data
        )
        return cls(commande=command)


class ClientPayoutCommand(_Wire):
    """`commande` of `withdrawal/create` (flat, with top_up_wallet as 0/1)."""

    amount: int
    devise: str = CURRENCY
    description: str
    customer: str
    top_up_wallet: int
    callback_url: str
    custom_data: dict[str, str]


class MerchantPayoutCommand(_Wire):
    """`commande` of `straight/payout` (flat, no top_up_wallet)."""

    amount: int
    devise: str = CURRENCY
    description: str
    customer: str
    callback_url: str
    custom_data: dict[str, str]


class PayoutRequest(_Wire):
    """Body of both payout creations."""

    commande: ClientPayoutCommand | MerchantPayoutCommand


def _required_text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"missing or empty {key!r}")
    return value.strip()


def _optional_text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str | int):
        return str(value).strip()
    return ""


def _is_url(text: str) -> bool:
    return text.startswith(("https://", "http://")) and len(text) > len("https://")


class PayinCreated(BaseModel):
    """A payin Ligdicash accepted: keep the token; payment_url is where the customer pays."""

    model_config = ConfigDict(frozen=True)

    token: str
    response_text: str
    payment_url: str | None

    @classmethod
    def from_body(cls, body: Mapping[str, Any], *, hosted: bool) -> PayinCreated:
        """Read an accepted creation; a hosted one must carry the payment URL."""
        token = _required_text(body, "token")
        text = _optional_text(body.get("response_text"))
        if hosted and not _is_url(text):
            raise ValueError("response_text holds no payment URL")
        return cls(token=token, response_text=text, payment_url=text if _is_url(text) else None)


class PayoutCreated(BaseModel):
    """A payout Ligdicash accepted (not yet executed: only a confirm or callback says so)."""

    model_config = ConfigDict(frozen=True)

    token: str

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> PayoutCreated:
        """Read an accepted payout creation."""
        return cls(token=_required_text(body, "token"))


def _parse_date(raw: object) -> datetime | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    # Ligdicash writes "+00"; a date without an offset is read as UTC (Burkina is UTC+0).
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _confirmed_amount(body: Mapping[str, Any]) -> int | None:
    amount = parse_amount(body.get("amount"))
    montant = parse_amount(body.get("montant"))
    # Two readable amounts that disagree are not an amount: None makes the caller refuse to
    # treat the payment as the expected one.
    if amount is not None and montant is not None and amount != montant:
        return None
    return amount if amount is not None else montant


class Confirmation(BaseModel):
    """A confirm answer: only status COMPLETED with the expected amount means the money moved."""

    model_config = ConfigDict(frozen=True)

    status: Status
    amount: int | None
    operator_name: str
    operator_id: str
    request_id: str | None
    transaction_id: str | None
    custom_data: dict[str, str] = Field(default_factory=dict)
    date: datetime | None
    customer: str

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Confirmation:
        """Read a confirm answer, ignoring unknown keys and accepting Ligdicash's loose types."""
        raw_status = body.get("status")
        if not isinstance(raw_status, str) or not raw_status.strip():
            raise ValueError("missing 'status'")
        custom_data = normalize_custom_data(body.get("custom_data"))
        transaction_id = custom_data.get("transaction_id") or _optional_text(
            body.get("transaction_id")
        )
        request_id = _optional_text(body.get("request_id"))
        return cls(
            status=parse_status(raw_status),
            amount=_confirmed_amount(body),
            operator_name=_optional_text(body.get("operator_name")),
            operator_id=_optional_text(body.get("operator_id")),
            request_id=request_id or None,
            transaction_id=transaction_id or None,
            custom_data=custom_data,
            date=_parse_date(body.get("date")),
            customer=_optional_text(body.get("customer")),
        )
