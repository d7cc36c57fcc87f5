"""A reader for the block-style YAML subset deploy/compose.yaml keeps to (no YAML library here).

Mappings (`key: value`, `key:` + an indented block), lists of scalars (`- value`), plain or
quoted scalars (kept as strings) and `#` comments. Anything else (flow style, anchors, multi-line
scalars, tabs) is refused, so the file stays within what this reader proves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Node = str | list[str] | dict[str, "Node"] | None
_KEY = re.compile(r"^(?P<key>[A-Za-z0-9_.-]+):(?:\s+(?P<value>.*))?$")
_UNSUPPORTED = ("&", "*", "|", ">", "{", "[", "!")


class UnsupportedYaml(ValueError):
    """The file uses YAML this reader does not handle."""


@dataclass(frozen=True)
class _Line:
    number: int
    indent: int
    text: str


def read(source: str) -> dict[str, Node]:
    """Parse the document into nested dicts, lists and strings."""
    lines = _lines(source)
    if not lines:
        return {}
    node, end = _block(lines, 0, lines[0].indent)
    if end != len(lines) or not isinstance(node, dict):
        raise UnsupportedYaml(f"line {lines[min(end, len(lines) - 1)].number}: unexpected indent")
    return node


def _lines(source: str) -> list[_Line]:
    found = []
    for number, raw in enumerate(source.splitlines(), start=1):
        if "\t" in raw:
            raise UnsupportedYaml(f"line {number}: tab")
        text = _without_comment(raw).rstrip()
        if text.strip():
            found.append(_Line(number, len(text) - len(text.lstrip(" ")), text.strip()))
    return found


def _without_comment(raw: str) -> str:
    quote = ""
    for index, char in enumerate(raw):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or raw[index - 1] == " "):
            return raw[:index]
    return raw


def _block(lines: list[_Line], start: int, indent: int) -> tuple[Node, int]:
    if lines[start].text.startswith("- "):
        return _sequence(lines, start, indent)
    return _mapping(lines, start, indent)


def _sequence(lines: list[_Line], start: int, indent: int) -> tuple[list[str], int]:
    items = []
    index = start
    while index < len(lines) and lines[index].indent == indent:
        line = lines[index]
        if not line.text.startswith("- "):
            raise UnsupportedYaml(f"line {line.number}: a list item was expected")
        item = line.text[2:].strip()
        if _KEY.match(item):
            raise UnsupportedYaml(f"line {line.number}: mappings inside lists")
        items.append(_scalar(item, line.number))
        index += 1
    return items, index


def _mapping(lines: list[_Line], start: int, indent: int) -> tuple[dict[str, Node], int]:
    mapping: dict[str, Node] = {}
    index = start
    while index < len(lines) and lines[index].indent == indent:
        line = lines[index]
        match = _KEY.match(line.text)
        if match is None:
            raise UnsupportedYaml(f"line {line.number}: `key: value` was expected")
        key = match["key"]
        if key in mapping:
            raise UnsupportedYaml(f"line {line.number}: {key} repeated")
        index += 1
        if match["value"]:
            mapping[key] = _scalar(match["value"], line.number)
        elif index < len(lines) and lines[index].indent > indent:
            mapping[key], index = _block(lines, index, lines[index].indent)
        else:
            mapping[key] = None
    if index < len(lines) and lines[index].indent > indent:
        raise UnsupportedYaml(f"line {lines[index].number}: unexpected indent")
    return mapping, index


def _scalar(text: str, number: int) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text.startswith(_UNSUPPORTED):
        raise UnsupportedYaml(f"line {number}: only plain or quoted scalars")
    return text
