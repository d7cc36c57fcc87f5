"""Properties of callback parsing: any body yields a Notice or MalformedCallbackError, and
well-formed callbacks in every shape Ligdicash uses parse back to exactly what was sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from payments.errors import MalformedCallbackError
from payments.notice import MAX_AMOUNT, MAX_TRANSACTION_ID_LENGTH, Notice, parse_notice
from payments.status import Status

CONTENT_TYPES = st.sampled_from(
    [
        None,
        "",
        "application/json",
        "application/json; charset=utf-8",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=ISO-8859-1",
        "text/plain",
        "multipart/form-data; boundary=x",
        ";;;",
        "application/vnd.ligdicash+json",
    ]
)

LIGDICASH_KEYS = [
    "transaction_id",
    "status",
    "amount",
    "montant",
    "token",
    "operator_name",
    "operator_id",
    "request_id",
    "hash",
    "custom_data",
    "date",
    "external_id",
]

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from([*LIGDICASH_KEYS, "keyof_customdata", "valueof_customdata"])
            | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)

FORM_KEYS = st.sampled_from(
    [
        *LIGDICASH_KEYS,
        "custom_data[transaction_id]",
        "custom_data[hash]",
        "custom_data[]",
        "custom_data[0][keyof_customdata]",
        "custom_data[0][valueof_customdata]",
        "custom_data[1][keyof_customdata]",
        "custom_data[x][y][z]",
    ]
) | st.text(max_size=8)

FORM_VALUES = st.sampled_from(
    ["", "completed", "pending", "notcompleted", "100", "-1", "1e3", "[]", "{}", '{"a":1}']
) | st.text(max_size=12)


def _parse(content_type: str | None, body: bytes) -> Notice | MalformedCallbackError:
    try:
        return parse_notice(content_type, body)
    except MalformedCallbackError as exc:
        return exc


def _parses_or_is_malformed(content_type: str | None, body: bytes) -> None:
    outcome = _parse(content_type, body)
    if isinstance(outcome, MalformedCallbackError):
        assert outcome.reason
    else:
        assert 0 < len(outcome.transaction_id) <= MAX_TRANSACTION_ID_LENGTH
        assert outcome.amount is None or 0 <= outcome.amount <= MAX_AMOUNT
        assert isinstance(outcome.status, Status)
        assert all(isinstance(v, str) for v in outcome.custom_data.values())


@given(CONTENT_TYPES, st.binary(max_size=300))
def test_random_bytes_never_raise_anything_but_malformed(
    content_type: str | None, body: bytes
) -> None:
    _parses_or_is_malformed(content_type, body)


@given(CONTENT_TYPES, JSON_VALUES)
def test_random_json_values_never_raise_anything_but_malformed(
    content_type: str | None, value: object
) -> None:
    _parses_or_is_malformed(content_type, json.dumps(value).encode())


@given(
    CONTENT_TYPES,
    st.dictionaries(st.sampled_from(LIGDICASH_KEYS), JSON_VALUES, min_size=1),
    st.booleans(),
)
def test_random_json_callbacks_never_raise_anything_but_malformed(
    content_type: str | None, payload: dict[str, object], ascii_only: bool
) -> None:
    _parses_or_is_malformed(content_type, json.dumps(payload, ensure_ascii=ascii_only).encode())


@given(CONTENT_TYPES, st.lists(st.tuples(FORM_KEYS, FORM_VALUES), max_size=12))
def test_random_forms_never_raise_anything_but_malformed(
    content_type: str | None, pairs: list[tuple[str, str]]
) -> None:
    _parses_or_is_malformed(content_type, urlencode(pairs).encode())


# Round trip: a well-formed callback, written in any of Ligdicash's shapes, parses back exactly.

Shape = Literal["json-list", "json-dict", "json-string", "form-string", "form-flat", "form-list"]

TRANSACTION_IDS = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")),
    min_size=1,
    max_size=MAX_TRANSACTION_ID_LENGTH,
)
STATUS_WORDS = st.sampled_from(
    [
        ("completed", Status.COMPLETED),
        ("COMPLETED", Status.COMPLETED),
        ("pending", Status.PENDING),
        ("notcompleted", Status.FAILED),
        ("nocompleted", Status.FAILED),
        ("cancelled", Status.FAILED),
    ]
)
CUSTOM_KEYS = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True).filter(
    lambda key: key not in {"transaction_id", "hash"}
)
HEX = "0123456789abcdef"


@dataclass(frozen=True)
class Sent:
    """What a callback carries, and how it is written on the wire."""

    expected: Notice
    top: dict[str, object]
    custom: dict[str, str]
    shape: Shape
    content_type: str | None


@st.composite
def sent_callbacks(draw: st.DrawFn) -> Sent:
    shape: Shape = draw(
        st.sampled_from(
            ["json-list", "json-dict", "json-string", "form-string", "form-flat", "form-list"]
        )
    )
    is_form = shape.startswith("form")
    transaction_id = draw(TRANSACTION_IDS)
    word, status = draw(STATUS_WORDS)
    amount = draw(st.none() | st.integers(min_value=0, max_value=MAX_AMOUNT))
    token = draw(st.just("") | st.text(min_size=1, max_size=60))
    operator_name = draw(st.none() | st.text(min_size=1, max_size=30))
    operator_id = draw(st.none() | st.integers(min_value=0, max_value=99).map(str))
    request_id = draw(st.none() | st.from_regex(r"P[0-9]{13}", fullmatch=True))
    custom = draw(st.dictionaries(CUSTOM_KEYS, st.text(max_size=20), max_size=4))
    top_hash = draw(st.none() | st.text(alphabet=HEX, min_size=40, max_size=40))
    inner_hash = draw(st.none() | st.text(alphabet=HEX, min_size=64, max_size=64))

    top: dict[str, object] = {"status": word, "date": "2026-05-09 10:00:00+00", "method": "post"}
    id_place = draw(st.sampled_from(["custom", "top", "both", "both-different"]))
    if id_place != "top":
        custom["transaction_id"] = transaction_id
    if id_place in {"top", "both"}:
        top["transaction_id"] = transaction_id
    elif id_place == "both-different":
        top["transaction_id"] = "LIGDICASH-" + draw(st.text(alphabet=HEX, max_size=8))
    if inner_hash is not None:
        custom["hash"] = inner_hash
    if top_hash is not None:
        top["hash"] = top_hash
    if amount is not None:
        for key in draw(st.sampled_from([("amount",), ("montant",), ("amount", "montant")])):
            top[key] = str(amount) if is_form or draw(st.booleans()) else amount
    if token or draw(st.booleans()):
        top["token"] = token
    for key, value in (
        ("operator_name", operator_name),
        ("operator_id", operator_id),
        ("request_id", request_id),
    ):
        if value is not None:
            top[key] = value
        elif draw(st.booleans()):
            top[key] = "" if is_form else draw(st.sampled_from([None, ""]))

    content_types = (
        ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8"]
        if is_form
        else ["application/json", "application/json;charset=utf-8", "text/json"]
    )
    expected = Notice(
        transaction_id=transaction_id,
        status=status,
        amount=amount,
        token=token,
        operator_name=operator_name,
        operator_id=operator_id,
        request_id=request_id,
        hash=top_hash or inner_hash,
        custom_data=custom,
        content_kind="form" if is_form else "json",
    )
    return Sent(
        expected=expected,
        top=top,
        custom=custom,
        shape=shape,
        content_type=draw(st.sampled_from([*content_types, None])),
    )


def _custom_list(custom: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"id_invoice": 29505444, "keyof_customdata": key, "valueof_customdata": value}
        for key, value in custom.items()
    ]


def _encode(sent: Sent) -> bytes:
    if sent.shape == "json-list":
        return json.dumps({**sent.top, "custom_data": _custom_list(sent.custom)}).encode()
    if sent.shape == "json-dict":
        return json.dumps({**sent.top, "custom_data": sent.custom}, ensure_ascii=False).encode()
    if sent.shape == "json-string":
        packed = json.dumps(sent.custom)
        return json.dumps({**sent.top, "custom_data": packed}).encode()
    pairs = [(key, str(value)) for key, value in sent.top.items()]
    if sent.shape == "form-string":
        pairs.append(("custom_data", json.dumps(_custom_list(sent.custom))))
    elif sent.shape == "form-flat":
        pairs.extend((f"custom_data[{key}]", value) for key, value in sent.custom.items())
    else:
        for index, entry in enumerate(_custom_list(sent.custom)):
            pairs.extend((f"custom_data[{index}][{key}]", str(v)) for key, v in entry.items())
    return urlencode(pairs).encode()


@given(sent_callbacks())
def test_well_formed_callbacks_parse_back_exactly(sent: Sent) -> None:
    assert parse_notice(sent.content_type, _encode(sent)) == sent.expected
