"""What checkout accepts as a name, an e-mail and an OTP, and how the keypad shows progress."""

from __future__ import annotations

import pytest

from bot.checkout import InvalidInputError, PersonName, parse_email, parse_name, parse_otp
from bot.messages import checkout as words


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Awa Ouédraogo", PersonName("Awa", "Ouédraogo")),
        ("  awa   OUÉDRAOGO ", PersonName("awa", "OUÉDRAOGO")),
        ("Awa", PersonName("Awa", "")),
        ("Jean-Pierre Kaboré", PersonName("Jean-Pierre", "Kaboré")),
        ("Mariam N'Diaye", PersonName("Mariam", "N'Diaye")),
        ("Mariam N’Diaye", PersonName("Mariam", "N’Diaye")),
        ("Aminata J. Sawadogo", PersonName("Aminata", "J. Sawadogo")),
        ("Al", PersonName("Al", "")),
        ("Oue\u0301draogo", PersonName("Ou\u00e9draogo", "")),  # combining accent, normalised
    ],
)
def test_a_typed_name_is_read_first_word_then_the_rest(typed: str, expected: PersonName) -> None:
    assert parse_name(typed) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "too_short"),
        ("   ", "too_short"),
        ("A", "too_short"),
        ("70123456", "digits"),
        ("Awa 2", "digits"),
        ("https://example.com", "link"),
        ("www.example.com", "link"),
        ("awa@example.bf", "link"),
        ("shop.example", "link"),
        ("Awa " + "Ouédraogo" * 7, "too_long"),
        ("Awa 🦁", "characters"),
        ("<b>Awa</b>", "characters"),
        ("Awa; DROP TABLE", "characters"),
        ("-Awa", "characters"),
        ("Awa--Kaboré", "characters"),
        ("'", "characters"),
    ],
)
def test_a_typed_name_is_refused_with_its_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_name(typed)
    assert caught.value.reason == reason


def test_every_name_refusal_has_a_text() -> None:
    for reason in ("too_short", "too_long", "digits", "link", "characters"):
        assert words.TEXT("fr", f"name_{reason}")
        assert words.TEXT("en", f"name_{reason}")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("awa@example.bf", "awa@example.bf"),
        ("  Awa.Ouedraogo+shop@Example.BF ", "Awa.Ouedraogo+shop@example.bf"),
        ("a@mail.co.uk", "a@mail.co.uk"),
    ],
)
def test_an_email_of_a_common_shape_is_kept_with_its_domain_lower_cased(
    typed: str, expected: str
) -> None:
    assert parse_email(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "awa",
        "awa@",
        "@example.bf",
        "awa@example",
        "awa@@example.bf",
        "awa example@mail.bf",
        "awa..x@mail.bf",
        ".awa@mail.bf",
        "awa@-mail.bf",
        "awa@mail.b",
        "a" * 250 + "@mail.bf",
    ],
)
def test_an_email_that_does_not_look_like_one_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_email(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1234", "1234"), ("123456", "123456"), ("12 34 56", "123456"), ("12-34-56-78", "12345678")],
)
def test_a_typed_otp_is_four_to_eight_digits(typed: str, expected: str) -> None:
    assert parse_otp(typed) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("abcdef", "otp_not_digits"),
        ("12a456", "otp_not_digits"),
        ("١٢٣٤٥٦", "otp_not_digits"),  # Arabic-Indic digits are not what the operator sent
        ("", "otp_not_digits"),
        ("123", "otp_length"),
        ("123456789", "otp_length"),
    ],
)
def test_a_typed_otp_is_refused_with_its_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_otp(typed)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("typed", "dots"), [(0, "○○○○○○"), (3, "●●●○○○"), (6, "●●●●●●"), (8, "●●●●●●●●")]
)
def test_the_keypad_shows_progress_as_dots(typed: int, dots: str) -> None:
    assert words.otp_dots(typed) == dots
    assert dots in words.keypad("fr", typed).text


@pytest.mark.parametrize(
    ("typed", "answer"), [("Oui !", "oui"), ("  YES ", "yes"), ("d’accord", "d'accord"), ("✅", "")]
)
def test_typed_answers_are_compared_as_plain_words(typed: str, answer: str) -> None:
    assert words.plain_answer(typed) == answer


def test_the_other_method_key_is_recognised_in_every_language() -> None:
    assert words.is_other_method(words.TEXT("fr", "btn_other_method"))
    assert words.is_other_method(words.TEXT("en", "btn_other_method"))
    assert not words.is_other_method("07 12 34 56")
