"""Rules for reading Ligdicash's loose status, amount and custom_data fields."""

from __future__ import annotations

import pytest

from payments.status import Status, normalize_custom_data, parse_amount, parse_status


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("completed", Status.COMPLETED),
        ("COMPLETED", Status.COMPLETED),
        (" completed ", Status.COMPLETED),
        ("pending", Status.PENDING),
        ("nocompleted", Status.FAILED),
        ("notcompleted", Status.FAILED),
        ("cancelled", Status.FAILED),
        ("", Status.FAILED),
        (None, Status.FAILED),
        (1, Status.FAILED),
    ],
)
def test_only_the_word_completed_means_paid(raw: object, expected: Status) -> None:
    assert parse_status(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (100, 100),
        ("100", 100),
        (" 40000 ", 40000),
        ("100.0", 100),
        ("100.00", 100),
        (100.0, 100),
        (0, 0),
        (-5, None),
        ("-5", None),
        ("1e3", None),
        ("10.5", None),
        (10.5, None),
        (True, None),
        (None, None),
        ("", None),
        ("9" * 13, None),
        ([100], None),
        ("²", None),
        ("١٠٠", None),
    ],
)
def test_amounts_are_whole_xof_from_int_or_digit_string(raw: object, expected: int | None) -> None:
    assert parse_amount(raw) == expected


def test_custom_data_list_form_becomes_a_dict() -> None:
    raw = [
        {"id_invoice": 1, "keyof_customdata": "order_id", "valueof_customdata": "LB-1"},
        {"id_invoice": 1, "keyof_customdata": "transaction_id", "valueof_customdata": "tx1"},
        {"id_invoice": 1, "keyof_customdata": "hash", "valueof_customdata": 5},
        "garbage",
        {"keyof_customdata": 3, "valueof_customdata": "ignored"},
    ]
    assert normalize_custom_data(raw) == {"order_id": "LB-1", "transaction_id": "tx1", "hash": "5"}


@pytest.mark.parametrize(
    "raw",
    [
        {"transaction_id": "tx1", "nested": {"a": 1}},
        '{"transaction_id": "tx1", "nested": [1]}',
    ],
)
def test_custom_data_dict_or_json_text_keeps_scalars_only(raw: object) -> None:
    assert normalize_custom_data(raw) == {"transaction_id": "tx1"}


@pytest.mark.parametrize("raw", ["", "not json", "[1, 2]", 42, None, "[" * 100_000])
def test_unreadable_custom_data_is_empty(raw: object) -> None:
    assert normalize_custom_data(raw) == {}
