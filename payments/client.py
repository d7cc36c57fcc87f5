"""Async Ligdicash client: six calls through one choke point that maps failures to our errors."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Final, Self, TypeVar
from urllib.parse import urlsplit

import aiohttp
from pydantic import BaseModel, SecretStr

from payments.errors import (
    Endpoint,
    InvalidRequestError,
    MerchantSetupError,
    ProtocolError,
    Reason,
    RejectedError,
    TemporaryError,
    TransportError,
    classify_refusal,
    redact,
)
from payments.models import (
    ClientPayoutCommand,
    Confirmation,
    Invoice,
    MerchantPayoutCommand,
    PayinCreated,
    PayinRequest,
    PayoutCreated,
    PayoutRequest,
    WireActions,
    WireStore,
    check_payout_amount,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

# (method, path under the base URL, query parameter carrying the token for a confirm)
_ROUTES: Final[Mapping[Endpoint, tuple[str, str, str | None]]] = {
    Endpoint.HOSTED_PAYIN: ("POST", "redirect/checkout-invoice/create", None),
    Endpoint.DIRECT_PAYIN: ("POST", "straight/checkout-invoice/create", None),
    Endpoint.CONFIRM_PAYIN: ("GET", "redirect/checkout-invoice/confirm/", "invoiceToken"),
    Endpoint.CLIENT_PAYOUT: ("POST", "withdrawal/create", None),
    Endpoint.MERCHANT_PAYOUT: ("POST", "straight/payout", None),
    # withdrawal/confirm answers for the tokens of both payout kinds (FACTS.md).
    Endpoint.CONFIRM_PAYOUT: ("GET", "withdrawal/confirm/", "withdrawalToken"),
}

MAX_RESPONSE_BYTES: Final = 1_000_000
_EXCERPT_CHARS: Final = 300
_LOGGED_BODY_CHARS: Final = 10_000
_TRANSACTION_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_PHONE = re.compile(r"[1-9][0-9]{9,14}")
_OTP = re.compile(r"[0-9]{4,8}")


class _BodyTooLarge(Exception):
    """A response bigger than MAX_RESPONSE_BYTES."""


def _token_hint(token: str) -> str:
    # Enough to match log lines to a stored token without logging the token itself.
    return f"…{token[-6:]}"


def _check_url(url: str, field: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidRequestError(Reason.INVALID_ARGUMENT, field, "must be an absolute http(s) URL")
    return url


def _check_phone(phone: str) -> str:
    if not isinstance(phone, str) or not _PHONE.fullmatch(phone):
        raise InvalidRequestError(
            Reason.INVALID_PHONE,
            "phone",
            "must be country code + number, digits only (226XXXXXXXX)",
        )
    return phone


def _check_otp(otp: str) -> str:
    if not isinstance(otp, str) or (otp and not _OTP.fullmatch(otp)):
        raise InvalidRequestError(
            Reason.INVALID_OTP, "otp", "must be empty (approval flow) or 4 to 8 digits"
        )
    return otp


def _check_description(description: str) -> str:
    if not isinstance(description, str) or not description.strip():
        raise InvalidRequestError(Reason.INVALID_ARGUMENT, "description", "must not be empty")
    return description


def _custom_data(transaction_id: str, extra: Mapping[str, str] | None) -> dict[str, str]:
    """Our custom_data: the caller's entries plus transaction_id, which callbacks are matched on."""
    if not isinstance(transaction_id, str) or not _TRANSACTION_ID.fullmatch(transaction_id):
        raise InvalidRequestError(
            Reason.INVALID_ARGUMENT, "transaction_id", "must be 1-64 chars of [A-Za-z0-9._:-]"
        )
    data: dict[str, str] = {}
    for key, value in (extra or {}).items():
        if not isinstance(key, str) or not key or not isinstance(value, str):
            raise InvalidRequestError(
                Reason.INVALID_ARGUMENT, "custom_data", "keys must be non-empty text, values text"
            )
        data[key] = value
    if data.get("transaction_id", transaction_id) != transaction_id:
        raise InvalidRequestError(
            Reason.INVALID_ARGUMENT,
            "custom_data",
            "its transaction_id differs from the transaction_id argument",
        )
    data["transaction_id"] = transaction_id
    return data


def _response_code(body: Mapping[str, Any]) -> str | None:
    raw = body.get("response_code")
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    text = str(raw).strip()
    return text.zfill(2) if text.isdigit() else None


class LigdicashClient:
    """Ligdicash over aiohttp; use as `async with LigdicashClient(...) as client`."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr,
        api_token: SecretStr,
        store_name: str,
        store_website_url: str,
        connect_timeout: float = 5.0,
        total_timeout: float = 30.0,
        confirm_retries: int = 2,
        confirm_backoff: float = 3.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
            raise ValueError("base_url must be an absolute http(s) URL")
        if connect_timeout <= 0 or total_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if confirm_retries < 0 or confirm_backoff < 0:
            raise ValueError("confirm_retries and confirm_backoff must be >= 0")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._urls = {endpoint: self.base_url + path for endpoint, (_, path, _) in _ROUTES.items()}
        self._secrets = (api_key.get_secret_value(), api_token.get_secret_value())
        self._headers = {
            "Apikey": api_key.get_secret_value(),
            "Authorization": f"Bearer {api_token.get_secret_value()}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self._store = WireStore(name=store_name, website_url=store_website_url)
        # connect also bounds the wait for a pooled connection: both happen before sending,
        # so a connect timeout proves the request never left.
        self._timeout = aiohttp.ClientTimeout(total=total_timeout, connect=connect_timeout)
        self._confirm_retries = confirm_retries
        self._confirm_backoff = confirm_backoff
        self._given_session = session
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"LigdicashClient(base_url={self.base_url!r}, store_name={self._store.name!r})"

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("LigdicashClient is already open")
        self._session = self._given_session or aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None and session is not self._given_session:
            await session.close()

    async def create_hosted_payin(
        self,
        invoice: Invoice,
        *,
        transaction_id: str,
        callback_url: str,
        return_url: str,
        cancel_url: str,
        custom_data: Mapping[str, str] | None = None,
    ) -> PayinCreated:
        """Create a payment link; store the token before showing payment_url to the customer."""
        actions = WireActions(
            cancel_url=_check_url(cancel_url, "cancel_url"),
            return_url=_check_url(return_url, "return_url"),
            callback_url=_check_url(callback_url, "callback_url"),
        )
        request = PayinRequest.build(
            invoice,
            store=self._store,
            actions=actions,
            customer="",
            otp="",
            custom_data=_custom_data(transaction_id, custom_data),
        )
        return await self._call(
            Endpoint.HOSTED_PAYIN,
            lambda body: PayinCreated.from_body(body, hosted=True),
            body=request,
        )

    async def create_direct_payin(
        self,
        invoice: Invoice,
        *,
        phone: str,
        otp: str,
        transaction_id: str,
        callback_url: str,
        custom_data: Mapping[str, str] | None = None,
    ) -> PayinCreated:
        """Charge a number: with the customer's OTP (Orange), or otp="" for approval (Moov)."""
        actions = WireActions(
            cancel_url="", return_url="", callback_url=_check_url(callback_url, "callback_url")
        )
        request = PayinRequest.build(
            invoice,
            store=self._store,
            actions=actions,
            customer=_check_phone(phone),
            otp=_check_otp(otp),
            custom_data=_custom_data(transaction_id, custom_data),
        )
        return await self._call(
            Endpoint.DIRECT_PAYIN,
            lambda body: PayinCreated.from_body(body, hosted=False),
            body=request,
        )

    async def confirm_payin(self, token: str) -> Confirmation:
        """Ask Ligdicash for a payin's status (retried on transport errors, 5xx, temporary)."""
        return await self._confirm(Endpoint.CONFIRM_PAYIN, token)

    async def create_client_payout(
        self,
        *,
        amount: int,
        phone: str,
        description: str,
        top_up_wallet: bool,
        transaction_id: str,
        callback_url: str,
        custom_data: Mapping[str, str] | None = None,
    ) -> PayoutCreated:
        """Pay a customer's Ligdicash wallet (`withdrawal/create`); never resend on failure.

        top_up_wallet is sent as 1/0; its meaning differs between Ligdicash doc versions
        (current docs: 1 keeps the money in the wallet), so the caller chooses explicitly.
        """
        command = ClientPayoutCommand(
            amount=check_payout_amount(amount),
            description=_check_description(description),
            customer=_check_phone(phone),
            top_up_wallet=1 if top_up_wallet else 0,
            callback_url=_check_url(callback_url, "callback_url"),
            custom_data=_custom_data(transaction_id, custom_data),
        )
        return await self._call(
            Endpoint.CLIENT_PAYOUT, PayoutCreated.from_body, body=PayoutRequest(commande=command)
        )

    async def create_merchant_payout(
        self,
        *,
        amount: int,
        phone: str,
        description: str,
        transaction_id: str,
        callback_url: str,
        custom_data: Mapping[str, str] | None = None,
    ) -> PayoutCreated:
        """Send money to a mobile money number (`straight/payout`, refunds); never resend."""
        command = MerchantPayoutCommand(
            amount=check_payout_amount(amount),
            description=_check_description(description),
            customer=_check_phone(phone),
            callback_url=_check_url(callback_url, "callback_url"),
            custom_data=_custom_data(transaction_id, custom_data),
        )
        return await self._call(
            Endpoint.MERCHANT_PAYOUT, PayoutCreated.from_body, body=PayoutRequest(commande=command)
        )

    async def confirm_payout(self, token: str) -> Confirmation:
        """Ask Ligdicash for either payout kind's status (retried like confirm_payin)."""
        return await self._confirm(Endpoint.CONFIRM_PAYOUT, token)

    async def _confirm(self, endpoint: Endpoint, token: str) -> Confirmation:
        """Confirm with retries: a GET moves no money, so asking again is always safe."""
        if not isinstance(token, str) or not token.strip():
            raise InvalidRequestError(Reason.INVALID_ARGUMENT, "token", "must not be empty")
        attempt = 0
        while True:
            try:
                return await self._call(endpoint, Confirmation.from_body, token=token)
            except (TransportError, ProtocolError, TemporaryError) as exc:
                retryable = not isinstance(exc, ProtocolError) or (exc.http_status or 0) >= 500
                if not retryable or attempt >= self._confirm_retries:
                    raise
                delay = self._confirm_backoff * 2**attempt
                attempt += 1
                logger.info(
                    "%s %s failed (%s); retry %d/%d in %.1f s",
                    endpoint,
                    _token_hint(token),
                    exc,
                    attempt,
                    self._confirm_retries,
                    delay,
                )
            await asyncio.sleep(delay)

    async def _call(
        self,
        endpoint: Endpoint,
        parse: Callable[[Mapping[str, Any]], T],
        *,
        body: BaseModel | None = None,
        token: str | None = None,
    ) -> T:
        """Send one request and translate every failure into our error tree (the choke point)."""
        session = self._session
        if session is None:
            raise RuntimeError("LigdicashClient is not open: use `async with`")
        method, _, query = _ROUTES[endpoint]
        params = {query: token} if query is not None and token is not None else None
        data = body.model_dump_json().encode() if body is not None else None
        started = time.monotonic()
        http_status: int | None = None
        try:
            async with session.request(
                method,
                self._urls[endpoint],
                params=params,
                data=data,
                headers=self._headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                http_status = response.status
                raw = await self._read(response)
        except (
            aiohttp.ConnectionTimeoutError,
            aiohttp.ClientConnectorError,
            aiohttp.InvalidURL,
        ) as exc:
            # Failed while resolving, connecting or waiting for a pooled connection (aiohttp's
            # connect timeout covers both): nothing was sent.
            raise self._transport(endpoint, exc, maybe_delivered=False) from exc
        except aiohttp.ClientResponseError as exc:
            # A server answered, but not in HTTP we can read.
            raise self._protocol(endpoint, f"unreadable HTTP answer: {exc}", None, b"") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise self._transport(endpoint, exc, maybe_delivered=True) from exc
        except _BodyTooLarge as exc:
            raise self._protocol(endpoint, "response too large", http_status, b"") from exc
        elapsed_ms = (time.monotonic() - started) * 1000
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s -> HTTP %d in %.0f ms", endpoint, http_status, elapsed_ms)

        if http_status in (401, 403):
            # A gateway or firewall refusing our keys or IP before Ligdicash's own 01/Code00.
            logger.warning(
                "%s refused with HTTP %d: %s", endpoint, http_status, self._mask(raw, None)
            )
            raise MerchantSetupError(
                endpoint,
                sub_code=None,
                reason=Reason.AUTHENTICATION,
                response_text=f"HTTP {http_status}",
                wiki=None,
            )
        if not 200 <= http_status < 300:
            raise self._protocol(endpoint, "unexpected HTTP status", http_status, raw)
        try:
            decoded = json.loads(raw)
        except ValueError as exc:
            raise self._protocol(endpoint, "answer is not JSON", http_status, raw) from exc
        if not isinstance(decoded, dict):
            raise self._protocol(endpoint, "answer is not a JSON object", http_status, raw)

        code = _response_code(decoded)
        if code == "01":
            refusal = self._refusal(endpoint, decoded)
            logger.warning(
                "%s refused (sub-code %s, %s): %s",
                endpoint,
                refusal.sub_code,
                refusal.reason,
                self._mask(raw, _LOGGED_BODY_CHARS),
            )
            raise refusal
        if code != "00":
            raise self._protocol(endpoint, "missing or unknown response_code", http_status, raw)
        try:
            return parse(decoded)
        except ValueError as exc:
            raise self._protocol(endpoint, str(exc), http_status, raw) from exc

    @staticmethod
    async def _read(response: aiohttp.ClientResponse) -> bytes:
        if response.content_length is not None:
            if response.content_length > MAX_RESPONSE_BYTES:
                raise _BodyTooLarge
            return await response.read()
        buffer = bytearray()
        async for chunk in response.content.iter_any():
            buffer += chunk
            if len(buffer) > MAX_RESPONSE_BYTES:
                raise _BodyTooLarge
        return bytes(buffer)

    @staticmethod
    def _refusal(endpoint: Endpoint, body: Mapping[str, Any]) -> RejectedError:
        text = body.get("response_text")
        wiki = body.get("wiki")
        return classify_refusal(
            endpoint,
            text if isinstance(text, str) else "",
            wiki if isinstance(wiki, str) else None,
        )

    def _mask(self, raw: bytes, limit: int | None) -> str:
        text = redact(raw.decode("utf-8", errors="replace"), self._secrets)
        return text if limit is None else text[:limit]

    def _transport(
        self, endpoint: Endpoint, exc: BaseException, *, maybe_delivered: bool
    ) -> TransportError:
        detail = redact(f"{type(exc).__name__}: {exc}".rstrip(": "), self._secrets)
        if isinstance(exc, TimeoutError) and not str(exc):
            detail = f"timed out after {self._timeout.total} s"
        error = TransportError(endpoint, maybe_delivered=maybe_delivered, detail=detail)
        logger.warning("%s", error)
        return error

    def _protocol(
        self, endpoint: Endpoint, detail: str, http_status: int | None, raw: bytes
    ) -> ProtocolError:
        error = ProtocolError(
            endpoint,
            detail=redact(detail, self._secrets),
            http_status=http_status,
            body_excerpt=self._mask(raw, _EXCERPT_CHARS),
        )
        logger.warning("%s", error)
        return error
