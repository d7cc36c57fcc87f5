"""What the client sends, and answers the sandbox cannot make (from a scripted loopback app)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import test_utils, web
from pydantic import SecretStr

from payments.client import MAX_RESPONSE_BYTES, LigdicashClient
from payments.errors import (
    Endpoint,
    MerchantSetupError,
    ProtocolError,
    Reason,
    TemporaryError,
)
from payments.models import Invoice, LineItem
from payments.status import Status

API_KEY = "key-SECRET-91d2aa"
API_TOKEN = "token-SECRET-c0ffee"
CALLBACK = "https://shop.example/ligdicash/callback"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiIxIn0.c2lnbmF0dXJl"
ACCEPTED_PAYIN = {"response_code": "00", "token": TOKEN, "response_text": "https://pay.example/i"}
CONFIRMED = {"response_code": "00", "status": "completed", "amount": "100", "custom_data": []}

Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


def reply(body: object, status: int = 200) -> Answer:
    """An answer with a JSON body (or raw text when `body` is a str)."""
    text = body if isinstance(body, str) else json.dumps(body)

    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, text=text, content_type="application/json")

    return answer


@dataclass
class Seen:
    """One request the scripted app received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Script:
    """Answers given in order (the last one repeats) and the requests that came in."""

    base_url: str
    answers: list[Answer] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)


@pytest.fixture
async def script() -> AsyncIterator[Script]:
    """A loopback app standing in for Ligdicash where the sandbox cannot make the shape."""
    state = Script(base_url="")

    async def handle(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        state.seen.append(
            Seen(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                raw,
            )
        )
        answer = state.answers[min(len(state.seen), len(state.answers)) - 1]
        return await answer(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = test_utils.TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    state.base_url = str(server.make_url("/pay/v01"))
    try:
        yield state
    finally:
        await server.close()


def open_client(script: Script, **overrides: Any) -> LigdicashClient:
    """A client on the scripted app (to be used with `async with`)."""
    settings: dict[str, Any] = {
        "base_url": script.base_url,
        "api_key": SecretStr(API_KEY),
        "api_token": SecretStr(API_TOKEN),
        "store_name": "Boutique",
        "store_website_url": "https://shop.example",
        "connect_timeout": 1.0,
        "total_timeout": 2.0,
        "confirm_retries": 2,
        "confirm_backoff": 0.01,
    } | overrides
    return LigdicashClient(**settings)


INVOICE = Invoice(
    items=(LineItem(name="Savon", quantity=2, unit_price=500),),
    description="Commande",
    customer_firstname="Awa",
    customer_lastname="Ouédraogo",
    customer_email="awa@example.bf",
)
WIRE_ITEMS = [
    {"name": "Savon", "description": "", "quantity": 2, "unit_price": 500, "total_price": 1000}
]


def wire_invoice(customer: str, otp: str) -> dict[str, Any]:
    """The `commande.invoice` expected for INVOICE."""
    return {
        "items": WIRE_ITEMS,
        "total_amount": 1000,
        "devise": "XOF",
        "description": "Commande",
        "customer": customer,
        "customer_firstname": "Awa",
        "customer_lastname": "Ouédraogo",
        "customer_email": "awa@example.bf",
        "external_id": "",
        "otp": otp,
    }


STORE = {"name": "Boutique", "website_url": "https://shop.example"}
CALLS: list[tuple[str, Callable[[LigdicashClient], Awaitable[object]], Answer, str, Any]] = [
    (
        "hosted",
        lambda c: c.create_hosted_payin(
            INVOICE,
            transaction_id="tx-1",
            callback_url=CALLBACK,
            return_url="https://shop.example/r",
            cancel_url="https://shop.example/c",
            custom_data={"order": "LB-1"},
        ),
        reply(ACCEPTED_PAYIN),
        "POST /pay/v01/redirect/checkout-invoice/create",
        {
            "commande": {
                "invoice": wire_invoice("", ""),
                "store": STORE,
                "actions": {
                    "cancel_url": "https://shop.example/c",
                    "return_url": "https://shop.example/r",
                    "callback_url": CALLBACK,
                },
                "custom_data": {"order": "LB-1", "transaction_id": "tx-1"},
            }
        },
    ),
    (
        "direct",
        lambda c: c.create_direct_payin(
            INVOICE, phone="22674123456", otp="123456", transaction_id="tx-2", callback_url=CALLBACK
        ),
        reply({"response_code": "00", "token": TOKEN, "response_text": ""}),
        "POST /pay/v01/straight/checkout-invoice/create",
        {
            "commande": {
                "invoice": wire_invoice("22674123456", "123456"),
                "store": STORE,
                "actions": {"cancel_url": "", "return_url": "", "callback_url": CALLBACK},
                "custom_data": {"transaction_id": "tx-2"},
            }
        },
    ),
    (
        "confirm-payin",
        lambda c: c.confirm_payin(TOKEN),
        reply(CONFIRMED),
        f"GET /pay/v01/redirect/checkout-invoice/confirm/?invoiceToken={TOKEN}",
        None,
    ),
    (
        "client-payout",
        lambda c: c.create_client_payout(
            amount=1000,
            phone="22670123456",
            description="Remboursement",
            top_up_wallet=True,
            transaction_id="tx-3",
            callback_url=CALLBACK,
        ),
        reply({"response_code": "00", "token": TOKEN, "response_text": ""}),
        "POST /pay/v01/withdrawal/create",
        {
            "commande": {
                "amount": 1000,
                "devise": "XOF",
                "description": "Remboursement",
                "customer": "22670123456",
                "top_up_wallet": 1,
                "callback_url": CALLBACK,
                "custom_data": {"transaction_id": "tx-3"},
            }
        },
    ),
    (
        "merchant-payout",
        lambda c: c.create_merchant_payout(
            amount=1000,
            phone="22670123456",
            description="Remboursement",
            transaction_id="tx-4",
            callback_url=CALLBACK,
        ),
        reply({"response_code": "00", "token": TOKEN, "response_text": ""}),
        "POST /pay/v01/straight/payout",
        {
            "commande": {
                "amount": 1000,
                "devise": "XOF",
                "description": "Remboursement",
                "customer": "22670123456",
                "callback_url": CALLBACK,
                "custom_data": {"transaction_id": "tx-4"},
            }
        },
    ),
    (
        "confirm-payout",
        lambda c: c.confirm_payout(TOKEN),
        reply(CONFIRMED),
        f"GET /pay/v01/withdrawal/confirm/?withdrawalToken={TOKEN}",
        None,
    ),
]


@pytest.mark.parametrize(
    ("call", "answer", "request_line", "body"),
    [pytest.param(*row[1:], id=row[0]) for row in CALLS],
)
async def test_each_call_sends_the_documented_request(
    script: Script,
    call: Callable[[LigdicashClient], Awaitable[object]],
    answer: Answer,
    request_line: str,
    body: Any,
) -> None:
    script.answers = [answer]
    async with open_client(script) as client:
        await call(client)
    [seen] = script.seen
    query = "&".join(f"{key}={value}" for key, value in seen.query.items())
    assert f"{seen.method} {seen.path}" + (f"?{query}" if query else "") == request_line
    assert seen.headers["Apikey"] == API_KEY
    assert seen.headers["Authorization"] == f"Bearer {API_TOKEN}"
    assert seen.headers["Accept"] == "application/json"
    if body is None:
        assert seen.body == b""
    else:
        assert seen.headers["Content-Type"] == "application/json"
        assert json.loads(seen.body) == body


async def test_top_up_wallet_false_is_sent_as_zero(script: Script) -> None:
    script.answers = [reply({"response_code": "00", "token": TOKEN})]
    async with open_client(script) as client:
        await client.create_client_payout(
            amount=1000,
            phone="22670123456",
            description="R",
            top_up_wallet=False,
            transaction_id="tx-5",
            callback_url=CALLBACK,
        )
    assert json.loads(script.seen[0].body)["commande"]["top_up_wallet"] == 0


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        (reply({"response_code": "00", "response_text": "https://pay.example/i"}), "token"),
        (reply({"response_code": "00", "token": TOKEN, "response_text": ""}), "payment URL"),
        (reply([ACCEPTED_PAYIN]), "not a JSON object"),
        (reply("null"), "not a JSON object"),
        (reply({"token": TOKEN, "response_text": "https://p/i"}), "response_code"),
        (reply({"response_code": "02", "token": TOKEN}), "response_code"),
        (reply("{broken"), "not JSON"),
        (reply(ACCEPTED_PAYIN, status=404), "unexpected HTTP status"),
        (reply(ACCEPTED_PAYIN, status=302), "unexpected HTTP status"),
        (reply("x" * (MAX_RESPONSE_BYTES + 1)), "too large"),
    ],
)
async def test_unreadable_answers_are_protocol_errors(
    script: Script, answer: Answer, detail: str
) -> None:
    script.answers = [answer]
    async with open_client(script) as client:
        with pytest.raises(ProtocolError) as caught:
            await client.create_hosted_payin(
                INVOICE,
                transaction_id="tx-6",
                callback_url=CALLBACK,
                return_url=CALLBACK,
                cancel_url=CALLBACK,
            )
    assert detail in str(caught.value)
    assert caught.value.endpoint is Endpoint.HOSTED_PAYIN
    assert len(script.seen) == 1


async def test_chunked_answer_over_the_size_cap_is_a_protocol_error(script: Script) -> None:
    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(MAX_RESPONSE_BYTES // 50_000 + 2):
            await response.write(b"x" * 50_000)
        await response.write_eof()
        return response

    script.answers = [chunked]
    async with open_client(script) as client:
        with pytest.raises(ProtocolError, match="too large"):
            await client.confirm_payin(TOKEN)


@pytest.mark.parametrize("status", [401, 403])
async def test_gateway_refusing_our_keys_is_a_merchant_setup_error(
    script: Script, status: int
) -> None:
    script.answers = [reply("Forbidden", status=status)]
    async with open_client(script) as client:
        with pytest.raises(MerchantSetupError) as caught:
            await client.confirm_payin(TOKEN)
    assert caught.value.reason is Reason.AUTHENTICATION
    assert len(script.seen) == 1


async def test_temporary_refusal_on_confirm_is_retried_until_it_succeeds(script: Script) -> None:
    processing = {"response_code": "01", "response_text": "Echec (Code03)", "wiki": "https://w"}
    script.answers = [reply(processing), reply(processing), reply(CONFIRMED)]
    async with open_client(script) as client:
        confirmation = await client.confirm_payin(TOKEN)
    assert confirmation.status is Status.COMPLETED
    assert len(script.seen) == 3


async def test_temporary_refusal_on_a_post_is_not_retried(script: Script) -> None:
    script.answers = [
        reply({"response_code": "01", "response_text": "Echec (Code09)"}),
        reply({"response_code": "00", "token": TOKEN}),
    ]
    async with open_client(script) as client:
        with pytest.raises(TemporaryError) as caught:
            await client.create_merchant_payout(
                amount=1000,
                phone="22670123456",
                description="R",
                transaction_id="tx-7",
                callback_url=CALLBACK,
            )
    assert caught.value.reason is Reason.PROCESSING_ERROR
    assert len(script.seen) == 1


async def test_response_code_as_a_number_is_understood(script: Script) -> None:
    script.answers = [reply(CONFIRMED | {"response_code": 0})]
    async with open_client(script) as client:
        assert (await client.confirm_payout(TOKEN)).status is Status.COMPLETED


async def test_refused_body_is_logged_in_full_with_secrets_masked(
    script: Script, caplog: pytest.LogCaptureFixture
) -> None:
    refused = {
        "response_code": "01",
        "response_text": "Echec (Code15)",
        "wiki": "https://client.ligdicash.com/wiki/createInvoice",
        "token": TOKEN,
        "customer": "22674123456",
        "echo": API_KEY,
    }
    script.answers = [reply(refused)]
    caplog.set_level(logging.WARNING, logger="payments.client")
    async with open_client(script) as client:
        with pytest.raises(Exception, match="sub-code 15"):
            await client.create_direct_payin(
                INVOICE,
                phone="22674123456",
                otp="654321",
                transaction_id="tx-8",
                callback_url=CALLBACK,
            )
    [record] = [r for r in caplog.records if r.name == "payments.client"]
    assert record.levelno == logging.WARNING
    assert "Echec (Code15)" in record.getMessage()
    assert "wiki/createInvoice" in record.getMessage()
    assert "226XXXX56" in record.getMessage()
    for secret in (API_KEY, TOKEN, "22674123456"):
        assert secret not in caplog.text


async def test_an_answer_echoing_our_keys_never_shows_them(
    script: Script, caplog: pytest.LogCaptureFixture
) -> None:
    async def echo(request: web.Request) -> web.StreamResponse:
        return web.Response(status=500, text=f"<pre>{dict(request.headers)}</pre>")

    script.answers = [echo]
    caplog.set_level(logging.DEBUG)
    async with open_client(script, confirm_retries=1) as client:
        with pytest.raises(ProtocolError) as caught:
            await client.confirm_payin(TOKEN)
        assert API_KEY not in repr(client)
    error = caught.value
    assert "Apikey" in error.body_excerpt
    assert len(script.seen) == 2
    # The loopback server's access log shows the confirm URL; only our own loggers must not.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("payments"))
    assert ours
    for text in (str(error), repr(error), error.body_excerpt, ours):
        assert API_KEY not in text
        assert API_TOKEN not in text
        assert TOKEN not in text


async def test_an_answer_that_is_not_http_is_a_protocol_error() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SMTP ready\r\nnot http at all\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with open_client(Script(base_url=f"http://127.0.0.1:{port}/")) as client:
            with pytest.raises(ProtocolError) as caught:
                await client.create_merchant_payout(
                    amount=1000,
                    phone="22670123456",
                    description="R",
                    transaction_id="tx-9",
                    callback_url=CALLBACK,
                )
        assert caught.value.http_status is None
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    "overrides",
    [
        {"base_url": "app.ligdicash.com/pay/v01/"},
        {"base_url": "ftp://app.ligdicash.com/"},
        {"connect_timeout": 0},
        {"total_timeout": -1},
        {"confirm_retries": -1},
        {"confirm_backoff": -0.5},
    ],
)
def test_bad_client_settings_are_refused_at_construction(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        open_client(Script(base_url="https://app.ligdicash.com/pay/v01/"), **overrides)


async def test_a_client_cannot_be_opened_twice(script: Script) -> None:
    client = open_client(script)
    async with client:
        with pytest.raises(RuntimeError, match="already open"):
            await client.__aenter__()


@pytest.mark.parametrize(
    "answer",
    [
        reply({"response_code": "00", "amount": "100"}),
        reply("<html>maintenance</html>"),
        reply(CONFIRMED, status=404),
    ],
)
async def test_unreadable_confirm_below_500_is_not_retried(script: Script, answer: Answer) -> None:
    script.answers = [answer, reply(CONFIRMED)]
    async with open_client(script) as client:
        with pytest.raises(ProtocolError):
            await client.confirm_payin(TOKEN)
    assert len(script.seen) == 1
