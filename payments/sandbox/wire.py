"""Ligdicash's wire format as the sandbox reads and writes it: request bodies, refusals, answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from yarl import URL

from payments.sandbox.model import (
    Endpoint,
    Item,
    SandboxStatus,
    Transaction,
    is_burkina_number,
)


class Reason(StrEnum):
    """Why the sandbox refuses a request; each endpoint spells it with its own sub-code."""

    AUTH = "auth"
    BAD_INPUT = "bad_input"
    AMOUNT = "amount"
    OPERATOR = "operator"
    BALANCE = "balance"
    WRONG_OTP = "wrong_otp"
    EXPIRED_OTP = "expired_otp"
    NOT_FOUND = "not_found"


# Sub-codes from Ligdicash's per-endpoint tables (FACTS.md); `Echec (CodeXX)` on the wire.
SUB_CODES: Mapping[Endpoint, Mapping[Reason, str]] = {
    Endpoint.HOSTED_PAYIN: {Reason.AUTH: "00", Reason.AMOUNT: "02", Reason.BAD_INPUT: "08"},
    Endpoint.DIRECT_PAYIN: {
        Reason.AUTH: "00",
        Reason.AMOUNT: "02",
        Reason.OPERATOR: "07",
        Reason.BAD_INPUT: "08",
        Reason.WRONG_OTP: "15",
        Reason.EXPIRED_OTP: "16",
    },
    Endpoint.PAYIN_CONFIRM: {Reason.AUTH: "00", Reason.NOT_FOUND: "02", Reason.BAD_INPUT: "04"},
    Endpoint.CLIENT_PAYOUT: {
        Reason.AUTH: "00",
        Reason.BALANCE: "04",
        Reason.AMOUNT: "05",
        Reason.BAD_INPUT: "09",
    },
    Endpoint.MERCHANT_PAYOUT: {
        Reason.AUTH: "00",
        Reason.AMOUNT: "02",
        Reason.OPERATOR: "05",
        Reason.BALANCE: "08",
        Reason.BAD_INPUT: "10",
    },
    Endpoint.PAYOUT_CONFIRM: {Reason.AUTH: "00", Reason.NOT_FOUND: "02", Reason.BAD_INPUT: "04"},
}

WIKI = {
    Endpoint.HOSTED_PAYIN: "https://client.ligdicash.com/wiki/createInvoice",
    Endpoint.DIRECT_PAYIN: "https://client.ligdicash.com/wiki/createInvoice",
    Endpoint.PAYIN_CONFIRM: "https://client.ligdicash.com/wiki/confirmInvoice",
    Endpoint.CLIENT_PAYOUT: "https://client.ligdicash.com/wiki/withdrawal",
    Endpoint.MERCHANT_PAYOUT: "https://client.ligdicash.com/wiki/payout",
    Endpoint.PAYOUT_CONFIRM: "https://client.ligdicash.com/wiki/confirmWithdrawal",
}

_DESCRIPTIONS = {
    Reason.AUTH: "Authentification échouée : Apikey ou token invalide",
    Reason.BAD_INPUT: "Données envoyées invalides",
    Reason.AMOUNT: "Montant hors des limites autorisées",
    Reason.BALANCE: "Solde du compte marchand insuffisant",
    Reason.WRONG_OTP: "Code OTP incorrect",
    Reason.EXPIRED_OTP: "Code OTP expiré",
    Reason.NOT_FOUND: "Transaction introuvable",
}
_OPERATOR_DESCRIPTIONS = {
    Endpoint.DIRECT_PAYIN: "Opérateur non activé sur ce projet",
    Endpoint.MERCHANT_PAYOUT: "Opérateur du destinataire non identifié",
}


class Refused(Exception):
    """A request the simulated Ligdicash answers with response_code "01"."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def bad_input(detail: str) -> Refused:
    """A refusal for a body that does not follow Ligdicash's format."""
    return Refused(Reason.BAD_INPUT, detail)


@dataclass(frozen=True, slots=True)
class PayinRequest:
    """A valid `commande` for either payin endpoint."""

    items: tuple[Item, ...]
    total_amount: int
    description: str
    customer: str
    customer_firstname: str
    customer_lastname: str
    customer_email: str
    otp: str
    store_name: str
    store_website_url: str
    cancel_url: str
    return_url: str
    callback_url: str
    custom_data: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class PayoutRequest:
    """A valid flat `commande` for either payout endpoint."""

    amount: int
    description: str
    customer: str
    callback_url: str
    custom_data: Mapping[str, str]
    top_up_wallet: int | None


def decode_body(raw: bytes) -> object:
    """The JSON document in a request body, or a bad-input refusal."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise bad_input("the body is not JSON") from None


def parse_payin(body: object, *, direct: bool) -> PayinRequest:
    """Check a payin body (hosted or direct) down to the items' arithmetic."""
    commande = _object(_object(body, "body").get("commande"), "commande")
    invoice = _object(commande.get("invoice"), "commande.invoice")
    store = _optional_object(commande.get("store"), "commande.store")
    actions = _optional_object(commande.get("actions"), "commande.actions")
    items = _items(invoice.get("items"))
    total_amount = _int(invoice, "total_amount", "commande.invoice")
    if total_amount != sum(item.total_price for item in items):
        raise bad_input("total_amount is not the sum of the items' total_price")
    _check_currency(invoice)
    customer = _text(invoice, "customer", "commande.invoice")
    if direct and not is_burkina_number(customer):
        raise bad_input("customer must be 226 followed by 8 digits")
    return PayinRequest(
        items=items,
        total_amount=total_amount,
        description=_text(invoice, "description", "commande.invoice"),
        customer=customer if direct else "",
        customer_firstname=_text(invoice, "customer_firstname", "commande.invoice"),
        customer_lastname=_text(invoice, "customer_lastname", "commande.invoice"),
        customer_email=_text(invoice, "customer_email", "commande.invoice"),
        otp=_text(invoice, "otp", "commande.invoice") if direct else "",
        store_name=_text(store, "name", "commande.store"),
        store_website_url=_text(store, "website_url", "commande.store"),
        cancel_url=_url(actions, "cancel_url", "commande.actions"),
        return_url=_url(actions, "return_url", "commande.actions"),
        callback_url=_url(actions, "callback_url", "commande.actions"),
        custom_data=_custom_data(commande.get("custom_data")),
    )


def parse_payout(body: object, *, client: bool) -> PayoutRequest:
    """Check a payout body; `client` (withdrawal/create) also needs `top_up_wallet` 0 or 1."""
    commande = _object(_object(body, "body").get("commande"), "commande")
    amount = _int(commande, "amount", "commande")
    _check_currency(commande)
    customer = _text(commande, "customer", "commande")
    if not is_burkina_number(customer):
        raise bad_input("customer must be 226 followed by 8 digits")
    top_up_wallet: int | None = None
    if client:
        top_up_wallet = _int(commande, "top_up_wallet", "commande")
        if top_up_wallet not in (0, 1):
            raise bad_input("top_up_wallet must be 0 or 1")
    return PayoutRequest(
        amount=amount,
        description=_text(commande, "description", "commande"),
        customer=customer,
        callback_url=_url(commande, "callback_url", "commande"),
        custom_data=_custom_data(commande.get("custom_data")),
        top_up_wallet=top_up_wallet,
    )


def echo_custom_data(body: object) -> Mapping[str, object]:
    """The custom_data a request carried, echoed in the answer whatever happened."""
    if isinstance(body, Mapping):
        commande = body.get("commande")
        if isinstance(commande, Mapping):
            custom_data = commande.get("custom_data")
            if isinstance(custom_data, Mapping):
                return custom_data
    return {}


def refusal(
    endpoint: Endpoint, refused: Refused, custom_data: Mapping[str, object]
) -> dict[str, object]:
    """The body of a refused request: response_code "01" and `Echec (CodeXX)`."""
    if refused.reason is Reason.OPERATOR:
        description = _OPERATOR_DESCRIPTIONS[endpoint]
    else:
        description = _DESCRIPTIONS[refused.reason]
    return {
        "response_code": "01",
        "token": "",
        "response_text": f"Echec (Code{SUB_CODES[endpoint][refused.reason]})",
        "description": description,
        "custom_data": dict(custom_data),
        "wiki": WIKI[endpoint],
    }


def accepted(
    endpoint: Endpoint, tx: Transaction, response_text: str, custom_data: Mapping[str, object]
) -> dict[str, object]:
    """The body of an accepted creation: response_code "00" and the new token."""
    return {
        "response_code": "00",
        "token": tx.token,
        "response_text": response_text,
        "description": tx.description,
        "custom_data": dict(custom_data),
        "wiki": WIKI[endpoint],
    }


def wire_date(moment: datetime) -> str:
    """Ligdicash's date format: `2023-10-29 09:46:27+00` (UTC)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


def status_word(status: SandboxStatus, *, nocompleted: bool) -> str:
    """The status as sent, with the older `nocompleted` spelling when asked for."""
    if status is SandboxStatus.NOTCOMPLETED and nocompleted:
        return "nocompleted"
    return status.value


def custom_data_list(
    tx: Transaction, *, with_ligdicash_entries: bool = True
) -> list[dict[str, object]]:
    """custom_data as Ligdicash returns it: a list of {id_invoice, keyof_customdata, ...}."""
    pairs: list[tuple[str, str]] = list(tx.custom_data.items())
    if with_ligdicash_entries:
        pairs.extend(tx.ligdicash_entries)
    return [
        {"id_invoice": tx.id_invoice, "keyof_customdata": key, "valueof_customdata": value}
        for key, value in pairs
    ]


def confirmation(endpoint: Endpoint, tx: Transaction, *, nocompleted: bool) -> dict[str, object]:
    """The body of a confirm call: the documented fields plus extra keys a client must ignore."""
    operator = tx.operator
    body: dict[str, object] = {
        "date": wire_date(tx.updated_at),
        "response_code": "00",
        "token": tx.token,
        "description": tx.description,
        # Ligdicash sends the amount as a string here and as a number under `montant`.
        "amount": str(tx.amount),
        "montant": tx.amount,
        "response_text": None,
        "status": status_word(tx.status, nocompleted=nocompleted),
        "custom_data": custom_data_list(tx),
        "operator_name": operator.wire_name if operator else "",
        "operator_id": operator.wire_id if operator else "",
        "customer": tx.customer,
        "transaction_id": tx.transaction_id,
        "external_id": None,
        "request_id": tx.request_id,
        "wiki": WIKI[endpoint],
        "oreference": tx.oreference,
        "customer_details": {
            "firstname": tx.customer_firstname,
            "lastname": tx.customer_lastname,
            "email": tx.customer_email,
        },
    }
    if tx.kind.is_payout:
        body["top_up_wallet"] = tx.top_up_wallet
    return body


def _object(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise bad_input(f"{where} must be an object")
    return value


def _optional_object(value: object, where: str) -> Mapping[str, object]:
    return {} if value is None else _object(value, where)


def _text(obj: Mapping[str, object], key: str, where: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_input(f"{where}.{key} must be a string")
    return value.strip()


def _int(obj: Mapping[str, object], key: str, where: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_input(f"{where}.{key} must be an integer")
    return value


def _url(obj: Mapping[str, object], key: str, where: str) -> str:
    text = _text(obj, key, where)
    if not text:
        return ""
    try:
        url = URL(text)
    except ValueError:
        raise bad_input(f"{where}.{key} is not a URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise bad_input(f"{where}.{key} must be an absolute http(s) URL")
    return text


def _check_currency(obj: Mapping[str, object]) -> None:
    # A missing `devise` means XOF (the official payout client sends none); the API-fr.md typos
    # `devises`/`devis` are not the currency key and are ignored like any unknown key.
    value = obj.get("devise")
    if value is None:
        return
    if not isinstance(value, str) or value.strip().upper() != "XOF":
        raise bad_input("devise must be XOF")


def _items(value: object) -> tuple[Item, ...]:
    if not isinstance(value, list) or not value:
        raise bad_input("commande.invoice.items must be a non-empty list")
    items: list[Item] = []
    for index, raw in enumerate(value):
        where = f"commande.invoice.items[{index}]"
        entry = _object(raw, where)
        name = _text(entry, "name", where)
        if not name:
            raise bad_input(f"{where}.name must not be empty")
        quantity = _int(entry, "quantity", where)
        unit_price = _int(entry, "unit_price", where)
        total_price = _int(entry, "total_price", where)
        if quantity < 1:
            raise bad_input(f"{where}.quantity must be at least 1")
        if unit_price < 0:
            raise bad_input(f"{where}.unit_price must not be negative")
        if total_price != quantity * unit_price:
            raise bad_input(f"{where}.total_price is not quantity x unit_price")
        description = _text(entry, "description", where)
        items.append(Item(name, description, quantity, unit_price, total_price))
    return tuple(items)


def _custom_data(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise bad_input("commande.custom_data must be an object")
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise bad_input("commande.custom_data keys must be non-empty strings")
        if item is None:
            result[key] = ""
        elif isinstance(item, bool):
            result[key] = "1" if item else "0"
        elif isinstance(item, str | int | float):
            result[key] = str(item)
        else:
            raise bad_input(f"commande.custom_data.{key} must be a string or a number")
    return result
