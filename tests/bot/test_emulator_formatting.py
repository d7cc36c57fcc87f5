"""The emulator parses parse_mode text the way Telegram does, and refuses what Telegram refuses."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator.formatting import (
    HTML_TAGS,
    EntityParseError,
    bot_command_entities,
    parse_text,
    utf16_length,
)

HTML_CASES: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("<b>Total</b>", "Total", [{"type": "bold", "offset": 0, "length": 5}]),
    ("<strong>x</strong>", "x", [{"type": "bold", "offset": 0, "length": 1}]),
    ("<i>x</i>", "x", [{"type": "italic", "offset": 0, "length": 1}]),
    ("<em>x</em>", "x", [{"type": "italic", "offset": 0, "length": 1}]),
    ("<u>x</u>", "x", [{"type": "underline", "offset": 0, "length": 1}]),
    ("<ins>x</ins>", "x", [{"type": "underline", "offset": 0, "length": 1}]),
    ("<s>x</s>", "x", [{"type": "strikethrough", "offset": 0, "length": 1}]),
    ("<strike>x</strike>", "x", [{"type": "strikethrough", "offset": 0, "length": 1}]),
    ("<del>x</del>", "x", [{"type": "strikethrough", "offset": 0, "length": 1}]),
    ("<tg-spoiler>x</tg-spoiler>", "x", [{"type": "spoiler", "offset": 0, "length": 1}]),
    ('<span class="tg-spoiler">x</span>', "x", [{"type": "spoiler", "offset": 0, "length": 1}]),
    ("<code>x</code>", "x", [{"type": "code", "offset": 0, "length": 1}]),
    ("<pre>x</pre>", "x", [{"type": "pre", "offset": 0, "length": 1}]),
    (
        '<pre><code class="language-python">x</code></pre>',
        "x",
        [{"type": "pre", "offset": 0, "length": 1, "language": "python"}],
    ),
    ("<blockquote>x</blockquote>", "x", [{"type": "blockquote", "offset": 0, "length": 1}]),
    (
        '<a href="https://t.me/ligdibot">ici</a>',
        "ici",
        [{"type": "text_link", "offset": 0, "length": 3, "url": "https://t.me/ligdibot"}],
    ),
    (
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        "👍",
        [
            {
                "type": "custom_emoji",
                "offset": 0,
                "length": 2,
                "custom_emoji_id": "5368324170671202286",
            }
        ],
    ),
    ("a &lt; b &amp;&gt; &quot;c&quot; &#233;&#x41;", 'a < b &> "c" éA', []),
    ("5 &nbsp; 6 & 7", "5 &nbsp; 6 & 7", []),
    ("<B>x</B>", "x", [{"type": "bold", "offset": 0, "length": 1}]),
    ("<b>x</>", "x", [{"type": "bold", "offset": 0, "length": 1}]),
    ("<b></b>vide", "vide", []),
    ("😀 <b>é</b>", "😀 é", [{"type": "bold", "offset": 3, "length": 1}]),
    (
        "<b>gras <i>et italique</i></b>",
        "gras et italique",
        [
            {"type": "bold", "offset": 0, "length": 16},
            {"type": "italic", "offset": 5, "length": 11},
        ],
    ),
]

HTML_ERRORS = [
    ("<b>Total", "Can't find end tag corresponding to start tag b"),
    ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
    ("prix <br>", 'Unsupported start tag "br" at byte offset 5'),
    ("é<b>x</i>", 'Unmatched end tag at byte offset 6, expected "</b>", found "</i>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("2 < 3", 'Unsupported start tag "" at byte offset 2'),
    ("x <b", "Unclosed start tag at byte offset 2"),
    ('<span class="x">a</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ('<a href="x"', "Unclosed start tag at byte offset 0"),
    (
        "<a href>x</a>",
        'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
    ),
    ("<b>x</b", "Unclosed end tag at byte offset 4"),
]

MARKDOWN_V2_CASES: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("*gras*", "gras", [{"type": "bold", "offset": 0, "length": 4}]),
    ("_it_", "it", [{"type": "italic", "offset": 0, "length": 2}]),
    ("__sous__", "sous", [{"type": "underline", "offset": 0, "length": 4}]),
    ("~b~", "b", [{"type": "strikethrough", "offset": 0, "length": 1}]),
    ("||s||", "s", [{"type": "spoiler", "offset": 0, "length": 1}]),
    ("`c`", "c", [{"type": "code", "offset": 0, "length": 1}]),
    ("```\nbloc\n```", "bloc\n", [{"type": "pre", "offset": 0, "length": 5}]),
    (
        "```python\nx\n```",
        "x\n",
        [{"type": "pre", "offset": 0, "length": 2, "language": "python"}],
    ),
    (
        "[lien](https://t.me/x\\))",
        "lien",
        [{"type": "text_link", "offset": 0, "length": 4, "url": "https://t.me/x)"}],
    ),
    ("40 000 F CFA\\.", "40 000 F CFA.", []),
    ("\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!", "_*[]()~`>#+-=|{}.!", []),
    (">citation\n>suite", "citation\nsuite", [{"type": "blockquote", "offset": 0, "length": 14}]),
    ("`a.b`", "a.b", [{"type": "code", "offset": 0, "length": 3}]),
    ("*deux\nlignes*", "deux\nlignes", [{"type": "bold", "offset": 0, "length": 11}]),
]

MARKDOWN_V2_ERRORS = [
    ("Total: 5.", "Character '.' is reserved and must be escaped with the preceding '\\'"),
    ("1-2", "Character '-' is reserved and must be escaped with the preceding '\\'"),
    ("(note)", "Character '(' is reserved and must be escaped with the preceding '\\'"),
    ("a!", "Character '!' is reserved and must be escaped with the preceding '\\'"),
    ("*gras", "Can't find end of Bold entity at byte offset 0"),
    ("é _it", "Can't find end of Italic entity at byte offset 3"),
    (">cite *gras\nsuite*", "Can't find end of Bold entity at byte offset 6"),
    ("[lien](https://t.me", "Can't find end of a URL at byte offset 7"),
]


@pytest.mark.parametrize(("source", "text", "entities"), HTML_CASES)
def test_html_gives_telegram_entities(
    source: str, text: str, entities: list[dict[str, Any]]
) -> None:
    assert parse_text(source, "HTML") == (text, entities)


def test_every_supported_html_tag_has_a_case() -> None:
    covered = {source[1:].split(">")[0].split(" ")[0].lower() for source, _, _ in HTML_CASES} | {
        "code"
    }
    assert covered >= HTML_TAGS


@pytest.mark.parametrize(("source", "message"), HTML_ERRORS)
def test_malformed_html_is_refused_with_telegram_wording(source: str, message: str) -> None:
    with pytest.raises(EntityParseError) as refused:
        parse_text(source, "HTML")
    assert str(refused.value) == message


@pytest.mark.parametrize(("source", "text", "entities"), MARKDOWN_V2_CASES)
def test_markdown_v2_gives_telegram_entities(
    source: str, text: str, entities: list[dict[str, Any]]
) -> None:
    assert parse_text(source, "MarkdownV2") == (text, entities)


@pytest.mark.parametrize(("source", "message"), MARKDOWN_V2_ERRORS)
def test_unescaped_markdown_v2_is_refused_with_telegram_wording(source: str, message: str) -> None:
    with pytest.raises(EntityParseError) as refused:
        parse_text(source, "MarkdownV2")
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        (
            "*gras* _it_",
            "gras it",
            [
                {"type": "bold", "offset": 0, "length": 4},
                {"type": "italic", "offset": 5, "length": 2},
            ],
        ),
        (
            "[ici](http://a.bf) 5.",
            "ici 5.",
            [
                {"type": "text_link", "offset": 0, "length": 3, "url": "http://a.bf"},
            ],
        ),
        ("\\*pas gras\\*", "*pas gras*", []),
    ],
)
def test_legacy_markdown_gives_telegram_entities(
    source: str, text: str, entities: list[dict[str, Any]]
) -> None:
    assert parse_text(source, "Markdown") == (text, entities)


def test_legacy_markdown_refuses_an_unclosed_entity() -> None:
    with pytest.raises(EntityParseError, match="Can't find end of the entity starting at byte"):
        parse_text("a *b", "Markdown")


def test_without_parse_mode_text_is_kept_verbatim() -> None:
    assert parse_text("<b>*x*</b>", None) == ("<b>*x*</b>", [])


def test_unknown_parse_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported parse_mode"):
        parse_text("x", "BBCode")


def test_offsets_count_utf16_code_units() -> None:
    assert utf16_length("😀é") == 3


@pytest.mark.parametrize(
    ("text", "commands"),
    [
        ("/start", [(0, 6)]),
        ("/start p_12", [(0, 6)]),
        ("/help@ligdibot_bot", [(0, 18)]),
        ("va voir /panier", [(8, 7)]),
        ("a/b", []),
        ("/", []),
        ("https://x.bf/path", []),
    ],
)
def test_user_commands_are_marked_as_bot_command_entities(
    text: str, commands: list[tuple[int, int]]
) -> None:
    assert [(e["offset"], e["length"]) for e in bot_command_entities(text)] == commands
