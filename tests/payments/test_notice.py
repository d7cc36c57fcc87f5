"""Rules for reading Ligdicash callbacks (JSON and form-encoded) into notices."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from payments.errors import MalformedCallbackError
from payments.notice import DEFAULT_MAX_BYTES, Notice, parse_notice
from payments.status import Status

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUz.eyJqdGkiOiIxMjMifQ.bdqRzL_a0J1SYzY"
HASH_40 = "8bd5dc60ef2d75641fa311fbb44c5067e0040a17"
HASH_64 = "3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea"

# API-fr.md's callback example, made valid JSON (its comments and trailing commas removed).
API_FR_CALLBACK: dict[str, Any] = {
    "date": "2023-10-29 09:46:27+00",
    "method": "post",
    "response_code": "00",
    "response_text": None,
    "token": TOKEN,
    "montant": "100",
    "status": "completed",
    "custom_data": [
        {
            "id_invoice": 29505444,
            "keyof_customdata": "order_id",
            "valueof_customdata": "MonSiteOrder234",
        },
        {
            "id_invoice": 29505444,
            "keyof_customdata": "transaction_id",
            "valueof_customdata": "TRNS.36887",
        },
    ],
    "operator_name": "ORANGE BURKINA",
    "operator_id": "11",
    "transaction_id": "TRNS.36887",
    "external_id": None,
    "url": "https://backend.monsite.com/payment-callback",
    "hash": HASH_40,
}

API_FR_NOTICE = Notice(
    transaction_id="TRNS.36887",
    status=Status.COMPLETED,
    amount=100,
    token=TOKEN,
    operator_name="ORANGE BURKINA",
    operator_id="11",
    request_id=None,
    hash=HASH_40,
    custom_data={"order_id": "MonSiteOrder234", "transaction_id": "TRNS.36887"},
    content_kind="json",
)

# The payin callback the sandbox sends (SANDBOX-CONTRACT.md): empty token, Ligdicash's own
# `hash` and `logfile` entries in custom_data, a 40-hex hash at the top level.
SANDBOX_PAYIN_FAILED: dict[str, Any] = {
    "date": "2026-05-09 10:00:00+00",
    "method": "post",
    "response_code": "00",
    "response_text": None,
    "token": "",
    "montant": "2500",
    "status": "notcompleted",
    "custom_data": [
        {"id_invoice": 7, "keyof_customdata": "order_id", "valueof_customdata": "LB-42"},
        {"id_invoice": 7, "keyof_customdata": "transaction_id", "valueof_customdata": "tx-9f2c"},
        {"id_invoice": 7, "keyof_customdata": "hash", "valueof_customdata": HASH_64},
        {"id_invoice": 7, "keyof_customdata": "logfile", "valueof_customdata": "2026/05/09.log"},
    ],
    "operator_name": "MOOV AFRICA BURKINA",
    "operator_id": "12",
    "transaction_id": "tx-9f2c",
    "external_id": None,
    "url": "http://127.0.0.1:8080/ligdicash/callback",
    "hash": HASH_40,
}

SANDBOX_PAYIN_FAILED_NOTICE = Notice(
    transaction_id="tx-9f2c",
    status=Status.FAILED,
    amount=2500,
    token="",
    operator_name="MOOV AFRICA BURKINA",
    operator_id="12",
    request_id=None,
    hash=HASH_40,
    custom_data={
        "order_id": "LB-42",
        "transaction_id": "tx-9f2c",
        "hash": HASH_64,
        "logfile": "2026/05/09.log",
    },
    content_kind="json",
)

# A payout callback: a token different from the creation one, `amount` (int) beside `montant`.
PAYOUT_FAILED: dict[str, Any] = {
    "date": "2026-05-09 10:00:00+00",
    "response_code": "00",
    "token": "eyJuZXcifQ.eyJqdGkiOiJwYXlvdXQifQ.c2ln",
    "amount": 5000,
    "montant": "5000",
    "status": "nocompleted",
    "custom_data": {"refund_id": "R-1", "transaction_id": "po-77"},
    "operator_name": "ORANGE BURKINA",
    "operator_id": 11,
    "request_id": "P2777636082026",
    "transaction_id": "po-77",
}

PAYOUT_FAILED_NOTICE = Notice(
    transaction_id="po-77",
    status=Status.FAILED,
    amount=5000,
    token="eyJuZXcifQ.eyJqdGkiOiJwYXlvdXQifQ.c2ln",
    operator_name="ORANGE BURKINA",
    operator_id="11",
    request_id="P2777636082026",
    hash=None,
    custom_data={"refund_id": "R-1", "transaction_id": "po-77"},
    content_kind="json",
)


def _json(payload: object) -> bytes:
    return json.dumps(payload).encode()


def _form(pairs: dict[str, str] | list[tuple[str, str]]) -> bytes:
    return urlencode(pairs).encode()


def _as_form_fields(payload: dict[str, Any]) -> dict[str, str]:
    """Render a JSON callback's top level as PHP would post it in a form (no custom_data)."""
    fields: dict[str, str] = {}
    for key, value in payload.items():
        if key != "custom_data":
            fields[key] = "" if value is None else str(value)
    return fields


def _api_fr_form_packed() -> bytes:
    fields = _as_form_fields(API_FR_CALLBACK)
    fields["custom_data"] = json.dumps(API_FR_CALLBACK["custom_data"])
    return _form(fields)


def _api_fr_form_flat() -> bytes:
    fields = _as_form_fields(API_FR_CALLBACK)
    fields["custom_data[order_id]"] = "MonSiteOrder234"
    fields["custom_data[transaction_id]"] = "TRNS.36887"
    return _form(fields)


def _api_fr_form_flat_list() -> bytes:
    pairs = list(_as_form_fields(API_FR_CALLBACK).items())
    for index, entry in enumerate(API_FR_CALLBACK["custom_data"]):
        for key, value in entry.items():
            pairs.append((f"custom_data[{index}][{key}]", str(value)))
    return _form(pairs)


def _with(notice: Notice, **changes: Any) -> Notice:
    fields = {name: getattr(notice, name) for name in Notice.__dataclass_fields__}
    fields.update(changes)
    return Notice(**fields)


def _changed(payload: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = dict(payload)
    for key, value in changes.items():
        if value is _DROP:
            changed.pop(key, None)
        else:
            changed[key] = value
    return changed


_DROP = object()


def _changed_json_raw(payload: dict[str, Any], key: str, raw_literal: str) -> bytes:
    """Encode a payload with one value written as a raw JSON literal (1e300, NaN)."""
    marker = "__raw_literal__"
    text = json.dumps(_changed(payload, **{key: marker}))
    return text.replace(f'"{marker}"', raw_literal).encode()


API_FR_FORM_NOTICE = _with(API_FR_NOTICE, content_kind="form")


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        pytest.param(JSON, _json(API_FR_CALLBACK), API_FR_NOTICE, id="api-fr-json"),
        pytest.param(
            "application/json; charset=UTF-8",
            _json(API_FR_CALLBACK),
            API_FR_NOTICE,
            id="json-with-charset",
        ),
        pytest.param(
            "Application/JSON", _json(API_FR_CALLBACK), API_FR_NOTICE, id="json-type-any-case"
        ),
        pytest.param(
            JSON, b"\xef\xbb\xbf" + _json(API_FR_CALLBACK), API_FR_NOTICE, id="json-with-bom"
        ),
        pytest.param(
            JSON,
            json.dumps(API_FR_CALLBACK, indent=2).encode(),
            API_FR_NOTICE,
            id="json-pretty-printed",
        ),
        pytest.param(None, _json(API_FR_CALLBACK), API_FR_NOTICE, id="json-without-content-type"),
        pytest.param("", _json(API_FR_CALLBACK), API_FR_NOTICE, id="json-empty-content-type"),
        pytest.param("text/plain", _json(API_FR_CALLBACK), API_FR_NOTICE, id="json-as-text"),
        pytest.param(FORM, _api_fr_form_packed(), API_FR_FORM_NOTICE, id="form-json-string"),
        pytest.param(
            f"{FORM}; charset=utf-8",
            _api_fr_form_packed(),
            API_FR_FORM_NOTICE,
            id="form-with-charset",
        ),
        pytest.param(FORM, _api_fr_form_flat(), API_FR_FORM_NOTICE, id="form-flat-keys"),
        pytest.param(FORM, _api_fr_form_flat_list(), API_FR_FORM_NOTICE, id="form-flat-list"),
        pytest.param(None, _api_fr_form_flat(), API_FR_FORM_NOTICE, id="form-no-content-type"),
        pytest.param(
            "multipart/odd", _api_fr_form_flat_list(), API_FR_FORM_NOTICE, id="form-odd-type"
        ),
        pytest.param(
            JSON,
            _json(SANDBOX_PAYIN_FAILED),
            SANDBOX_PAYIN_FAILED_NOTICE,
            id="sandbox-payin-notcompleted-empty-token",
        ),
        pytest.param(JSON, _json(PAYOUT_FAILED), PAYOUT_FAILED_NOTICE, id="payout-nocompleted"),
        pytest.param(
            JSON,
            _json(_changed(SANDBOX_PAYIN_FAILED, hash=_DROP)),
            _with(SANDBOX_PAYIN_FAILED_NOTICE, hash=HASH_64),
            id="hash-only-inside-custom-data",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, status="pending", montant=_DROP)),
            _with(API_FR_NOTICE, status=Status.PENDING, amount=None),
            id="pending-without-amount",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, montant=100)),
            API_FR_NOTICE,
            id="montant-as-int",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, montant=_DROP, amount="100")),
            API_FR_NOTICE,
            id="amount-as-string",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, montant="100.00", amount=100)),
            API_FR_NOTICE,
            id="amount-and-montant-agree",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, montant="", amount=None)),
            _with(API_FR_NOTICE, amount=None),
            id="blank-amounts",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data={"order_id": "MonSiteOrder234"})),
            _with(API_FR_NOTICE, custom_data={"order_id": "MonSiteOrder234"}),
            id="transaction-id-only-at-top-level",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, transaction_id="LIGDI-999")),
            API_FR_NOTICE,
            id="custom-data-wins-over-top-level",
        ),
        pytest.param(
            JSON,
            _json(
                _changed(API_FR_CALLBACK, custom_data=json.dumps(API_FR_CALLBACK["custom_data"]))
            ),
            API_FR_NOTICE,
            id="custom-data-as-json-string-in-json",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, operator_name="", operator_id="", request_id="")),
            _with(API_FR_NOTICE, operator_name=None, operator_id=None),
            id="operator-unknown-yet",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, token=None)),
            _with(API_FR_NOTICE, token=""),
            id="null-token",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data=None, transaction_id=12345)),
            _with(API_FR_NOTICE, transaction_id="12345", custom_data={}),
            id="integer-transaction-id-without-custom-data",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data="")),
            _with(API_FR_NOTICE, custom_data={}),
            id="empty-custom-data-string",
        ),
        pytest.param(
            JSON,
            json.dumps(_changed(API_FR_CALLBACK, description="Achat à Ouagadougou"))
            .replace("\\u00e0", "à")
            .encode(),
            API_FR_NOTICE,
            id="raw-utf8-text",
        ),
    ],
)
def test_realistic_callbacks_parse_to_the_expected_notice(
    content_type: str | None, body: bytes, expected: Notice
) -> None:
    assert parse_notice(content_type, body) == expected


@pytest.mark.parametrize(
    ("content_type", "body", "reason"),
    [
        pytest.param(JSON, b"", "not JSON", id="empty-json"),
        pytest.param(FORM, b"", "no transaction_id", id="empty-form"),
        pytest.param(None, b"", "no transaction_id", id="empty-untyped"),
        pytest.param(JSON, b"{", "not JSON", id="truncated-json"),
        pytest.param(JSON, b"\xff\xfe{}", "not valid UTF-8", id="invalid-utf8"),
        pytest.param(JSON, b"[]", "not an object", id="json-array"),
        pytest.param(JSON, b'"TRNS.36887"', "not an object", id="json-string"),
        pytest.param(JSON, b"null", "not an object", id="json-null"),
        pytest.param(JSON, _api_fr_form_flat(), "not JSON", id="json-type-form-body"),
        pytest.param(FORM, _json(API_FR_CALLBACK), "no transaction_id", id="form-type-json-body"),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data=[], transaction_id=_DROP)),
            "no transaction_id",
            id="no-transaction-id",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data={"transaction_id": ""}, transaction_id="")),
            "no transaction_id",
            id="empty-transaction-id",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data={"transaction_id": "x" * 129})),
            "too long",
            id="transaction-id-129-chars",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data={"transaction_id": "tx\n1"})),
            "control characters",
            id="transaction-id-newline",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data={"transaction_id": "tx\x001"})),
            "control characters",
            id="transaction-id-nul",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data={"transaction_id": "tx\u200b1"})),
            "control characters",
            id="transaction-id-zero-width-space",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data={"transaction_id": "tx\u20281"})),
            "control characters",
            id="transaction-id-line-separator",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data=None, transaction_id=["TRNS.36887"])),
            "transaction_id has the wrong type",
            id="transaction-id-list",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data=None, transaction_id=True)),
            "transaction_id has the wrong type",
            id="transaction-id-bool",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data=None)).replace(
                b'"TRNS.36887"', b'"TRNS\\ud800"'
            ),
            "transaction_id is not valid text",
            id="transaction-id-lone-surrogate",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data={"transaction_id": "t", "note": "\ud800"})),
            "custom_data is not valid text",
            id="custom-data-lone-surrogate",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, status=_DROP)),
            "status missing",
            id="no-status",
        ),
        pytest.param(
            JSON, _json(_changed(API_FR_CALLBACK, status="")), "status missing", id="empty-status"
        ),
        pytest.param(
            JSON, _json(_changed(API_FR_CALLBACK, status=1)), "status missing", id="numeric-status"
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, status=["completed"])),
            "status missing",
            id="list-status",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, montant=[100])),
            "montant has the wrong type",
            id="amount-list",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, amount=True)),
            "amount has the wrong type",
            id="amount-bool",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, montant="abc")),
            "montant is not a whole number",
            id="amount-text",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, montant="-100")),
            "montant is not a whole number",
            id="amount-negative",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, montant=10.5)),
            "montant is not a whole number",
            id="amount-fraction",
        ),
        pytest.param(
            JSON,
            _changed_json_raw(API_FR_CALLBACK, "montant", "1e300"),
            "montant is not a whole number",
            id="amount-huge-float",
        ),
        pytest.param(
            JSON,
            _changed_json_raw(API_FR_CALLBACK, "montant", "NaN"),
            "montant is not a whole number",
            id="amount-nan",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, montant=10**12)),
            "montant is not a whole number",
            id="amount-over-twelve-digits",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, montant="²")),
            "montant is not a whole number",
            id="amount-superscript",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, montant="١٠٠")),
            "montant is not a whole number",
            id="amount-arabic-indic-digits",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, montant="100", amount=1000)),
            "disagree",
            id="amount-and-montant-disagree",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data=5)),
            "custom_data has the wrong type",
            id="custom-data-number",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data="order=1")),
            "not JSON",
            id="custom-data-string-not-json",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data="42")),
            "custom_data is not an object or a list",
            id="custom-data-string-of-number",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, custom_data="[" * 5000 + "]" * 5000)),
            "nested too deeply",
            id="custom-data-string-deeply-nested",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, token=5)),
            "token has the wrong type",
            id="token-number",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, operator_name={"name": "ORANGE"})),
            "operator_name has the wrong type",
            id="operator-name-object",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, operator_id=11.0)),
            "operator_id has the wrong type",
            id="operator-id-float",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, request_id=False)),
            "request_id has the wrong type",
            id="request-id-bool",
        ),
        pytest.param(
            JSON,
            _json(_changed(API_FR_CALLBACK, hash=123)),
            "hash has the wrong type",
            id="hash-number",
        ),
        pytest.param(
            FORM, b"status=completed&custom_data[transaction_id]=%FF", "cannot be decoded"
        ),
        pytest.param(
            FORM,
            _form(
                {
                    "status": "completed",
                    "custom_data": '{"transaction_id": "a"}',
                    "custom_data[transaction_id]": "b",
                }
            ),
            "both as a string and as fields",
            id="form-custom-data-twice",
        ),
        pytest.param(
            FORM,
            _form({"custom_data[transaction_id]": "TRNS.36887"}),
            "status missing",
            id="form-without-status",
        ),
        pytest.param(
            FORM,
            b"status=completed&transaction_id=t" + b"&x=1" * 1000,
            "cannot be decoded",
            id="form-too-many-fields",
        ),
    ],
)
def test_garbage_raises_malformed_callback(
    content_type: str | None, body: bytes, reason: str
) -> None:
    with pytest.raises(MalformedCallbackError, match=reason):
        parse_notice(content_type, body)


def _padded(size: int) -> bytes:
    """A valid JSON callback of exactly `size` bytes."""
    base = _json(_changed(API_FR_CALLBACK, padding=""))
    return base.replace(b'"padding": ""', b'"padding": "' + b"x" * (size - len(base)) + b'"')


def test_ten_megabyte_body_is_refused_without_parsing() -> None:
    body = _padded(10 * 1024 * 1024)
    assert len(body) == 10 * 1024 * 1024
    with pytest.raises(MalformedCallbackError, match="larger than 65536 bytes"):
        parse_notice(JSON, body)


def test_body_at_the_cap_is_parsed_and_one_byte_more_is_refused() -> None:
    assert parse_notice(JSON, _padded(DEFAULT_MAX_BYTES)) == API_FR_NOTICE
    with pytest.raises(MalformedCallbackError, match="larger than"):
        parse_notice(JSON, _padded(DEFAULT_MAX_BYTES + 1))


def test_max_bytes_is_a_setting() -> None:
    body = _json(API_FR_CALLBACK)
    assert parse_notice(JSON, body, max_bytes=len(body)) == API_FR_NOTICE
    with pytest.raises(MalformedCallbackError, match=f"larger than {len(body) - 1} bytes"):
        parse_notice(JSON, body, max_bytes=len(body) - 1)


@pytest.mark.parametrize("content_type", [JSON, FORM, None, "text/plain"])
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 32_000 + b"]" * 32_000, id="arrays"),
        pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, id="objects"),
        pytest.param(b"[" * 65_000, id="unclosed-arrays"),
        pytest.param(
            _form(
                {"status": "completed", "transaction_id": "t", "custom_data": "[" * 20_000},
            ),
            id="form-custom-data",
        ),
    ],
)
def test_deep_nesting_raises_malformed_not_recursion_error(
    content_type: str | None, body: bytes
) -> None:
    assert len(body) <= DEFAULT_MAX_BYTES
    with pytest.raises(MalformedCallbackError):
        parse_notice(content_type, body)


def test_error_text_never_echoes_the_body() -> None:
    body = _json(_changed(API_FR_CALLBACK, montant="SECRET-LOOKING-VALUE"))
    with pytest.raises(MalformedCallbackError) as caught:
        parse_notice(JSON, body)
    assert "SECRET-LOOKING-VALUE" not in str(caught.value)
    assert "SECRET-LOOKING-VALUE" not in caught.value.reason


def test_notice_repr_hides_the_token() -> None:
    notice = parse_notice(JSON, _json(API_FR_CALLBACK))
    assert TOKEN not in repr(notice)
    assert "TRNS.36887" in repr(notice)


def test_notice_is_hashable_so_duplicates_can_be_collapsed() -> None:
    json_notice = parse_notice(JSON, _json(API_FR_CALLBACK))
    again = parse_notice(JSON, _json(API_FR_CALLBACK))
    assert len({json_notice, again}) == 1


def test_json_and_form_twins_differ_only_in_content_kind() -> None:
    from_json = parse_notice(JSON, _json(API_FR_CALLBACK))
    from_form = parse_notice(FORM, _api_fr_form_flat_list())
    assert (from_json.content_kind, from_form.content_kind) == ("json", "form")
    assert _with(from_form, content_kind="json") == from_json


def test_repeated_form_field_keeps_the_last_value() -> None:
    body = b"status=pending&status=completed&custom_data[transaction_id]=t1"
    notice = parse_notice(FORM, body)
    assert (notice.status, notice.transaction_id) == (Status.COMPLETED, "t1")


def test_nested_and_empty_bracket_form_keys_are_ignored() -> None:
    body = _form(
        [
            ("status", "completed"),
            ("custom_data[transaction_id]", "t1"),
            ("custom_data[extra][deep]", "x"),
            ("custom_data[]", "y"),
            ("custom_data[0][id_invoice]", "7"),
        ]
    )
    assert parse_notice(FORM, body).custom_data == {"transaction_id": "t1"}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (JSON, b"[" * 32_000 + b"]" * 32_000),
        (None, b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
        (FORM, _form({"status": "completed", "transaction_id": "t", "custom_data": "[" * 20_000})),
    ],
)
def test_nesting_beyond_the_json_decoder_stack_is_named_as_such(
    content_type: str | None, body: bytes
) -> None:
    with pytest.raises(MalformedCallbackError, match="nested too deeply"):
        parse_notice(content_type, body)
