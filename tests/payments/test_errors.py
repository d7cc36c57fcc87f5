"""Rules for classifying Ligdicash refusals and for the texts customers see."""

from __future__ import annotations

import logging

import pytest

from payments.errors import (
    REASON_TEXTS,
    SUBCODE_TABLES,
    CustomerFixableError,
    Endpoint,
    InvalidRequestError,
    LigdicashError,
    MerchantSetupError,
    NotFoundError,
    ProtocolError,
    Reason,
    RejectedError,
    TemporaryError,
    TransportError,
    classify_refusal,
    parse_sub_code,
    redact,
)

C, T, M, N = CustomerFixableError, TemporaryError, MerchantSetupError, NotFoundError
PAYIN = (Endpoint.HOSTED_PAYIN, Endpoint.DIRECT_PAYIN)
CONFIRM = (Endpoint.CONFIRM_PAYIN, Endpoint.CONFIRM_PAYOUT)

# The specification, written out from FACTS.md: (sub-code, class, reason) per endpoint family.
PAYIN_SPEC = [
    ("00", M, Reason.AUTHENTICATION),
    ("01", M, Reason.PAYIN_DISABLED),
    ("02", C, Reason.AMOUNT_OUT_OF_RANGE),
    ("03", M, Reason.IP_NOT_WHITELISTED),
    ("04", T, Reason.PROCESSING_ERROR),
    ("05", T, Reason.OPERATOR_UNREACHABLE),
    ("06", T, Reason.OPERATOR_UNREACHABLE),
    ("07", M, Reason.OPERATOR_NOT_ENABLED),
    ("08", C, Reason.BAD_INPUT),
    ("09", T, Reason.API_ERROR),
    ("10", M, Reason.HASH_ERROR),
    ("11", M, Reason.HASH_ERROR),
    ("12", M, Reason.METHOD_NOT_ALLOWED),
    ("13", M, Reason.METHOD_NOT_ALLOWED),
    ("14", C, Reason.WRONG_WALLET_CREDENTIALS),
    ("15", C, Reason.WRONG_OTP),
    ("16", C, Reason.EXPIRED_OTP),
]
CLIENT_PAYOUT_SPEC = [
    ("00", M, Reason.AUTHENTICATION),
    ("01", M, Reason.PAYOUT_DISABLED),
    ("02", C, Reason.NO_LIGDICASH_ACCOUNT),
    ("03", M, Reason.NO_MERCHANT_ACCOUNT),
    ("03a", C, Reason.ACCOUNT_LIMIT),
    ("03b", C, Reason.ACCOUNT_LIMIT),
    ("04", M, Reason.BALANCE_TOO_LOW),
    ("05", C, Reason.AMOUNT_OUT_OF_RANGE),
    ("06", M, Reason.IP_NOT_WHITELISTED),
    ("07", M, Reason.DUPLICATE_TRANSACTION),
    ("08", T, Reason.PROCESSING_ERROR),
    ("09", C, Reason.BAD_INPUT),
    ("10", T, Reason.API_ERROR),
    ("13", M, Reason.HASH_ERROR),
    ("14", M, Reason.HASH_ERROR),
]
MERCHANT_PAYOUT_SPEC = [
    ("00", M, Reason.AUTHENTICATION),
    ("01", M, Reason.APP_AUTHENTICATION),
    ("02", C, Reason.AMOUNT_OUT_OF_RANGE),
    ("03", M, Reason.NO_MERCHANT_ACCOUNT),
    ("04", T, Reason.NO_PENDING_PAYOUT),
    ("05", C, Reason.OPERATOR_NOT_IDENTIFIED),
    ("06", M, Reason.NO_MERCHANT_ACCOUNT),
    ("07", M, Reason.NO_MERCHANT_ACCOUNT),
    ("08", M, Reason.BALANCE_TOO_LOW),
    ("09", T, Reason.PROCESSING_ERROR),
    ("10", T, Reason.API_ERROR),
    ("11", M, Reason.HASH_ERROR),
    ("12", M, Reason.HASH_ERROR),
    ("13", M, Reason.CURRENCY_CONVERSION_REFUSED),
    ("14", M, Reason.IP_NOT_WHITELISTED),
]
CONFIRM_SPEC = [
    ("00", M, Reason.AUTHENTICATION),
    ("01", M, Reason.PAYIN_DISABLED),
    ("02", N, Reason.NOT_FOUND),
    ("03", T, Reason.PROCESSING_ERROR),
    ("04", M, Reason.BAD_INPUT),
]
SPEC: dict[Endpoint, list[tuple[str, type[RejectedError], Reason]]] = {
    Endpoint.HOSTED_PAYIN: PAYIN_SPEC,
    Endpoint.DIRECT_PAYIN: PAYIN_SPEC,
    Endpoint.CONFIRM_PAYIN: CONFIRM_SPEC,
    Endpoint.CLIENT_PAYOUT: CLIENT_PAYOUT_SPEC,
    Endpoint.MERCHANT_PAYOUT: MERCHANT_PAYOUT_SPEC,
    Endpoint.CONFIRM_PAYOUT: CONFIRM_SPEC,
}
ROWS = [
    (endpoint, code, cls, reason) for endpoint, rows in SPEC.items() for code, cls, reason in rows
]


@pytest.mark.parametrize(("endpoint", "code", "cls", "reason"), ROWS)
def test_each_sub_code_maps_to_its_class_and_reason(
    endpoint: Endpoint, code: str, cls: type[RejectedError], reason: Reason
) -> None:
    wiki = "https://client.ligdicash.com/wiki/createInvoice"
    error = classify_refusal(endpoint, f"Echec (Code{code})", wiki)
    assert type(error) is cls
    assert (error.endpoint, error.sub_code, error.reason) == (endpoint, code, reason)
    assert error.response_text == f"Echec (Code{code})"
    assert error.wiki == wiki


def test_every_endpoint_has_exactly_the_documented_sub_codes() -> None:
    assert set(SUBCODE_TABLES) == set(Endpoint)
    for endpoint in Endpoint:
        documented = {code for code, _, _ in SPEC[endpoint]}
        assert set(SUBCODE_TABLES[endpoint]) == documented, endpoint


def test_auth_failure_is_a_merchant_setup_error_on_every_endpoint() -> None:
    for endpoint in Endpoint:
        assert isinstance(classify_refusal(endpoint, "Echec (Code00)", None), MerchantSetupError)


@pytest.mark.parametrize("text", ["Echec (Code42)", "Echec", "", "refused"])
def test_unknown_or_missing_sub_code_is_temporary_and_logged(
    text: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="payments.errors"):
        error = classify_refusal(Endpoint.HOSTED_PAYIN, text, None)
    assert type(error) is TemporaryError
    assert error.reason is Reason.UNKNOWN
    assert "unknown sub-code" in caplog.text


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Echec (Code15)", "15"),
        ("echec (code15)", "15"),
        ("Echec (Code 02)", "02"),
        ("Echec (Code: 04)", "04"),
        ("Echec (Code3)", "03"),
        ("Echec (Code03a)", "03a"),
        ("Echec (Code03B)", "03b"),
        ("Echec (Code3a)", "03a"),
        ("Echec", None),
        ("", None),
        ("Echec (Code)", None),
    ],
)
def test_sub_code_is_read_from_echec_text(text: str, code: str | None) -> None:
    assert parse_sub_code(text) == code


def _every_error() -> list[LigdicashError]:
    errors: list[LigdicashError] = [
        InvalidRequestError(reason, "field", "INTERNAL-DETAIL")
        for reason in (
            Reason.INVALID_INVOICE,
            Reason.INVALID_AMOUNT,
            Reason.AMOUNT_OUT_OF_RANGE,
            Reason.INVALID_PHONE,
            Reason.INVALID_OTP,
            Reason.INVALID_ARGUMENT,
        )
    ]
    errors.append(TransportError(Endpoint.CLIENT_PAYOUT, maybe_delivered=True, detail="timeout"))
    errors.append(TransportError(Endpoint.CLIENT_PAYOUT, maybe_delivered=False, detail="refused"))
    errors.append(
        ProtocolError(Endpoint.HOSTED_PAYIN, detail="not JSON", http_status=502, body_excerpt="x")
    )
    for endpoint, code, _, _ in ROWS:
        errors.append(classify_refusal(endpoint, f"Echec (Code{code})", "https://wiki/x"))
    errors.append(classify_refusal(Endpoint.HOSTED_PAYIN, "Echec (Code77)", "https://wiki/x"))
    return errors


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_customer_messages_never_show_codes_or_the_wiki(lang: str) -> None:
    for error in _every_error():
        assert isinstance(
            error, InvalidRequestError | TransportError | ProtocolError | RejectedError
        )
        text = error.message(lang)
        assert text.strip(), error
        for leak in ("Echec", "Code", "wiki", "http", "INTERNAL-DETAIL"):
            assert leak not in text, (error, text)


def test_french_and_english_messages_differ_and_french_is_the_fallback() -> None:
    for error in _every_error():
        assert isinstance(
            error, InvalidRequestError | TransportError | ProtocolError | RejectedError
        )
        assert error.message("fr") != error.message("en")
        assert error.message("de") == error.message("fr")
        assert error.message("en-GB") == error.message("en")


@pytest.mark.parametrize(
    ("sub_code", "words"),
    [
        ("15", ("incorrect", "wrong")),
        ("16", ("expiré", "expired")),
        ("02", ("montant", "amount")),
    ],
)
def test_wrong_otp_expired_otp_and_amount_have_their_own_texts(
    sub_code: str, words: tuple[str, str]
) -> None:
    error = classify_refusal(Endpoint.DIRECT_PAYIN, f"Echec (Code{sub_code})", None)
    assert words[0] in error.message("fr")
    assert words[1] in error.message("en")
    assert error.message("fr") != CustomerFixableError.text.fr


def test_every_class_has_a_text_in_both_languages() -> None:
    classes: list[type[InvalidRequestError | TransportError | ProtocolError | RejectedError]] = [
        InvalidRequestError,
        TransportError,
        ProtocolError,
        RejectedError,
        C,
        T,
        M,
        N,
    ]
    texts = [cls.text for cls in classes] + [TransportError.undelivered_text]
    texts += list(REASON_TEXTS.values())
    for text in texts:
        assert text.fr.strip()
        assert text.en.strip()
    assert len({cls.text for cls in classes}) == len(classes)


def test_transport_error_says_whether_the_request_may_have_arrived() -> None:
    sent = TransportError(Endpoint.MERCHANT_PAYOUT, maybe_delivered=True, detail="timeout")
    unsent = TransportError(Endpoint.MERCHANT_PAYOUT, maybe_delivered=False, detail="refused")
    assert "may have been delivered" in str(sent)
    assert "was not sent" in str(unsent)
    assert sent.message("en") != unsent.message("en")


def test_redact_masks_secrets_tokens_phones_and_emails() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJhYmMifQ.c2lnbmF0dXJlMTIz"
    text = (
        f'{{"key": "my-api-key", "token": "{token}", "customer": "22670123456", '
        '"email": "awa@example.bf", "amount": 2000000, "request_id": "P2777636082026"}'
    )
    masked = redact(text, ["my-api-key", ""])
    assert "my-api-key" not in masked
    assert token not in masked
    assert "22670123456" not in masked
    assert "226XXXX56" in masked
    assert "awa@example.bf" not in masked
    assert "2000000" in masked
    assert "P2777636082026" in masked
