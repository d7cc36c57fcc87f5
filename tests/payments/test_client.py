"""The Ligdicash client against the real sandbox on loopback: flows, every error class, timeouts."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import test_utils, web
from pydantic import SecretStr

from payments.client import LigdicashClient
from payments.errors import (
    CustomerFixableError,
    Endpoint,
    InvalidRequestError,
    LigdicashError,
    MerchantSetupError,
    NotFoundError,
    ProtocolError,
    Reason,
    TransportError,
)
from payments.models import Confirmation, Invoice, LineItem, PayoutCreated
from payments.notice import parse_notice
from payments.sandbox import Sandbox, SandboxConfig
from payments.status import Status

API_KEY = "key-SECRET-7f3a9c"
API_TOKEN = "token-SECRET-41be07"
ORANGE = "22674123456"
MOOV = "22670123456"
CALLBACK = "https://shop.example/ligdicash/callback"
SANDBOX_ENDPOINTS = (
    "hosted_payin",
    "direct_payin",
    "payin_confirm",
    "client_payout",
    "merchant_payout",
    "payout_confirm",
)


@dataclass
class Rig:
    """A running sandbox, its API base URL, and a way to open clients on it."""

    sandbox: Sandbox
    base_url: str
    stack: AsyncExitStack
    transaction_counter: list[int] = field(default_factory=lambda: [0])

    async def client(self, **overrides: Any) -> LigdicashClient:
        """Open a client (closed with the rig) with test-sized timeouts and backoff."""
        settings: dict[str, Any] = {
            "base_url": self.base_url,
            "api_key": SecretStr(API_KEY),
            "api_token": SecretStr(API_TOKEN),
            "store_name": "Boutique Wend-Panga",
            "store_website_url": "https://shop.example",
            "connect_timeout": 1.0,
            "total_timeout": 3.0,
            "confirm_retries": 2,
            "confirm_backoff": 0.05,
        } | overrides
        return await self.stack.enter_async_context(LigdicashClient(**settings))

    def count(self, endpoint: str) -> int:
        """Requests the sandbox received on `endpoint`."""
        count: int = self.sandbox.request_count(endpoint)
        return count

    def counts(self) -> dict[str, int]:
        """Requests the sandbox received, per API endpoint."""
        return {name: self.count(name) for name in SANDBOX_ENDPOINTS}

    def new_transaction_id(self) -> str:
        """A fresh transaction id (tests need distinct ones, not unguessable ones)."""
        self.transaction_counter[0] += 1
        return f"tx-test-{self.transaction_counter[0]:04d}"


RigFactory = Callable[..., Awaitable[Rig]]


@pytest.fixture
async def make_rig() -> AsyncIterator[RigFactory]:
    """Start sandboxes on loopback with small delays; everything closes after the test."""
    async with AsyncExitStack() as stack:

        async def start(**config: Any) -> Rig:
            settings: dict[str, Any] = {
                "api_key": API_KEY,
                "api_token": API_TOKEN,
                "approval_delay": 0.05,
                "payout_delay": 0.05,
                "callback_delay": 0.0,
                "hang_seconds": 5.0,
            } | config
            sandbox = Sandbox(SandboxConfig(**settings))
            server = test_utils.TestServer(sandbox.app, host="127.0.0.1", port=0)
            await server.start_server()
            stack.push_async_callback(server.close)
            stack.push_async_callback(sandbox.aclose)
            return Rig(sandbox, str(server.make_url("/pay/v01/")), stack)

        yield start


@pytest.fixture
async def rig(make_rig: RigFactory) -> Rig:
    """A default sandbox."""
    return await make_rig()


def invoice(total: int = 4_000) -> Invoice:
    """An invoice of two lines summing to `total` XOF (total must be even)."""
    return Invoice(
        items=(
            LineItem(name="Savon", description="Savon karité", quantity=2, unit_price=total // 4),
            LineItem(name="Beurre", quantity=1, unit_price=total // 2),
        ),
        description="Commande LB-7K3F9Q",
        customer_firstname="Awa",
        customer_lastname="Ouédraogo",
        customer_email="awa@example.bf",
    )


async def hosted(client: LigdicashClient, rig: Rig, **changes: Any) -> Any:
    """Create a hosted payin with test URLs."""
    arguments: dict[str, Any] = {
        "transaction_id": rig.new_transaction_id(),
        "callback_url": CALLBACK,
        "return_url": "https://shop.example/return",
        "cancel_url": "https://shop.example/cancel",
    } | changes
    return await client.create_hosted_payin(invoice(), **arguments)


async def until_final(
    confirm: Callable[[str], Awaitable[Confirmation]], token: str, *, within: float = 3.0
) -> Confirmation:
    """Confirm until the status is final or `within` seconds passed (sandbox delays are ~50 ms)."""
    deadline = time.monotonic() + within
    while True:
        confirmation = await confirm(token)
        if confirmation.status is not Status.PENDING or time.monotonic() > deadline:
            return confirmation
        await asyncio.sleep(0.02)


async def create_payout(
    client: LigdicashClient, kind: str, arguments: dict[str, Any]
) -> PayoutCreated:
    """Create a client payout (to the wallet and on to mobile money) or a merchant payout."""
    if kind == "client":
        return await client.create_client_payout(top_up_wallet=False, **arguments)
    return await client.create_merchant_payout(**arguments)


async def until(predicate: Callable[[], bool]) -> None:
    """Wait until `predicate` holds (fails the test after 3 s)."""
    async with asyncio.timeout(3):
        # The sandbox's counters have no event to wait on: poll them.
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.002)


# --- flows ------------------------------------------------------------------------------------


async def test_hosted_payin_gives_a_payment_url_and_is_paid_on_the_page(rig: Rig) -> None:
    client = await rig.client()
    transaction_id = rig.new_transaction_id()
    created = await hosted(client, rig, transaction_id=transaction_id, custom_data={"o": "1"})
    assert created.payment_url is not None
    assert created.payment_url.startswith("http://127.0.0.1:")
    assert created.token.count(".") == 2

    pending = await client.confirm_payin(created.token)
    assert pending.status is Status.PENDING
    assert pending.transaction_id == transaction_id

    await rig.sandbox.pay(created.token, operator="moov")
    paid = await client.confirm_payin(created.token)
    assert paid.status is Status.COMPLETED
    assert paid.amount == 4_000
    assert paid.operator_name == "MOOV AFRICA BURKINA"
    assert paid.operator_id == "12"
    assert paid.custom_data["o"] == "1"
    assert paid.request_id
    assert paid.date is not None
    assert paid.date.tzinfo is not None


async def test_hosted_payin_cancelled_on_the_page_confirms_as_failed(rig: Rig) -> None:
    client = await rig.client()
    created = await hosted(client, rig)
    await rig.sandbox.cancel(created.token)
    assert (await client.confirm_payin(created.token)).status is Status.FAILED


async def test_orange_otp_payin_completes_at_once(rig: Rig) -> None:
    client = await rig.client()
    transaction_id = rig.new_transaction_id()
    created = await client.create_direct_payin(
        invoice(), phone=ORANGE, otp="482913", transaction_id=transaction_id, callback_url=CALLBACK
    )
    assert created.token
    confirmation = await until_final(client.confirm_payin, created.token)
    assert confirmation.status is Status.COMPLETED
    assert confirmation.amount == 4_000
    assert confirmation.operator_name == "ORANGE BURKINA"
    assert confirmation.transaction_id == transaction_id


async def test_orange_otp_declined_by_the_operator_ends_failed(rig: Rig) -> None:
    client = await rig.client()
    created = await client.create_direct_payin(
        invoice(),
        phone=ORANGE,
        otp="111111",
        transaction_id=rig.new_transaction_id(),
        callback_url=CALLBACK,
    )
    assert (await until_final(client.confirm_payin, created.token)).status is Status.FAILED


@pytest.mark.parametrize(
    ("phone", "status"),
    [(MOOV, Status.COMPLETED), ("22670123499", Status.FAILED), ("22670123498", Status.PENDING)],
)
async def test_moov_approval_payin_ends_as_the_customer_answers(
    rig: Rig, phone: str, status: Status
) -> None:
    client = await rig.client()
    created = await client.create_direct_payin(
        invoice(),
        phone=phone,
        otp="",
        transaction_id=rig.new_transaction_id(),
        callback_url=CALLBACK,
    )
    assert (await client.confirm_payin(created.token)).status is Status.PENDING
    await asyncio.sleep(0.15)
    within = 3.0 if status is not Status.PENDING else 0.3
    confirmation = await until_final(client.confirm_payin, created.token, within=within)
    assert confirmation.status is status


@pytest.mark.parametrize(
    ("phone", "status"),
    [(MOOV, Status.COMPLETED), ("22670123499", Status.FAILED), ("22670123498", Status.PENDING)],
)
@pytest.mark.parametrize("kind", ["client", "merchant"])
async def test_payouts_end_as_the_sandbox_decides(
    rig: Rig, kind: str, phone: str, status: Status
) -> None:
    client = await rig.client()
    transaction_id = rig.new_transaction_id()
    common: dict[str, Any] = {
        "amount": 1_500,
        "phone": phone,
        "description": "Remboursement LB-7K3F9Q",
        "transaction_id": transaction_id,
        "callback_url": CALLBACK,
    }
    created = await create_payout(client, kind, common)
    await asyncio.sleep(0.15)
    within = 3.0 if status is not Status.PENDING else 0.3
    confirmation = await until_final(client.confirm_payout, created.token, within=within)
    assert confirmation.status is status
    assert confirmation.transaction_id == transaction_id
    if status is Status.COMPLETED:
        assert confirmation.amount == 1_500


# --- refusals (RejectedError subclasses) ------------------------------------------------------


@pytest.mark.parametrize(
    ("otp", "sub_code", "reason"),
    [("000000", "15", Reason.WRONG_OTP), ("999999", "16", Reason.EXPIRED_OTP)],
)
async def test_wrong_or_expired_otp_is_customer_fixable(
    rig: Rig, otp: str, sub_code: str, reason: Reason
) -> None:
    client = await rig.client()
    with pytest.raises(CustomerFixableError) as caught:
        await client.create_direct_payin(
            invoice(),
            phone=ORANGE,
            otp=otp,
            transaction_id=rig.new_transaction_id(),
            callback_url=CALLBACK,
        )
    error = caught.value
    assert (error.endpoint, error.sub_code, error.reason) == (
        Endpoint.DIRECT_PAYIN,
        sub_code,
        reason,
    )
    assert error.response_text == f"Echec (Code{sub_code})"
    assert error.wiki is not None
    assert "OTP" in error.message("fr")
    assert rig.count("direct_payin") == 1


async def test_amount_below_the_moov_minimum_is_customer_fixable(rig: Rig) -> None:
    client = await rig.client()
    with pytest.raises(CustomerFixableError) as caught:
        await client.create_direct_payin(
            invoice(total=40),
            phone=MOOV,
            otp="",
            transaction_id=rig.new_transaction_id(),
            callback_url=CALLBACK,
        )
    assert caught.value.reason is Reason.AMOUNT_OUT_OF_RANGE
    assert "montant" in caught.value.message("fr")


def _six_calls(rig: Rig) -> dict[str, Callable[[LigdicashClient], Awaitable[object]]]:
    payout: dict[str, Any] = {
        "amount": 1_000,
        "phone": MOOV,
        "description": "Remboursement",
        "callback_url": CALLBACK,
    }
    return {
        "hosted_payin": lambda c: hosted(c, rig),
        "direct_payin": lambda c: c.create_direct_payin(
            invoice(),
            phone=ORANGE,
            otp="123456",
            transaction_id=rig.new_transaction_id(),
            callback_url=CALLBACK,
        ),
        "payin_confirm": lambda c: c.confirm_payin("eyJ.unknown.token"),
        "client_payout": lambda c: c.create_client_payout(
            top_up_wallet=True, transaction_id=rig.new_transaction_id(), **payout
        ),
        "merchant_payout": lambda c: c.create_merchant_payout(
            transaction_id=rig.new_transaction_id(), **payout
        ),
        "payout_confirm": lambda c: c.confirm_payout("eyJ.unknown.token"),
    }


@pytest.mark.parametrize("endpoint", SANDBOX_ENDPOINTS)
async def test_wrong_credentials_are_a_merchant_setup_error_and_never_retried(
    rig: Rig, endpoint: str
) -> None:
    client = await rig.client(api_key=SecretStr("not-the-key"))
    with pytest.raises(MerchantSetupError) as caught:
        await _six_calls(rig)[endpoint](client)
    assert (caught.value.sub_code, caught.value.reason) == ("00", Reason.AUTHENTICATION)
    assert rig.count(endpoint) == 1


@pytest.mark.parametrize(("kind", "sub_code"), [("client", "04"), ("merchant", "08")])
async def test_payout_above_the_merchant_balance_is_a_merchant_setup_error(
    make_rig: RigFactory, kind: str, sub_code: str
) -> None:
    rig = await make_rig(merchant_balance=1_000)
    client = await rig.client()
    payout: dict[str, Any] = {
        "amount": 5_000,
        "phone": MOOV,
        "description": "Remboursement",
        "transaction_id": rig.new_transaction_id(),
        "callback_url": CALLBACK,
    }
    with pytest.raises(MerchantSetupError) as caught:
        await create_payout(client, kind, payout)
    assert (caught.value.sub_code, caught.value.reason) == (sub_code, Reason.BALANCE_TOO_LOW)


@pytest.mark.parametrize("endpoint", ["payin_confirm", "payout_confirm"])
async def test_confirm_of_an_unknown_token_is_not_found_and_not_retried(
    rig: Rig, endpoint: str
) -> None:
    client = await rig.client()
    with pytest.raises(NotFoundError) as caught:
        await _six_calls(rig)[endpoint](client)
    assert caught.value.sub_code == "02"
    assert rig.count(endpoint) == 1


# --- local refusals -------------------------------------------------------------------------


VALID_ARGUMENTS: dict[str, dict[str, Any]] = {
    "create_hosted_payin": {
        "callback_url": CALLBACK,
        "return_url": CALLBACK,
        "cancel_url": CALLBACK,
    },
    "create_direct_payin": {"phone": ORANGE, "otp": "", "callback_url": CALLBACK},
    "create_client_payout": {
        "amount": 1_000,
        "phone": MOOV,
        "description": "R",
        "top_up_wallet": True,
        "callback_url": CALLBACK,
    },
    "create_merchant_payout": {
        "amount": 1_000,
        "phone": MOOV,
        "description": "R",
        "callback_url": CALLBACK,
    },
}


@pytest.mark.parametrize(
    ("method", "bad", "field"),
    [
        ("create_direct_payin", {"phone": "70123456"}, "phone"),
        ("create_direct_payin", {"phone": "+22670123456"}, "phone"),
        ("create_merchant_payout", {"phone": "226 70 12 34 56"}, "phone"),
        ("create_direct_payin", {"otp": "12 34"}, "otp"),
        ("create_direct_payin", {"otp": "123"}, "otp"),
        ("create_direct_payin", {"otp": "١٢٣٤٥٦"}, "otp"),
        ("create_direct_payin", {"callback_url": "/cb"}, "callback_url"),
        ("create_hosted_payin", {"transaction_id": ""}, "transaction_id"),
        ("create_hosted_payin", {"transaction_id": "a b"}, "transaction_id"),
        ("create_hosted_payin", {"return_url": "ftp://x"}, "return_url"),
        ("create_hosted_payin", {"cancel_url": ""}, "cancel_url"),
        ("create_hosted_payin", {"custom_data": {"transaction_id": "other"}}, "custom_data"),
        ("create_hosted_payin", {"custom_data": {"n": 1}}, "custom_data"),
        ("create_merchant_payout", {"amount": 499}, "amount"),
        ("create_merchant_payout", {"amount": 2_000_001}, "amount"),
        ("create_client_payout", {"amount": 1_000.0}, "amount"),
        ("create_client_payout", {"description": " "}, "description"),
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    rig: Rig, method: str, bad: dict[str, Any], field: str
) -> None:
    client = await rig.client()
    arguments = VALID_ARGUMENTS[method] | {"transaction_id": rig.new_transaction_id()} | bad
    if method.endswith("payin"):
        arguments["invoice"] = invoice()
    with pytest.raises(InvalidRequestError) as caught:
        await getattr(client, method)(**arguments)
    assert caught.value.field == field
    assert sum(rig.counts().values()) == 0


@pytest.mark.parametrize("token", ["", "  "])
async def test_confirm_without_a_token_is_refused_before_any_request(rig: Rig, token: str) -> None:
    client = await rig.client()
    for confirm in (client.confirm_payin, client.confirm_payout):
        with pytest.raises(InvalidRequestError):
            await confirm(token)
    assert sum(rig.counts().values()) == 0


# --- transport and protocol failures ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["client", "merchant"])
async def test_hanging_payout_times_out_as_maybe_delivered_after_one_request(
    rig: Rig, kind: str
) -> None:
    client = await rig.client(total_timeout=0.3)
    arguments: dict[str, Any] = {
        "amount": 1_000,
        "phone": "22670123497",
        "description": "Remboursement",
        "transaction_id": rig.new_transaction_id(),
        "callback_url": CALLBACK,
    }
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        await create_payout(client, kind, arguments)
    assert caught.value.maybe_delivered is True
    assert time.monotonic() - started < 2
    assert rig.count(f"{kind}_payout") == 1


async def test_connection_refused_is_not_delivered(rig: Rig) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = await rig.client(base_url=f"http://127.0.0.1:{port}/pay/v01/")
    with pytest.raises(TransportError) as caught:
        await client.create_merchant_payout(
            amount=1_000,
            phone=MOOV,
            description="Remboursement",
            transaction_id=rig.new_transaction_id(),
            callback_url=CALLBACK,
        )
    assert caught.value.maybe_delivered is False
    assert caught.value.endpoint is Endpoint.MERCHANT_PAYOUT


async def test_waiting_too_long_for_a_connection_is_not_delivered(rig: Rig) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        client = await rig.client(session=session, connect_timeout=0.2, total_timeout=0.6)
        payout: dict[str, Any] = {"amount": 1_000, "description": "R", "callback_url": CALLBACK}
        hanging = asyncio.create_task(
            client.create_merchant_payout(
                phone="22670123497", transaction_id=rig.new_transaction_id(), **payout
            )
        )
        try:
            await until(lambda: rig.count("merchant_payout") == 1)
            with pytest.raises(TransportError) as caught:
                await client.create_merchant_payout(
                    phone=MOOV, transaction_id=rig.new_transaction_id(), **payout
                )
        finally:
            [hung] = await asyncio.gather(hanging, return_exceptions=True)
    assert caught.value.maybe_delivered is False
    assert rig.count("merchant_payout") == 1
    assert isinstance(hung, TransportError)
    assert hung.maybe_delivered is True


async def test_5xx_on_confirm_is_retried_until_it_succeeds(rig: Rig) -> None:
    client = await rig.client(confirm_backoff=0.2)
    created = await hosted(client, rig)
    rig.sandbox.faults.update({"fail": ["payin_confirm"]})
    confirming = asyncio.create_task(client.confirm_payin(created.token))
    await until(lambda: rig.count("payin_confirm") == 1)
    rig.sandbox.faults.update({"fail": []})
    assert (await confirming).status is Status.PENDING
    assert rig.count("payin_confirm") == 2


async def test_5xx_on_confirm_gives_up_after_the_configured_retries(rig: Rig) -> None:
    client = await rig.client(confirm_retries=3, confirm_backoff=0.01)
    created = await hosted(client, rig)
    rig.sandbox.faults.update({"fail": ["payout_confirm"]})
    with pytest.raises(ProtocolError) as caught:
        await client.confirm_payout(created.token)
    assert caught.value.http_status == 500
    assert rig.count("payout_confirm") == 4


async def test_hanging_confirm_is_retried_then_reported(rig: Rig) -> None:
    client = await rig.client(total_timeout=0.2, confirm_retries=1, confirm_backoff=0.01)
    rig.sandbox.faults.update({"hang": ["payin_confirm"]})
    with pytest.raises(TransportError) as caught:
        await client.confirm_payin("eyJ.any.token")
    assert caught.value.maybe_delivered is True
    assert rig.count("payin_confirm") == 2


@pytest.mark.parametrize(
    "endpoint", ["hosted_payin", "direct_payin", "client_payout", "merchant_payout"]
)
async def test_5xx_on_a_post_is_never_retried(rig: Rig, endpoint: str) -> None:
    client = await rig.client()
    rig.sandbox.faults.update({"fail": [endpoint]})
    with pytest.raises(ProtocolError) as caught:
        await _six_calls(rig)[endpoint](client)
    assert caught.value.http_status == 500
    assert rig.count(endpoint) == 1


@pytest.mark.parametrize("status", [200, 502])
async def test_non_json_answer_is_a_protocol_error(rig: Rig, status: int) -> None:
    client = await rig.client()
    rig.sandbox.faults.update({"garbage": {"hosted_payin": status}})
    with pytest.raises(ProtocolError) as caught:
        await hosted(client, rig)
    assert caught.value.http_status == status
    assert "Bad Gateway" in caught.value.body_excerpt
    assert rig.count("hosted_payin") == 1


async def test_garbage_502_on_confirm_is_retried(rig: Rig) -> None:
    client = await rig.client(confirm_retries=2, confirm_backoff=0.01)
    rig.sandbox.faults.update({"garbage": {"payin_confirm": 502}})
    with pytest.raises(ProtocolError):
        await client.confirm_payin("eyJ.any.token")
    assert rig.count("payin_confirm") == 3


# --- callbacks --------------------------------------------------------------------------------


@dataclass
class Receiver:
    """A loopback endpoint that records the callbacks it receives."""

    url: str
    received: list[tuple[str, bytes]]
    arrived: asyncio.Event

    async def wait_for(self, count: int) -> None:
        """Wait until `count` callbacks arrived (fails the test after 3 s)."""
        async with asyncio.timeout(3):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """Start a callback receiver on loopback."""
    received: list[tuple[str, bytes]] = []
    arrived = asyncio.Event()

    async def handle(request: web.Request) -> web.Response:
        received.append((request.headers.get("Content-Type", ""), await request.read()))
        arrived.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/callback", handle)
    server = test_utils.TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield Receiver(str(server.make_url("/callback")), received, arrived)
    finally:
        await server.close()


async def test_paid_hosted_payin_calls_back_twice_with_our_transaction_id(
    rig: Rig, receiver: Receiver
) -> None:
    client = await rig.client()
    transaction_id = rig.new_transaction_id()
    created = await hosted(client, rig, transaction_id=transaction_id, callback_url=receiver.url)
    await rig.sandbox.pay(created.token, operator="orange")
    await receiver.wait_for(2)
    notices = [parse_notice(content_type, body) for content_type, body in receiver.received]
    assert {notice.content_kind for notice in notices} == {"json", "form"}
    for notice in notices:
        assert notice.transaction_id == transaction_id
        assert notice.status is Status.COMPLETED
        assert notice.amount == 4_000
    confirmation = await client.confirm_payin(created.token)
    assert confirmation.status is Status.COMPLETED


async def test_payout_calls_back_twice_with_a_token_other_than_the_creation_one(
    rig: Rig, receiver: Receiver
) -> None:
    client = await rig.client()
    transaction_id = rig.new_transaction_id()
    created = await client.create_merchant_payout(
        amount=2_000,
        phone=MOOV,
        description="Remboursement",
        transaction_id=transaction_id,
        callback_url=receiver.url,
    )
    await receiver.wait_for(2)
    notices = [parse_notice(content_type, body) for content_type, body in receiver.received]
    assert {notice.content_kind for notice in notices} == {"json", "form"}
    for notice in notices:
        assert notice.transaction_id == transaction_id
        assert notice.status is Status.COMPLETED
        assert notice.token != created.token


# --- lifecycle and secrets --------------------------------------------------------------------


async def test_client_closes_its_own_session_but_not_one_it_was_given(rig: Rig) -> None:
    async with aiohttp.ClientSession() as session:
        async with LigdicashClient(
            base_url=rig.base_url,
            api_key=SecretStr(API_KEY),
            api_token=SecretStr(API_TOKEN),
            store_name="S",
            store_website_url="https://shop.example",
            session=session,
        ) as client:
            await hosted(client, rig)
        assert not session.closed
    own = LigdicashClient(
        base_url=rig.base_url,
        api_key=SecretStr(API_KEY),
        api_token=SecretStr(API_TOKEN),
        store_name="S",
        store_website_url="https://shop.example",
    )
    async with own:
        await hosted(own, rig)
    with pytest.raises(RuntimeError, match="not open"):
        await own.confirm_payin("eyJ.a.b")


async def test_keys_never_appear_in_reprs_errors_or_logs(
    make_rig: RigFactory, caplog: pytest.LogCaptureFixture
) -> None:
    rig = await make_rig()
    caplog.set_level(logging.DEBUG)
    client = await rig.client(total_timeout=0.3, confirm_retries=1, confirm_backoff=0.01)
    wrong = await rig.client(api_key=SecretStr(API_KEY + "-wrong"))
    errors: list[LigdicashError] = []
    calls: list[Awaitable[object]] = [
        wrong.confirm_payin("eyJ.a.b"),
        client.confirm_payin("eyJ.a.b"),
        client.create_direct_payin(
            invoice(), phone=ORANGE, otp="000000", transaction_id="tx-s1", callback_url=CALLBACK
        ),
        client.create_merchant_payout(
            amount=1_000,
            phone="22670123497",
            description="R",
            transaction_id="tx-s2",
            callback_url=CALLBACK,
        ),
        client.create_merchant_payout(
            amount=1, phone=MOOV, description="R", transaction_id="tx-s3", callback_url=CALLBACK
        ),
    ]
    for call in calls:
        with pytest.raises(LigdicashError) as caught:
            await call
        errors.append(caught.value)
    rig.sandbox.faults.update({"garbage": {"hosted_payin": 200}, "fail": ["direct_payin"]})
    for call in (
        hosted(client, rig),
        client.create_direct_payin(
            invoice(), phone=ORANGE, otp="", transaction_id="tx-s4", callback_url=CALLBACK
        ),
    ):
        with pytest.raises(LigdicashError) as caught:
            await call
        errors.append(caught.value)
    assert {type(error).__name__ for error in errors} >= {
        "MerchantSetupError",
        "NotFoundError",
        "CustomerFixableError",
        "TransportError",
        "InvalidRequestError",
        "ProtocolError",
    }
    texts = [repr(client), repr(wrong), caplog.text]
    for error in errors:
        texts += [str(error), repr(error), repr(error.args), str(error.__cause__)]
        texts += [vars(error).__repr__()]
    for text in texts:
        assert API_KEY not in text
        assert API_TOKEN not in text
