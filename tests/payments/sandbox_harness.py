"""A loopback rig for the sandbox tests: the sandbox served on port 0, a bare aiohttp caller,
and a merchant server that records callbacks. The sandbox is tested without our client."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestServer
from yarl import URL

from payments.sandbox import DEFAULT_API_KEY, DEFAULT_API_TOKEN, Sandbox, SandboxConfig

API_HEADERS = {"Apikey": DEFAULT_API_KEY, "Authorization": f"Bearer {DEFAULT_API_TOKEN}"}
FAST = SandboxConfig(approval_delay=0.02, payout_delay=0.02, callback_delay=0.01, hang_seconds=30.0)

ORANGE = "22676123456"
MOOV = "22670123456"
TELECEL = "22658123456"

HOSTED = "redirect/checkout-invoice/create"
DIRECT = "straight/checkout-invoice/create"
PAYIN_CONFIRM = "redirect/checkout-invoice/confirm/"
CLIENT_PAYOUT = "withdrawal/create"
MERCHANT_PAYOUT = "straight/payout"
WITHDRAWAL_CONFIRM = "withdrawal/confirm/"
STRAIGHT_PAYOUT_CONFIRM = "straight/payout/confirm/"


def item(
    name: str = "Sac de riz 25 kg", quantity: int = 2, unit_price: int = 15_000
) -> dict[str, Any]:
    """One invoice line with its arithmetic right."""
    return {
        "name": name,
        "description": "Riz parfumé",
        "quantity": quantity,
        "unit_price": unit_price,
        "total_price": quantity * unit_price,
    }


def payin_body(
    *,
    items: list[dict[str, Any]] | None = None,
    customer: str = "",
    otp: str = "",
    callback_url: str = "",
    return_url: str = "",
    cancel_url: str = "",
    transaction_id: str = "tx-0001",
    store_name: str = "Boutique Wend-Kuuni",
) -> dict[str, Any]:
    """A payin `commande` as Ligdicash documents it (hosted when customer and otp are empty)."""
    lines = items if items is not None else [item(), item("Huile 5 L", 1, 10_000)]
    return {
        "commande": {
            "invoice": {
                "items": lines,
                "total_amount": sum(line["total_price"] for line in lines),
                "devise": "XOF",
                "description": "Commande Telegram",
                "customer": customer,
                "customer_firstname": "Awa",
                "customer_lastname": "Ouédraogo",
                "customer_email": "awa@example.com",
                "external_id": "",
                "otp": otp,
            },
            "store": {"name": store_name, "website_url": "https://boutique.example"},
            "actions": {
                "cancel_url": cancel_url,
                "return_url": return_url,
                "callback_url": callback_url,
            },
            "custom_data": {"transaction_id": transaction_id, "order_id": "42"},
        }
    }


def payout_body(
    *,
    amount: int = 5_000,
    customer: str = MOOV,
    callback_url: str = "",
    transaction_id: str = "refund-0001",
    top_up_wallet: int | None = 0,
) -> dict[str, Any]:
    """A flat payout `commande`; `top_up_wallet=None` leaves the key out."""
    commande: dict[str, Any] = {
        "amount": amount,
        "devise": "XOF",
        "description": "Remboursement",
        "customer": customer,
        "callback_url": callback_url,
        "custom_data": {"transaction_id": transaction_id},
    }
    if top_up_wallet is not None:
        commande["top_up_wallet"] = top_up_wallet
    return {"commande": commande}


def unused_port() -> int:
    """A loopback port nobody listens on (bound once by the OS, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Api:
    """Plain aiohttp calls to the sandbox's Ligdicash endpoints."""

    def __init__(self, session: aiohttp.ClientSession, root: URL) -> None:
        self.session = session
        self.root = root
        self.base = root / "pay" / "v01"

    def url(self, path: str) -> URL:
        """The absolute URL of an API path such as `withdrawal/create`."""
        return URL(f"{self.base}/{path}")

    async def post(
        self, path: str, body: object, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """POST a JSON body and return the JSON answer (HTTP 200 expected)."""
        async with self.session.post(
            self.url(path), json=body, headers=API_HEADERS if headers is None else headers
        ) as response:
            assert response.status == 200, await response.text()
            answer: dict[str, Any] = await response.json()
            return answer

    async def get(
        self, path: str, params: dict[str, str], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """GET with query parameters and return the JSON answer (HTTP 200 expected)."""
        async with self.session.get(
            self.url(path), params=params, headers=API_HEADERS if headers is None else headers
        ) as response:
            assert response.status == 200, await response.text()
            answer: dict[str, Any] = await response.json()
            return answer

    async def confirm_payin(self, token: str) -> dict[str, Any]:
        """The payin confirm call."""
        return await self.get(PAYIN_CONFIRM, {"invoiceToken": token})

    async def confirm_payout(self, token: str) -> dict[str, Any]:
        """The payout confirm call (withdrawal/confirm)."""
        return await self.get(WITHDRAWAL_CONFIRM, {"withdrawalToken": token})


@dataclass
class Callback:
    """One POST the merchant server received."""

    content_type: str
    raw: bytes

    @property
    def is_json(self) -> bool:
        """True for the application/json one."""
        return self.content_type == "application/json"

    def json(self) -> dict[str, Any]:
        """The body of a JSON callback."""
        body: dict[str, Any] = json.loads(self.raw)
        return body

    def form(self) -> dict[str, str]:
        """The fields of a form callback."""
        return dict(parse_qsl(self.raw.decode(), keep_blank_values=True))


@dataclass
class Receiver:
    """The merchant's callback endpoint, on loopback."""

    received: list[Callback] = field(default_factory=list)
    status: int = 200
    url: str = ""
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        """Record the POST and answer `status`."""
        self.received.append(Callback(request.content_type, await request.read()))
        self._arrived.set()
        return web.Response(status=self.status, text="ok")

    async def wait_for(self, count: int, within: float = 3.0) -> list[Callback]:
        """Wait until `count` callbacks arrived and return them in arrival order."""
        async with asyncio.timeout(within):
            while len(self.received) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return list(self.received)


@dataclass
class Rig:
    """Everything a sandbox test touches."""

    sandbox: Sandbox
    server: BaseTestServer
    api: Api
    receiver: Receiver
    session: aiohttp.ClientSession

    @property
    def callback_url(self) -> str:
        """The receiver's URL, with a secret-looking path the sandbox must not log."""
        return self.receiver.url


@asynccontextmanager
async def open_rig(config: SandboxConfig = FAST) -> AsyncIterator[Rig]:
    """Serve a fresh sandbox and a callback receiver on loopback; close both afterwards."""
    receiver = Receiver()
    merchant = web.Application()
    merchant.router.add_post("/ligdicash/callback/{secret}", receiver.handle)
    sandbox = Sandbox(config)
    async with (
        TestServer(merchant, host="127.0.0.1") as merchant_server,
        TestServer(sandbox.app, host="127.0.0.1") as server,
        aiohttp.ClientSession() as session,
    ):
        receiver.url = str(merchant_server.make_url("/ligdicash/callback/s3cr3t-path"))
        try:
            yield Rig(sandbox, server, Api(session, server.make_url("/")), receiver, session)
        finally:
            await sandbox.aclose()
