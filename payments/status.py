"""Ligdicash's words for a transaction's status, and the shared parsing of its loose fields."""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """What Ligdicash says about a transaction: only COMPLETED means the money moved."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


def parse_status(raw: object) -> Status:
    """Map Ligdicash's status spelling to a Status.

    `nocompleted` (older) and `notcompleted` (current) both mean failed; anything that is neither
    `completed` nor `pending` is treated as failed too, so an unknown word can never pay an order.
    """
    word = str(raw).strip().lower() if raw is not None else ""
    if word == "completed":
        return Status.COMPLETED
    if word == "pending":
        return Status.PENDING
    return Status.FAILED


def parse_amount(raw: object) -> int | None:
    """Return an XOF amount sent as an int or a digit string (`"100"`, `"100.0"`), else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() and raw >= 0 else None
    if isinstance(raw, str):
        text = raw.strip()
        if text.endswith(".0"):
            text = text[:-2]
        elif text.endswith(".00"):
            text = text[:-3]
        if text.isascii() and text.isdigit() and len(text) <= 12:
            return int(text)
    return None


def normalize_custom_data(raw: object) -> dict[str, str]:
    """Flatten custom_data sent as a dict, a JSON string, or a list of keyof/valueof entries."""
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return {}
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError):
            return {}
    result: dict[str, str] = {}
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            if isinstance(key, str) and _is_scalar(value):
                result[key] = _scalar_text(value)
    elif isinstance(raw, list):
        for entry in raw:
            if not isinstance(entry, Mapping):
                continue
            key = entry.get("keyof_customdata")
            value = entry.get("valueof_customdata")
            if isinstance(key, str) and _is_scalar(value):
                result[key] = _scalar_text(value)
    return result


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _scalar_text(value: Any) -> str:
    return "" if value is None else str(value)
