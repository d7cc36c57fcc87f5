"""Callback bodies as Ligdicash sends them: one JSON POST and one form POST per final status."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from payments.sandbox.model import SandboxStatus, Transaction
from payments.sandbox.wire import custom_data_list, status_word, wire_date


class Encoding(StrEnum):
    """How one callback POST is encoded."""

    JSON = "json"
    FORM = "form"


@dataclass(frozen=True, slots=True)
class Shot:
    """One callback POST ready to send: a JSON document or form pairs."""

    encoding: Encoding
    json_body: dict[str, object] | None = None
    form_body: tuple[tuple[str, str], ...] = ()


def callback_fields(
    tx: Transaction, *, status: SandboxStatus, token: str, hash40: str, nocompleted: bool
) -> dict[str, object]:
    """The callback document for `tx` with `status` (its JSON form)."""
    operator = tx.operator
    moment = tx.updated_at if status.is_final else tx.created_at
    fields: dict[str, object] = {
        "date": wire_date(moment),
        "method": "post",
        "response_code": "00",
        "response_text": None,
        "token": token,
        "montant": str(tx.amount),
    }
    if tx.kind.is_payout:
        fields["amount"] = tx.amount
    fields.update(
        {
            "status": status_word(status, nocompleted=nocompleted),
            "custom_data": custom_data_list(tx, with_ligdicash_entries=status.is_final),
            "operator_name": operator.wire_name if operator else "",
            "operator_id": operator.wire_id if operator else "",
            "transaction_id": tx.transaction_id,
            "external_id": None,
            "url": tx.callback_url,
            "hash": hash40,
        }
    )
    return fields


def json_shot(fields: dict[str, object]) -> Shot:
    """The `application/json` POST."""
    return Shot(Encoding.JSON, json_body=fields)


def form_shot(fields: dict[str, object], *, flatten: bool) -> Shot:
    """The form POST: custom_data flattened to `custom_data[key]=value`, or as a JSON string."""
    pairs: list[tuple[str, str]] = []
    for key, value in fields.items():
        if key == "custom_data" and isinstance(value, list):
            if flatten:
                pairs.extend(
                    (f"custom_data[{entry['keyof_customdata']}]", str(entry["valueof_customdata"]))
                    for entry in value
                )
            else:
                pairs.append((key, json.dumps(value, ensure_ascii=False)))
        else:
            pairs.append((key, "" if value is None else str(value)))
    return Shot(Encoding.FORM, form_body=tuple(pairs))
