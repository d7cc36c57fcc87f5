"""Telegram's text formatting rules: parse_mode parsing into entities, as the Bot API does it.

The parsers follow the rules of Telegram's own implementation (tdlib ``MessageEntity.cpp``):
the same accepted tags and escapes, the same error wording and byte offsets, and entity offsets
counted in UTF-16 code units. A parse error is raised as ``EntityParseError`` whose message is
what Telegram puts after "Bad Request: can't parse entities: ".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

Entity = dict[str, Any]

HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}
_NAMED_CHARACTERS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MARKDOWN_V2_RESERVED = "_*[]()~`>#+-=|{}.!\n"
# Telegram's internal entity type names, used in its MarkdownV2 error messages.
_TDLIB_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}
_LINK_SCHEMES = frozenset({"http", "https", "tg", "ton", "ftp"})


class EntityParseError(ValueError):
    """Text that Telegram refuses to parse in the requested parse_mode."""


def utf16_length(text: str) -> int:
    """Return the length of text in UTF-16 code units, the unit of entity offsets."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Return plain text and entities for parse_mode (None, HTML, MarkdownV2, Markdown)."""
    mode = (parse_mode or "").lower()
    if mode == "":
        return text, []
    if mode == "html":
        return _HtmlParser(text).parse()
    if mode == "markdownv2":
        return _MarkdownV2Parser(text).parse()
    if mode == "markdown":
        return _parse_legacy_markdown(text)
    raise ValueError(f"unsupported parse_mode {parse_mode!r}")


def bot_command_entities(text: str) -> list[Entity]:
    """Return the bot_command entities Telegram marks in a user's text (/start, /buy@bot ...)."""
    entities: list[Entity] = []
    size = len(text)
    position = 0
    while (slash := text.find("/", position)) != -1:
        position = slash + 1
        if slash > 0 and _ends_command(text[slash - 1]):
            continue
        end = slash + 1
        while end < size and _is_command_char(text[end]):
            end += 1
        if not 1 <= end - slash - 1 <= 64:
            continue
        if end < size and text[end] == "@":
            mention_end = end + 1
            while mention_end < size and _is_command_char(text[mention_end]):
                mention_end += 1
            if not 3 <= mention_end - end - 1 <= 32:
                continue
            end = mention_end
        if end < size and _ends_command(text[end]):
            continue
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_length(text[:slash]),
                "length": utf16_length(text[slash:end]),
            }
        )
        position = end
    return entities


def checked_link(url: str) -> str | None:
    """Return the link as kept in a text_link entity (scheme added), or None if it is not one."""
    url = url.strip()
    if not url:
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme.lower() not in _LINK_SCHEMES or not parts.netloc:
        return None
    return parts.geturl()


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _is_command_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _ends_command(char: str) -> bool:
    return _is_word_char(char) or char in "/<>"


def _is_space(char: str) -> bool:
    return char in " \t\r\n\0\v"


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _sorted(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda entity: (entity["offset"], -entity["length"]))


def _link_entity(offset: int, length: int, url: str) -> Entity | None:
    link = checked_link(url)
    if link is None:
        return None
    return {"type": "text_link", "offset": offset, "length": length, "url": link}


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int
    output_index: int


class _HtmlParser:
    """One HTML parse: Telegram's small tag set, four named character references."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._output: list[str] = []
        self._offset = 0
        self._entities: list[Entity] = []
        self._open: list[_OpenTag] = []

    def _at(self, index: int) -> str:
        return self._text[index] if index < len(self._text) else "\0"

    def _fail(self, message: str) -> EntityParseError:
        return EntityParseError(message)

    def _emit(self, chars: str) -> None:
        self._output.append(chars)
        self._offset += utf16_length(chars)

    def parse(self) -> tuple[str, list[Entity]]:
        index = 0
        while index < len(self._text):
            char = self._text[index]
            if char == "&":
                decoded, end = _decode_character_reference(self._text, index)
                if decoded is not None:
                    self._emit(decoded)
                    index = end
                    continue
            if char != "<":
                self._emit(char)
                index += 1
                continue
            closing = self._at(index + 1) == "/"
            index = self._end_tag(index) if closing else self._start_tag(index)
        if self._open:
            raise self._fail(f"Can't find end tag corresponding to start tag {self._open[-1].name}")
        for entity in self._entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        text = "".join(self._output)
        if any(0xD800 <= ord(char) <= 0xDFFF for char in text):
            raise self._fail(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        return text, _sorted(self._entities)

    def _start_tag(self, begin: int) -> int:
        text = self._text
        byte_begin = _byte_offset(text, begin)
        index = begin + 1
        while not _is_space(self._at(index)) and self._at(index) != ">":
            index += 1
        if index >= len(text):
            raise self._fail(f"Unclosed start tag at byte offset {byte_begin}")
        name = text[begin + 1 : index].lower()
        if name not in HTML_TAGS:
            raise self._fail(f'Unsupported start tag "{name}" at byte offset {byte_begin}')
        argument = ""
        while self._at(index) != ">":
            while index < len(text) and _is_space(text[index]):
                index += 1
            if self._at(index) == ">":
                break
            attribute_begin = index
            while not _is_space(self._at(index)) and self._at(index) != "=":
                index += 1
            attribute = text[attribute_begin:index]
            if not attribute:
                raise self._fail(
                    f'Empty attribute name in the tag "{name}" at byte offset {byte_begin}'
                )
            while index < len(text) and _is_space(text[index]):
                index += 1
            if self._at(index) != "=":
                raise self._fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {byte_begin}'
                )
            index += 1
            while index < len(text) and _is_space(text[index]):
                index += 1
            if index >= len(text):
                raise self._fail(f'Unclosed start tag "{name}" at byte offset {byte_begin}')
            value, index = self._attribute_value(index)
            if index >= len(text):
                raise self._fail(f"Unclosed start tag at byte offset {byte_begin}")
            if name == "a" and attribute == "href":
                argument = value
            elif name == "code" and attribute == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif name == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif name == "tg-emoji" and attribute == "emoji-id":
                argument = value
        if name == "span" and argument != "spoiler":
            raise self._fail(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_begin}')
        self._open.append(_OpenTag(name, argument, self._offset, len(self._output)))
        return index + 1

    def _attribute_value(self, index: int) -> tuple[str, int]:
        text = self._text
        quote = text[index]
        if quote not in "'\"":
            token_begin = index
            while index < len(text) and (text[index].isalnum() or text[index] in ".-"):
                index += 1
            if not _is_space(self._at(index)) and self._at(index) != ">":
                raise self._fail(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, token_begin)}"
                )
            return text[token_begin:index].lower(), index
        index += 1
        value: list[str] = []
        while index < len(text) and text[index] != quote:
            if text[index] == "&":
                decoded, end = _decode_character_reference(text, index)
                if decoded is not None:
                    value.append(decoded)
                    index = end
                    continue
            value.append(text[index])
            index += 1
        if index < len(text):
            index += 1
        return "".join(value), index

    def _end_tag(self, begin: int) -> int:
        text = self._text
        byte_begin = _byte_offset(text, begin)
        if not self._open:
            raise self._fail(f"Unexpected end tag at byte offset {byte_begin}")
        index = begin + 2
        while not _is_space(self._at(index)) and self._at(index) != ">":
            index += 1
        end_name = text[begin + 2 : index].lower()
        while index < len(text) and _is_space(text[index]):
            index += 1
        if self._at(index) != ">":
            raise self._fail(f"Unclosed end tag at byte offset {byte_begin}")
        tag = self._open[-1]
        if end_name and end_name != tag.name:
            raise self._fail(
                f'Unmatched end tag at byte offset {byte_begin}, expected "</{tag.name}>", '
                f'found "</{end_name}>"'
            )
        if self._offset > tag.offset:
            self._close(tag)
        self._open.pop()
        return index + 1

    def _close(self, tag: _OpenTag) -> None:
        offset, length = tag.offset, self._offset - tag.offset
        last = self._entities[-1] if self._entities else None
        same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
        if tag.name in _HTML_SIMPLE:
            self._entities.append(
                {"type": _HTML_SIMPLE[tag.name], "offset": offset, "length": length}
            )
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit() or int(tag.argument) == 0:
                raise self._fail("Invalid custom emoji identifier specified")
            self._entities.append(
                {
                    "type": "custom_emoji",
                    "offset": offset,
                    "length": length,
                    "custom_emoji_id": tag.argument,
                }
            )
        elif tag.name == "a":
            url = tag.argument or "".join(self._output[tag.output_index :])
            entity = _link_entity(offset, length, url)
            if entity is not None:
                self._entities.append(entity)
        elif tag.name == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            if last is not None and same_span and last["type"] == "code" and last.get("language"):
                last["type"] = "pre"
            else:
                self._entities.append({"type": "pre", "offset": offset, "length": length})
        elif last is not None and same_span and last["type"] == "pre" and tag.argument:
            last["language"] = tag.argument
        else:
            code: Entity = {"type": "code", "offset": offset, "length": length}
            if tag.argument:
                # Kept until parse() ends, in case a surrounding <pre> claims it.
                code["language"] = tag.argument
            self._entities.append(code)


def _decode_character_reference(text: str, index: int) -> tuple[str | None, int]:
    """Decode '&lt;', '&#60;', '&#x3c;' (';' optional) at index, as Telegram's HTML parser does."""
    end = index + 1
    if end < len(text) and text[end] == "#":
        end += 1
        value = 0
        if end < len(text) and text[end] == "x":
            end += 1
            while end < len(text) and text[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(text[end], 16)
                end += 1
        else:
            while end < len(text) and text[end] in "0123456789":
                value = value * 10 + int(text[end])
                end += 1
        if value == 0 or value >= 0x10FFFF or end - index >= 10:
            return None, index
        decoded = chr(value)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_CHARACTERS.get(text[index + 1 : end])
        if named is None:
            return None, index
        decoded = named
    if end < len(text) and text[end] == ";":
        end += 1
    return decoded, end


@dataclass
class _OpenMark:
    kind: str
    argument: str
    offset: int
    byte_offset: int
    output_index: int


class _MarkdownV2Parser:
    """One MarkdownV2 parse: every reserved character outside an entity must be escaped."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._output: list[str] = []
        self._offset = 0
        self._entities: list[Entity] = []
        self._open: list[_OpenMark] = []
        self._in_blockquote = False

    def _at(self, index: int) -> str:
        return self._text[index] if index < len(self._text) else "\0"

    def _emit(self, chars: str) -> None:
        self._output.append(chars)
        self._offset += utf16_length(chars)

    def parse(self) -> tuple[str, list[Entity]]:
        text = self._text
        index = 0
        while index < len(text):
            char = text[index]
            if char == "\\" and 0 < ord(self._at(index + 1)) <= 126:
                self._emit(text[index + 1])
                index += 2
                continue
            top = self._open[-1].kind if self._open else None
            reserved = "`" if top in {"code", "pre", "pre_code"} else _MARKDOWN_V2_RESERVED
            if char not in reserved:
                self._emit(char)
                index += 1
                continue
            if top is not None and self._ends_entity(index, top):
                index = self._end(index)
            else:
                index = self._begin(index)
        if self._in_blockquote and self._open and self._open[-1].kind == "blockquote":
            mark = self._open.pop()
            if self._offset != mark.offset:
                self._add(mark, "blockquote")
        if self._open:
            mark = self._open[-1]
            raise EntityParseError(
                f"Can't find end of {_TDLIB_NAMES[mark.kind]} entity at byte offset "
                f"{mark.byte_offset}"
            )
        return "".join(self._output), _sorted(self._entities)

    def _reserved(self, char: str) -> EntityParseError:
        return EntityParseError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )

    def _ends_entity(self, index: int, top: str) -> bool:
        char, following = self._text[index], self._at(index + 1)
        if self._in_blockquote and char == "\n" and following != ">":
            return True
        closers = {
            "bold": char == "*",
            "italic": char == "_" and following != "_",
            "code": char == "`",
            "pre": char == "`" and following == "`" and self._at(index + 2) == "`",
            "text_link": char == "]",
            "underline": char == "_" and following == "_",
            "strikethrough": char == "~",
            "spoiler": char == "|" and following == "|",
            "custom_emoji": char == "]",
            "blockquote": False,
        }
        return closers["pre" if top == "pre_code" else top]

    def _begin(self, index: int) -> int:
        text = self._text
        char, following = text[index], self._at(index + 1)
        begin = index
        argument = ""
        if char == "_":
            kind = "underline" if following == "_" else "italic"
            index += 2 if following == "_" else 1
        elif char in "*~":
            kind = "bold" if char == "*" else "strikethrough"
            index += 1
        elif char == "|":
            if following != "|":
                raise self._reserved(char)
            kind, index = "spoiler", index + 2
        elif char == "[":
            kind, index = "text_link", index + 1
        elif char == "`":
            if following == "`" and self._at(index + 2) == "`":
                kind, argument, index = self._pre_start(index + 3)
            else:
                kind, index = "code", index + 1
        elif char == "!":
            if following != "[":
                raise self._reserved(char)
            kind, index = "custom_emoji", index + 2
        elif char == "\n":
            self._emit("\n")
            if following != ">":
                return index + 1
            if self._in_blockquote:
                return index + 2
            self._in_blockquote = True
            kind, index = "blockquote", index + 2
        elif char == ">" and index == 0:
            self._in_blockquote = True
            kind, index = "blockquote", index + 1
        else:
            raise self._reserved(char)
        self._open.append(
            _OpenMark(kind, argument, self._offset, _byte_offset(text, begin), len(self._output))
        )
        return index

    def _pre_start(self, index: int) -> tuple[str, str, int]:
        language_end = index
        while not _is_space(self._at(language_end)) and self._at(language_end) != "`":
            language_end += 1
        kind, argument = "pre", ""
        if index != language_end and self._at(language_end) not in "`\0":
            kind, argument, index = "pre_code", self._text[index:language_end], language_end
        if self._at(index) in "\r\n":
            pair = self._at(index + 1) in "\r\n" and self._at(index) != self._at(index + 1)
            index += 2 if pair else 1
        return kind, argument, index

    def _end(self, index: int) -> int:
        text = self._text
        mark = self._open[-1]
        char = text[index]
        if char == "\n" and mark.kind != "blockquote":
            raise EntityParseError(
                f"Can't find end of {_TDLIB_NAMES[mark.kind]} entity at byte offset "
                f"{mark.byte_offset}"
            )
        skip = self._offset == mark.offset
        url = ""
        if mark.kind in {"bold", "italic", "code", "strikethrough"}:
            index += 1
        elif mark.kind in {"underline", "spoiler"}:
            index += 2
        elif mark.kind in {"pre", "pre_code"}:
            index += 3
        elif mark.kind in {"text_link", "custom_emoji"}:
            if self._at(index + 1) != "(":
                if mark.kind == "custom_emoji":
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                url = "".join(self._output[mark.output_index :])
                index += 1
            else:
                url, index = self._url(index + 2, mark.kind)
        else:
            self._emit("\n")
            self._in_blockquote = False
            index += 1
        self._open.pop()
        if not skip:
            self._add(mark, url)
        return index

    def _url(self, index: int, kind: str) -> tuple[str, int]:
        text = self._text
        begin = index
        url: list[str] = []
        while index < len(text) and text[index] != ")":
            if text[index] == "\\" and 0 < ord(self._at(index + 1)) <= 126:
                url.append(text[index + 1])
                index += 2
                continue
            url.append(text[index])
            index += 1
        if index >= len(text):
            what = "a custom emoji URL" if kind == "custom_emoji" else "a URL"
            raise EntityParseError(
                f"Can't find end of {what} at byte offset {_byte_offset(text, begin)}"
            )
        return "".join(url), index + 1

    def _add(self, mark: _OpenMark, url: str) -> None:
        offset, length = mark.offset, self._offset - mark.offset
        if mark.kind == "text_link":
            entity = _link_entity(offset, length, url)
            if entity is not None:
                self._entities.append(entity)
        elif mark.kind == "custom_emoji":
            ids = parse_qs(urlsplit(url).query).get("id", [""])
            if not url.startswith("tg://emoji?") or not ids[0].isdigit():
                raise EntityParseError("Invalid custom emoji URL specified")
            self._entities.append(
                {
                    "type": "custom_emoji",
                    "offset": offset,
                    "length": length,
                    "custom_emoji_id": ids[0],
                }
            )
        elif mark.kind == "pre_code":
            self._entities.append(
                {"type": "pre", "offset": offset, "length": length, "language": mark.argument}
            )
        else:
            self._entities.append({"type": mark.kind, "offset": offset, "length": length})


def _parse_legacy_markdown(text: str) -> tuple[str, list[Entity]]:
    """Parse Telegram's legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url)."""
    output: list[str] = []
    entities: list[Entity] = []
    offset = 0
    index = 0
    size = len(text)

    def at(position: int) -> str:
        return text[position] if position < size else "\0"

    while index < size:
        char = text[index]
        if char == "\\" and at(index + 1) in "_*`[":
            output.append(at(index + 1))
            offset += 1
            index += 2
            continue
        if char not in "_*`[":
            output.append(char)
            offset += utf16_length(char)
            index += 1
            continue
        begin = index
        end_char = "]" if char == "[" else char
        index += 1
        is_pre = False
        language = ""
        if char == "`" and at(index) == "`" and at(index + 1) == "`":
            index += 2
            is_pre = True
            language_end = index
            while not _is_space(at(language_end)) and at(language_end) != "`":
                language_end += 1
            if index != language_end and language_end < size and at(language_end) != "`":
                language, index = text[index:language_end], language_end
            if at(index) in "\r\n":
                pair = at(index + 1) in "\r\n" and at(index) != at(index + 1)
                index += 2 if pair else 1
        entity_offset = offset
        while index < size and (
            text[index] != end_char or (is_pre and not (at(index + 1) == "`" == at(index + 2)))
        ):
            output.append(text[index])
            offset += utf16_length(text[index])
            index += 1
        if index >= size:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        length = offset - entity_offset
        if char == "[":
            url = text[begin + 1 : index]
            if at(index + 1) == "(":
                url_end = text.find(")", index + 2)
                url_end = size if url_end == -1 else url_end
                url, index = text[index + 2 : url_end], url_end
            link = _link_entity(entity_offset, length, url) if length else None
            if link is not None:
                entities.append(link)
        elif length:
            kind = {"_": "italic", "*": "bold"}.get(char, "pre" if is_pre else "code")
            entity: Entity = {"type": kind, "offset": entity_offset, "length": length}
            if language:
                entity["language"] = language
            entities.append(entity)
        index += 3 if is_pre else 1
    return "".join(output), _sorted(entities)
