"""Callback parsing: a Ligdicash callback body (JSON or form-encoded) becomes a Notice."""

# A notice is a hint, never proof of payment: the bot looks up its own record by transaction_id,
# confirms with the token it stored at creation and checks the amount. So parsing is strict about
# shape (anything odd raises MalformedCallbackError, and nothing else) but never verifies `hash`,
# whose algorithm no public source documents.

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import parse_qsl

from payments.errors import MalformedCallbackError
from payments.status import Status, normalize_custom_data, parse_amount, parse_status

ContentKind = Literal["json", "form"]

DEFAULT_MAX_BYTES: Final = 64 * 1024
MAX_TRANSACTION_ID_LENGTH: Final = 128
# Twelve digits is far above any XOF amount Ligdicash accepts (2,000,000) and matches the string
# rule of parse_amount, so an absurd float or integer cannot pass as a number.
MAX_AMOUNT: Final = 10**12 - 1
# A real callback has about fifteen fields; the cap bounds the work done on a hostile form body.
MAX_FORM_FIELDS: Final = 1000

# Characters a transaction_id may not contain: controls, format characters, surrogates,
# private-use and unassigned code points, and the line/paragraph separators.
_FORBIDDEN_ID_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_BRACKET_KEY: Final = re.compile(r"custom_data\[([^\[\]]*)\](?:\[([^\[\]]*)\])?")
_LIST_INDEX: Final = re.compile(r"[0-9]{1,6}")
_UTF8_BOM: Final = "\ufeff"


@dataclass(frozen=True, kw_only=True)
class Notice:
    """A parsed Ligdicash callback: a hint to confirm `transaction_id`, never proof of payment."""

    transaction_id: str
    status: Status
    amount: int | None
    # Ligdicash's id, kept out of reprs and logs; empty on payin callbacks (current docs).
    token: str = field(repr=False)
    operator_name: str | None
    operator_id: str | None
    request_id: str | None
    hash: str | None
    custom_data: dict[str, str] = field(hash=False)
    content_kind: ContentKind


def parse_notice(
    content_type: str | None, body: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Notice:
    """Parse a callback body into a Notice; raise MalformedCallbackError for anything else."""
    # `content_type` is the raw header. Its charset parameter is ignored: Ligdicash sends UTF-8.
    # A JSON or form type is parsed as such; a missing or other one is tried as JSON, then
    # (unless the body opens with `{` or `[`) as a form.
    # Checked before touching the bytes, so an oversized body costs nothing to refuse.
    if len(body) > max_bytes:
        raise MalformedCallbackError(f"body larger than {max_bytes} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedCallbackError("body is not valid UTF-8") from exc
    text = text.removeprefix(_UTF8_BOM)

    declared = _declared_kind(content_type)
    if declared == "json":
        return _notice_from(_json_fields(text), "json")
    if declared == "form":
        return _notice_from(_form_fields(text), "form")
    try:
        fields = _json_fields(text)
    except MalformedCallbackError:
        # A body opening like JSON is broken JSON, not a form: report the JSON fault.
        if text.lstrip().startswith(("{", "[")):
            raise
        return _notice_from(_form_fields(text), "form")
    return _notice_from(fields, "json")


def _declared_kind(content_type: str | None) -> ContentKind | None:
    if not content_type:
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in {"application/json", "text/json"} or media_type.endswith("+json"):
        return "json"
    if media_type == "application/x-www-form-urlencoded":
        return "form"
    return None


def _load_json(text: str) -> object:
    try:
        return json.loads(text)
    except RecursionError as exc:
        # json's C decoder recurses per nesting level: a deep `[[[[...` body must not escape as
        # a RecursionError into the HTTP handler.
        raise MalformedCallbackError("JSON nested too deeply") from exc
    except ValueError as exc:
        raise MalformedCallbackError("body is not JSON") from exc


def _json_fields(text: str) -> dict[str, object]:
    loaded = _load_json(text)
    if not isinstance(loaded, dict):
        raise MalformedCallbackError("JSON body is not an object")
    return loaded


def _form_fields(text: str) -> dict[str, object]:
    """Read a form body; custom_data comes as a JSON string or as flattened bracket keys."""
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError as exc:  # also UnicodeDecodeError from a bad percent-escape
        raise MalformedCallbackError("form body cannot be decoded") from exc

    # Repeated keys: the last one wins, as with json.loads and PHP.
    fields: dict[str, object] = {}
    flat_entries: dict[str, str] = {}
    list_entries: dict[str, dict[str, str]] = {}
    for key, value in pairs:
        match = _BRACKET_KEY.fullmatch(key)
        if match is None:
            fields[key] = value
            continue
        outer, inner = match.group(1), match.group(2)
        if inner is None:
            if outer:
                flat_entries[outer] = value
        elif _LIST_INDEX.fullmatch(outer):
            list_entries.setdefault(outer, {})[inner] = value
        # Deeper or empty-bracket keys carry nested values, which custom_data never holds.

    if flat_entries or list_entries:
        packed = fields.get("custom_data")
        if isinstance(packed, str) and packed.strip():
            raise MalformedCallbackError("custom_data sent both as a string and as fields")
        custom_data = normalize_custom_data(list(list_entries.values()))
        custom_data.update(flat_entries)
        fields["custom_data"] = custom_data
    return fields


def _notice_from(fields: Mapping[str, object], kind: ContentKind) -> Notice:
    custom_data = _custom_data(fields.get("custom_data"))
    return Notice(
        transaction_id=_transaction_id(fields, custom_data),
        status=_status(fields.get("status")),
        amount=_amount(fields),
        token=_text(fields, "token") or "",
        operator_name=_text(fields, "operator_name") or None,
        operator_id=_text(fields, "operator_id", allow_int=True) or None,
        request_id=_text(fields, "request_id", allow_int=True) or None,
        hash=_text(fields, "hash") or custom_data.get("hash") or None,
        custom_data=custom_data,
        content_kind=kind,
    )


def _custom_data(raw: object) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, str):
        if not raw.strip():
            return {}
        # Parsed here rather than in normalize_custom_data, which would quietly drop a string
        # that is not JSON and lets a RecursionError through.
        raw = _load_json(raw)
        if not isinstance(raw, dict | list):
            raise MalformedCallbackError("custom_data is not an object or a list")
    if not isinstance(raw, dict | list):
        raise MalformedCallbackError("custom_data has the wrong type")
    custom_data = normalize_custom_data(raw)
    for key, value in custom_data.items():
        _require_utf8(key, "custom_data")
        _require_utf8(value, "custom_data")
    return custom_data


def _transaction_id(fields: Mapping[str, object], custom_data: Mapping[str, str]) -> str:
    # custom_data wins: it is the one place Ligdicash echoes back exactly what we sent, and
    # FACTS.md says to match on it; the top-level key is Ligdicash's copy, documented loosely.
    transaction_id = custom_data.get("transaction_id") or _text(
        fields, "transaction_id", allow_int=True
    )
    if not transaction_id:
        raise MalformedCallbackError("no transaction_id")
    if len(transaction_id) > MAX_TRANSACTION_ID_LENGTH:
        raise MalformedCallbackError("transaction_id too long")
    if any(unicodedata.category(char) in _FORBIDDEN_ID_CATEGORIES for char in transaction_id):
        raise MalformedCallbackError("transaction_id has control characters")
    return transaction_id


def _status(raw: object) -> Status:
    if not isinstance(raw, str) or not raw.strip():
        raise MalformedCallbackError("status missing or not a string")
    return parse_status(raw)


def _amount(fields: Mapping[str, object]) -> int | None:
    # Payin callbacks say `montant` (a string), payout ones `amount` too; both must agree.
    found = {_one_amount(fields.get(key), key) for key in ("amount", "montant")}
    found.discard(None)
    if len(found) > 1:
        raise MalformedCallbackError("amount and montant disagree")
    return found.pop() if found else None


def _one_amount(raw: object, key: str) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and not raw.isascii():
        # str.isdigit accepts other scripts' digits and superscripts; Ligdicash sends ASCII.
        raise MalformedCallbackError(f"{key} is not a whole number")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise MalformedCallbackError(f"{key} has the wrong type")
    amount = parse_amount(raw)
    if amount is None or amount > MAX_AMOUNT:
        raise MalformedCallbackError(f"{key} is not a whole number")
    return amount


def _text(fields: Mapping[str, object], key: str, *, allow_int: bool = False) -> str | None:
    """Return a string field (or an int one, as text, where Ligdicash sends either)."""
    raw = fields.get(key)
    if raw is None:
        return None
    if isinstance(raw, str):
        return _require_utf8(raw, key)
    if allow_int and isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    raise MalformedCallbackError(f"{key} has the wrong type")


def _require_utf8(text: str, key: str) -> str:
    # JSON escapes can smuggle lone surrogates (`"\ud800"`), which would fail later in a log
    # handler or in SQLite rather than here.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedCallbackError(f"{key} is not valid text") from exc
    return text
