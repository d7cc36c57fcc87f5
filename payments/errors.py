"""Every way a Ligdicash call can fail, grouped by what the caller does next.

    LigdicashError
    ├── InvalidRequestError      refused locally, before any request (amount out of range, qty < 1)
    ├── TransportError           no usable answer (network, timeout); `maybe_delivered`: it may
    │                            have reached Ligdicash (a payout then must never be resent)
    ├── ProtocolError            an answer we cannot read (not JSON, missing field, odd HTTP status)
    ├── RejectedError            response_code "01": endpoint, sub_code, response_text, wiki
    │   ├── CustomerFixableError   the customer can fix it (wrong OTP, no account, bad number...)
    │   ├── TemporaryError         try again later (processing error, operator unreachable)
    │   ├── MerchantSetupError     the merchant's account/project needs fixing (auth, IP, balance)
    │   └── NotFoundError          the transaction is unknown to Ligdicash
    └── MalformedCallbackError   a callback body we cannot parse into a notice

Outcomes such as "not paid" are values (payments.status.Status), never exceptions.

A ProtocolError on a POST means a server received the request and its outcome is unknown: for a
payout, treat it like TransportError(maybe_delivered=True). A RejectedError means nothing was
created. Every error a call raises has `message(lang)`, a text fit to show a customer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import ClassVar, NamedTuple

logger = logging.getLogger(__name__)


class LigdicashError(Exception):
    """Base of every Ligdicash failure."""


class MalformedCallbackError(LigdicashError):
    """A callback body that is not a Ligdicash notice (bad JSON, wrong types, no transaction id)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Endpoint(StrEnum):
    """The six Ligdicash calls the client makes."""

    HOSTED_PAYIN = "hosted_payin"
    DIRECT_PAYIN = "direct_payin"
    CONFIRM_PAYIN = "confirm_payin"
    CLIENT_PAYOUT = "client_payout"
    MERCHANT_PAYOUT = "merchant_payout"
    CONFIRM_PAYOUT = "confirm_payout"


class Reason(StrEnum):
    """Why a request was refused, locally or by Ligdicash (keys of the customer messages)."""

    # Refused by Ligdicash (sub-codes, see SUBCODE_TABLES).
    AUTHENTICATION = "authentication"
    APP_AUTHENTICATION = "app_authentication"
    PAYIN_DISABLED = "payin_disabled"
    PAYOUT_DISABLED = "payout_disabled"
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
    IP_NOT_WHITELISTED = "ip_not_whitelisted"
    PROCESSING_ERROR = "processing_error"
    OPERATOR_UNREACHABLE = "operator_unreachable"
    OPERATOR_NOT_ENABLED = "operator_not_enabled"
    OPERATOR_NOT_IDENTIFIED = "operator_not_identified"
    BAD_INPUT = "bad_input"
    API_ERROR = "api_error"
    HASH_ERROR = "hash_error"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    WRONG_WALLET_CREDENTIALS = "wrong_wallet_credentials"
    WRONG_OTP = "wrong_otp"
    EXPIRED_OTP = "expired_otp"
    NO_LIGDICASH_ACCOUNT = "no_ligdicash_account"
    NO_MERCHANT_ACCOUNT = "no_merchant_account"
    ACCOUNT_LIMIT = "account_limit"
    BALANCE_TOO_LOW = "balance_too_low"
    DUPLICATE_TRANSACTION = "duplicate_transaction"
    NO_PENDING_PAYOUT = "no_pending_payout"
    CURRENCY_CONVERSION_REFUSED = "currency_conversion_refused"
    NOT_FOUND = "not_found"
    UNKNOWN = "unknown"
    # Refused locally, before any request.
    INVALID_INVOICE = "invalid_invoice"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_PHONE = "invalid_phone"
    INVALID_OTP = "invalid_otp"
    INVALID_ARGUMENT = "invalid_argument"


class Text(NamedTuple):
    """One customer-facing text in each supported language."""

    fr: str
    en: str

    def get(self, lang: str) -> str:
        """Return the text for `lang` ("en", "en-GB", ...), French for anything else."""
        return self.en if lang.lower()[:2] == "en" else self.fr


# Texts shown for a reason whatever the class; every other reason uses its class's text.
REASON_TEXTS: Mapping[Reason, Text] = {
    Reason.WRONG_OTP: Text(
        fr="Le code OTP est incorrect. Vérifiez-le et saisissez-le à nouveau.",
        en="The OTP code is wrong. Check it and enter it again.",
    ),
    Reason.EXPIRED_OTP: Text(
        fr="Le code OTP a expiré. Générez un nouveau code sur votre téléphone et réessayez.",
        en="The OTP code has expired. Generate a new code on your phone and try again.",
    ),
    Reason.AMOUNT_OUT_OF_RANGE: Text(
        fr="Ce montant n'est pas accepté par ce moyen de paiement : il est trop faible ou trop "
        "élevé.",
        en="This amount is not accepted by this payment method: it is too low or too high.",
    ),
    Reason.INVALID_PHONE: Text(
        fr="Ce numéro de téléphone n'est pas valide. Saisissez un numéro comme 70 12 34 56.",
        en="This phone number is not valid. Enter a number such as 70 12 34 56.",
    ),
    Reason.INVALID_OTP: Text(
        fr="Le code OTP ne doit contenir que des chiffres (6 en général).",
        en="The OTP code must contain digits only (usually 6).",
    ),
    Reason.NO_LIGDICASH_ACCOUNT: Text(
        fr="Ce numéro n'a pas de compte Ligdicash.",
        en="This number has no Ligdicash account.",
    ),
    Reason.OPERATOR_NOT_IDENTIFIED: Text(
        fr="L'opérateur de ce numéro n'a pas été reconnu. Vérifiez le numéro.",
        en="This number's operator was not recognised. Check the number.",
    ),
}


class _ExplainedError(LigdicashError):
    """A failure of a client call, with a text fit to show a customer."""

    text: ClassVar[Text]

    def message(self, lang: str) -> str:
        """Return the customer-facing text in `lang` ("fr" or "en"; French otherwise)."""
        return self.text.get(lang)


class InvalidRequestError(_ExplainedError):
    """Refused locally before any request: nothing was sent, fix the arguments."""

    text = Text(
        fr="Les informations de paiement ne sont pas valides. Vérifiez-les et réessayez.",
        en="The payment details are not valid. Check them and try again.",
    )

    def __init__(self, reason: Reason, field: str, detail: str) -> None:
        super().__init__(f"invalid {field}: {detail}")
        self.reason = reason
        self.field = field
        self.detail = detail

    def message(self, lang: str) -> str:
        """Return the reason's own text if it has one, else the generic one."""
        return REASON_TEXTS.get(self.reason, self.text).get(lang)


class TransportError(_ExplainedError):
    """No usable answer (network error, timeout); `maybe_delivered` is False only if never sent."""

    text = Text(
        fr="Le service de paiement n'a pas répondu à temps. Vérifiez l'état de votre paiement "
        "avant de réessayer.",
        en="The payment service did not answer in time. Check your payment's status before "
        "trying again.",
    )
    undelivered_text: ClassVar[Text] = Text(
        fr="Le service de paiement est injoignable pour le moment. Réessayez dans quelques "
        "minutes.",
        en="The payment service cannot be reached right now. Try again in a few minutes.",
    )

    def __init__(self, endpoint: Endpoint, *, maybe_delivered: bool, detail: str) -> None:
        fate = "may have been delivered" if maybe_delivered else "was not sent"
        super().__init__(f"{endpoint}: {detail} (the request {fate})")
        self.endpoint = endpoint
        self.maybe_delivered = maybe_delivered
        self.detail = detail

    def message(self, lang: str) -> str:
        """Tell the customer to check first when the request may have arrived."""
        return (self.text if self.maybe_delivered else self.undelivered_text).get(lang)


class ProtocolError(_ExplainedError):
    """An answer we cannot read; on a POST its outcome is unknown (a payout becomes `unknown`)."""

    text = Text(
        fr="Le service de paiement a renvoyé une réponse inattendue. Vérifiez l'état de votre "
        "paiement avant de réessayer.",
        en="The payment service sent an unexpected answer. Check your payment's status before "
        "trying again.",
    )

    def __init__(
        self, endpoint: Endpoint, *, detail: str, http_status: int | None, body_excerpt: str
    ) -> None:
        status = f"HTTP {http_status}" if http_status is not None else "no HTTP status"
        super().__init__(f"{endpoint}: {detail} ({status}); body: {body_excerpt!r}")
        self.endpoint = endpoint
        self.detail = detail
        self.http_status = http_status
        self.body_excerpt = body_excerpt


class RejectedError(_ExplainedError):
    """Ligdicash answered response_code "01": nothing was created."""

    text = Text(
        fr="Le paiement a été refusé. Réessayez plus tard.",
        en="The payment was refused. Try again later.",
    )

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        sub_code: str | None,
        reason: Reason,
        response_text: str,
        wiki: str | None,
    ) -> None:
        shown = sub_code if sub_code is not None else "none"
        super().__init__(f"{endpoint} refused: sub-code {shown} ({reason})")
        self.endpoint = endpoint
        self.sub_code = sub_code
        self.reason = reason
        self.response_text = response_text
        self.wiki = wiki

    def message(self, lang: str) -> str:
        """Return the reason's own text if it has one, else the class's."""
        return REASON_TEXTS.get(self.reason, self.text).get(lang)


class CustomerFixableError(RejectedError):
    """Refused for something the customer can change (OTP, number, amount, account)."""

    text = Text(
        fr="Le paiement a été refusé. Vérifiez le numéro et les informations saisies, puis "
        "réessayez.",
        en="The payment was refused. Check the number and the details you entered, then try again.",
    )


class TemporaryError(RejectedError):
    """Refused for a passing reason on Ligdicash's or the operator's side: try again later."""

    text = Text(
        fr="Le service de paiement est momentanément indisponible. Réessayez dans quelques "
        "minutes.",
        en="The payment service is temporarily unavailable. Try again in a few minutes.",
    )


class MerchantSetupError(RejectedError):
    """Refused because the merchant's Ligdicash project needs a person (keys, IP, balance)."""

    text = Text(
        fr="Le paiement mobile n'est pas disponible pour le moment. Réessayez plus tard ou "
        "contactez la boutique.",
        en="Mobile payment is not available right now. Try again later or contact the shop.",
    )


class NotFoundError(RejectedError):
    """Ligdicash does not know the token asked about."""

    text = Text(
        fr="Cette opération est introuvable chez le service de paiement.",
        en="The payment service cannot find this operation.",
    )


Rule = tuple[type[RejectedError], Reason]

_C, _T, _M, _N = CustomerFixableError, TemporaryError, MerchantSetupError, NotFoundError

# Sub-codes of `redirect|straight/checkout-invoice/create` (FACTS.md). Bad input is the
# customer's: everything else we send is validated locally first, so what is left is the
# number, names, email or OTP the customer typed.
PAYIN_CREATE_CODES: Mapping[str, Rule] = {
    "00": (_M, Reason.AUTHENTICATION),
    "01": (_M, Reason.PAYIN_DISABLED),
    "02": (_C, Reason.AMOUNT_OUT_OF_RANGE),
    "03": (_M, Reason.IP_NOT_WHITELISTED),
    "04": (_T, Reason.PROCESSING_ERROR),
    "05": (_T, Reason.OPERATOR_UNREACHABLE),
    "06": (_T, Reason.OPERATOR_UNREACHABLE),
    "07": (_M, Reason.OPERATOR_NOT_ENABLED),
    "08": (_C, Reason.BAD_INPUT),
    "09": (_T, Reason.API_ERROR),
    "10": (_M, Reason.HASH_ERROR),
    "11": (_M, Reason.HASH_ERROR),
    "12": (_M, Reason.METHOD_NOT_ALLOWED),
    "13": (_M, Reason.METHOD_NOT_ALLOWED),
    "14": (_C, Reason.WRONG_WALLET_CREDENTIALS),
    "15": (_C, Reason.WRONG_OTP),
    "16": (_C, Reason.EXPIRED_OTP),
}

# Sub-codes of `withdrawal/create`. "Transaction already exists" needs a person: it says an
# earlier payout with this id may have gone through, so it must never be retried blindly.
CLIENT_PAYOUT_CODES: Mapping[str, Rule] = {
    "00": (_M, Reason.AUTHENTICATION),
    "01": (_M, Reason.PAYOUT_DISABLED),
    "02": (_C, Reason.NO_LIGDICASH_ACCOUNT),
    "03": (_M, Reason.NO_MERCHANT_ACCOUNT),
    "03a": (_C, Reason.ACCOUNT_LIMIT),
    "03b": (_C, Reason.ACCOUNT_LIMIT),
    "04": (_M, Reason.BALANCE_TOO_LOW),
    "05": (_C, Reason.AMOUNT_OUT_OF_RANGE),
    "06": (_M, Reason.IP_NOT_WHITELISTED),
    "07": (_M, Reason.DUPLICATE_TRANSACTION),
    "08": (_T, Reason.PROCESSING_ERROR),
    "09": (_C, Reason.BAD_INPUT),
    "10": (_T, Reason.API_ERROR),
    "13": (_M, Reason.HASH_ERROR),
    "14": (_M, Reason.HASH_ERROR),
}

# Sub-codes of `straight/payout`. "No pending payout in 24 h" reads as a time window on the
# recipient: temporary.
MERCHANT_PAYOUT_CODES: Mapping[str, Rule] = {
    "00": (_M, Reason.AUTHENTICATION),
    "01": (_M, Reason.APP_AUTHENTICATION),
    "02": (_C, Reason.AMOUNT_OUT_OF_RANGE),
    "03": (_M, Reason.NO_MERCHANT_ACCOUNT),
    "04": (_T, Reason.NO_PENDING_PAYOUT),
    "05": (_C, Reason.OPERATOR_NOT_IDENTIFIED),
    "06": (_M, Reason.NO_MERCHANT_ACCOUNT),
    "07": (_M, Reason.NO_MERCHANT_ACCOUNT),
    "08": (_M, Reason.BALANCE_TOO_LOW),
    "09": (_T, Reason.PROCESSING_ERROR),
    "10": (_T, Reason.API_ERROR),
    "11": (_M, Reason.HASH_ERROR),
    "12": (_M, Reason.HASH_ERROR),
    "13": (_M, Reason.CURRENCY_CONVERSION_REFUSED),
    "14": (_M, Reason.IP_NOT_WHITELISTED),
}

# Sub-codes of both confirms. Bad input on a confirm means the stored token is unusable:
# a person must look, it is not proof that the transaction does not exist.
CONFIRM_CODES: Mapping[str, Rule] = {
    "00": (_M, Reason.AUTHENTICATION),
    "01": (_M, Reason.PAYIN_DISABLED),
    "02": (_N, Reason.NOT_FOUND),
    "03": (_T, Reason.PROCESSING_ERROR),
    "04": (_M, Reason.BAD_INPUT),
}

SUBCODE_TABLES: Mapping[Endpoint, Mapping[str, Rule]] = {
    Endpoint.HOSTED_PAYIN: PAYIN_CREATE_CODES,
    Endpoint.DIRECT_PAYIN: PAYIN_CREATE_CODES,
    Endpoint.CONFIRM_PAYIN: CONFIRM_CODES,
    Endpoint.CLIENT_PAYOUT: CLIENT_PAYOUT_CODES,
    Endpoint.MERCHANT_PAYOUT: MERCHANT_PAYOUT_CODES,
    Endpoint.CONFIRM_PAYOUT: CONFIRM_CODES,
}

# An unknown or missing sub-code is a TemporaryError: a refusal created nothing, so trying
# again later is safe for every call, and it does not tell customers the shop is broken over a
# code Ligdicash may have added for a passing operator condition. It is logged as unknown.
UNKNOWN_RULE: Rule = (TemporaryError, Reason.UNKNOWN)

_SUBCODE = re.compile(r"code\s*:?\s*([0-9]{1,2}[ab]?)\b", re.IGNORECASE)


def parse_sub_code(response_text: str) -> str | None:
    """Return the sub-code of `Echec (CodeXX)` ("15", "03a"), or None if there is none."""
    found = _SUBCODE.search(response_text)
    if found is None:
        return None
    code = found.group(1).lower()
    return code.zfill(3) if code[-1] in "ab" else code.zfill(2)


def classify_refusal(endpoint: Endpoint, response_text: str, wiki: str | None) -> RejectedError:
    """Build the RejectedError subclass that a refusal's sub-code means for `endpoint`."""
    sub_code = parse_sub_code(response_text)
    rule = SUBCODE_TABLES[endpoint].get(sub_code) if sub_code is not None else None
    if rule is None:
        logger.warning(
            "%s refused with an unknown sub-code %s (response_text %r)",
            endpoint,
            sub_code,
            redact(response_text[:80], ()),
        )
        rule = UNKNOWN_RULE
    cls, reason = rule
    return cls(endpoint, sub_code=sub_code, reason=reason, response_text=response_text, wiki=wiki)


_JWT = re.compile(r"eyJ[\w-]{4,}\.[\w-]+\.[\w-]*")
_PHONE = re.compile(r"(?<![0-9])(?:\+|00)?226[0-9]{6}([0-9]{2})(?![0-9])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def redact(text: str, secrets: Iterable[str]) -> str:
    """Mask secrets, Ligdicash tokens, Burkina phone numbers and emails in text bound for logs."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _JWT.sub(lambda m: f"<token …{m.group(0)[-6:]}>", text)
    text = _PHONE.sub(lambda m: f"226XXXX{m.group(1)}", text)
    return _EMAIL.sub("<email>", text)
