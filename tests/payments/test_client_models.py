"""Rules for the wire models: computed totals, local refusals, exact keys out, loose reading in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from payments.errors import InvalidRequestError, Reason
from payments.models import (
    ClientPayoutCommand,
    Confirmation,
    Invoice,
    LineItem,
    MerchantPayoutCommand,
    PayinCreated,
    PayinRequest,
    PayoutCreated,
    PayoutRequest,
    WireActions,
    WireStore,
    check_payout_amount,
)
from payments.status import Status


def _item(**changes: Any) -> LineItem:
    values: dict[str, Any] = {"name": "Tomates", "quantity": 3, "unit_price": 1000} | changes
    return LineItem(**values)


def test_line_total_is_computed_from_quantity_and_unit_price() -> None:
    assert _item(quantity=3, unit_price=10_000).total_price == 30_000


def test_invoice_total_is_the_sum_of_its_lines() -> None:
    invoice = Invoice(
        items=(_item(quantity=3, unit_price=10_000), _item(quantity=2, unit_price=5_000)),
        description="Achat",
    )
    assert invoice.total_amount == 40_000


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"quantity": 0}, "quantity", Reason.INVALID_INVOICE),
        ({"quantity": -1}, "quantity", Reason.INVALID_INVOICE),
        ({"quantity": 1.5}, "quantity", Reason.INVALID_INVOICE),
        ({"quantity": True}, "quantity", Reason.INVALID_INVOICE),
        ({"name": ""}, "name", Reason.INVALID_INVOICE),
        ({"name": "   "}, "name", Reason.INVALID_INVOICE),
        ({"name": None}, "name", Reason.INVALID_INVOICE),
        ({"unit_price": -5}, "unit_price", Reason.INVALID_AMOUNT),
        ({"unit_price": 100.0}, "unit_price", Reason.INVALID_AMOUNT),
        ({"unit_price": "100"}, "unit_price", Reason.INVALID_AMOUNT),
        ({"unit_price": False}, "unit_price", Reason.INVALID_AMOUNT),
        ({"description": 3}, "description", Reason.INVALID_INVOICE),
    ],
)
def test_bad_line_is_refused_locally(changes: dict[str, Any], field: str, reason: Reason) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        _item(**changes)
    assert (caught.value.field, caught.value.reason) == (field, reason)


@pytest.mark.parametrize(
    ("total", "accepted"),
    [(8, False), (9, True), (2_000_000, True), (2_000_001, False), (0, False)],
)
def test_invoice_total_must_be_within_9_and_2_million(total: int, accepted: bool) -> None:
    items = (_item(quantity=1, unit_price=total),)
    if accepted:
        assert Invoice(items=items, description="x").total_amount == total
    else:
        with pytest.raises(InvalidRequestError) as caught:
            Invoice(items=items, description="x")
        assert caught.value.reason is Reason.AMOUNT_OUT_OF_RANGE


def test_invoice_without_lines_is_refused() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        Invoice(items=(), description="x")
    assert caught.value.field == "items"


def test_invoice_description_must_be_text() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        Invoice.model_validate({"items": (_item(),), "description": None})
    assert caught.value.field == "description"


@pytest.mark.parametrize(
    ("amount", "accepted"),
    [(499, False), (500, True), (2_000_000, True), (2_000_001, False), (-1, False)],
)
def test_payout_amount_must_be_within_500_and_2_million(amount: int, accepted: bool) -> None:
    if accepted:
        assert check_payout_amount(amount) == amount
    else:
        with pytest.raises(InvalidRequestError):
            check_payout_amount(amount)


@pytest.mark.parametrize("amount", [1000.0, "1000", True, None])
def test_payout_amount_must_be_an_int(amount: object) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        check_payout_amount(amount)
    assert caught.value.reason is Reason.INVALID_AMOUNT


def test_payin_request_sends_exactly_the_documented_keys() -> None:
    invoice = Invoice(
        items=(
            LineItem(name="Produit", description="Desc", quantity=3, unit_price=10_000),
            LineItem(name="Autre", quantity=2, unit_price=5_000),
        ),
        description="Achat",
        customer_firstname="Awa",
        customer_lastname="Ouédraogo",
        customer_email="awa@example.bf",
    )
    request = PayinRequest.build(
        invoice,
        store=WireStore(name="Boutique", website_url="https://shop.example"),
        actions=WireActions(
            cancel_url="https://shop.example/c",
            return_url="https://shop.example/r",
            callback_url="https://shop.example/cb",
        ),
        customer="22670123456",
        otp="123456",
        custom_data={"transaction_id": "tx-1"},
    )
    assert json.loads(request.model_dump_json()) == {
        "commande": {
            "invoice": {
                "items": [
                    {
                        "name": "Produit",
                        "description": "Desc",
                        "quantity": 3,
                        "unit_price": 10_000,
                        "total_price": 30_000,
                    },
                    {
                        "name": "Autre",
                        "description": "",
                        "quantity": 2,
                        "unit_price": 5_000,
                        "total_price": 10_000,
                    },
                ],
                "total_amount": 40_000,
                "devise": "XOF",
                "description": "Achat",
                "customer": "22670123456",
                "customer_firstname": "Awa",
                "customer_lastname": "Ouédraogo",
                "customer_email": "awa@example.bf",
                "external_id": "",
                "otp": "123456",
            },
            "store": {"name": "Boutique", "website_url": "https://shop.example"},
            "actions": {
                "cancel_url": "https://shop.example/c",
                "return_url": "https://shop.example/r",
                "callback_url": "https://shop.example/cb",
            },
            "custom_data": {"transaction_id": "tx-1"},
        }
    }


def test_payout_requests_send_exactly_the_documented_keys() -> None:
    common: dict[str, Any] = {
        "amount": 5000,
        "description": "Remboursement",
        "customer": "22670123456",
        "callback_url": "https://shop.example/cb",
        "custom_data": {"transaction_id": "tx-2"},
    }
    client = PayoutRequest.model_validate(
        {"commande": ClientPayoutCommand.model_validate(common | {"top_up_wallet": 1})}
    )
    merchant = PayoutRequest.model_validate(
        {"commande": MerchantPayoutCommand.model_validate(common)}
    )
    assert json.loads(client.model_dump_json()) == {
        "commande": common | {"devise": "XOF", "top_up_wallet": 1}
    }
    assert json.loads(merchant.model_dump_json()) == {"commande": common | {"devise": "XOF"}}


def _sandbox_confirm(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "date": "2023-10-29 09:46:27+00",
        "response_code": "00",
        "token": "eyJ.x.y",
        "description": "",
        "amount": "100",
        "response_text": None,
        "status": "completed",
        "custom_data": [
            {"id_invoice": 1, "keyof_customdata": "order_id", "valueof_customdata": "O-1"},
            {"id_invoice": 1, "keyof_customdata": "transaction_id", "valueof_customdata": "tx-9"},
            {"id_invoice": 1, "keyof_customdata": "hash", "valueof_customdata": "ab" * 32},
        ],
        "operator_name": "ORANGE BURKINA",
        "operator_id": "11",
        "customer": "22670123456",
        "transaction_id": "tx-9",
        "external_id": None,
        "request_id": "P2777636082026",
        "oreference": "X",
        "customer_details": {"name": "?"},
    }
    body.update(changes)
    return body


def test_confirmation_reads_the_documented_answer_and_ignores_extra_keys() -> None:
    confirmation = Confirmation.from_body(_sandbox_confirm())
    assert confirmation.status is Status.COMPLETED
    assert confirmation.amount == 100
    assert confirmation.operator_name == "ORANGE BURKINA"
    assert confirmation.operator_id == "11"
    assert confirmation.request_id == "P2777636082026"
    assert confirmation.transaction_id == "tx-9"
    assert confirmation.custom_data["order_id"] == "O-1"
    assert confirmation.date == datetime(2023, 10, 29, 9, 46, 27, tzinfo=UTC)
    assert confirmation.customer == "22670123456"


@pytest.mark.parametrize(
    ("changes", "amount"),
    [
        ({"amount": 100}, 100),
        ({"amount": "100"}, 100),
        ({"amount": None, "montant": "250"}, 250),
        ({"montant": 250, "amount": "x"}, 250),
        ({"amount": "100", "montant": 100}, 100),
        ({"amount": "100", "montant": "999"}, None),
        ({"amount": None}, None),
    ],
)
def test_confirmation_amount_is_int_or_string_under_amount_or_montant(
    changes: dict[str, Any], amount: int | None
) -> None:
    body = _sandbox_confirm()
    body.pop("amount")
    assert Confirmation.from_body(body | changes).amount == amount


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("completed", Status.COMPLETED),
        ("pending", Status.PENDING),
        ("nocompleted", Status.FAILED),
        ("notcompleted", Status.FAILED),
    ],
)
def test_confirmation_accepts_both_failure_spellings(word: str, status: Status) -> None:
    assert Confirmation.from_body(_sandbox_confirm(status=word)).status is status


def test_confirmation_accepts_custom_data_as_a_dict() -> None:
    body = _sandbox_confirm(custom_data={"transaction_id": "tx-7"}, transaction_id=None)
    confirmation = Confirmation.from_body(body)
    assert confirmation.transaction_id == "tx-7"
    assert confirmation.custom_data == {"transaction_id": "tx-7"}


def test_confirmation_prefers_our_transaction_id_in_custom_data() -> None:
    body = _sandbox_confirm(transaction_id="theirs")
    assert Confirmation.from_body(body).transaction_id == "tx-9"


@pytest.mark.parametrize("status", [None, "", 3])
def test_confirmation_without_a_status_is_unreadable(status: object) -> None:
    with pytest.raises(ValueError, match="status"):
        Confirmation.from_body(_sandbox_confirm(status=status))


def test_confirmation_tolerates_missing_optional_fields() -> None:
    confirmation = Confirmation.from_body({"status": "pending"})
    assert confirmation.status is Status.PENDING
    assert confirmation.amount is None
    assert confirmation.request_id is None
    assert confirmation.transaction_id is None
    assert confirmation.date is None
    assert confirmation.custom_data == {}


def test_hosted_payin_answer_must_carry_the_payment_url() -> None:
    created = PayinCreated.from_body(
        {"token": "tok", "response_text": "https://pay.example/invoice/tok"}, hosted=True
    )
    assert created.payment_url == "https://pay.example/invoice/tok"
    with pytest.raises(ValueError, match="payment URL"):
        PayinCreated.from_body({"token": "tok", "response_text": ""}, hosted=True)


def test_direct_payin_answer_may_be_free_text_or_a_url() -> None:
    text = PayinCreated.from_body({"token": "tok", "response_text": "Validez"}, hosted=False)
    url = PayinCreated.from_body({"token": "tok", "response_text": "https://o/x"}, hosted=False)
    empty = PayinCreated.from_body({"token": "tok", "response_text": None}, hosted=False)
    assert (text.payment_url, text.response_text) == (None, "Validez")
    assert url.payment_url == "https://o/x"
    assert empty.response_text == ""


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": 5}])
def test_answers_without_a_token_are_unreadable(body: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="token"):
        PayoutCreated.from_body(body)
    with pytest.raises(ValueError, match="token"):
        PayinCreated.from_body(body, hosted=False)
