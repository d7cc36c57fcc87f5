"""Rules for the HTTP server: callbacks are capped and only queued, webhooks need the secret."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from telegram import Bot, Update

from bot.emulator import TelegramEmulator
from bot.server import (
    CALLBACK_MAX_BYTES,
    NoticeReceived,
    NoticeRejected,
    ServerDeps,
    build_web_app,
)

SECRET = "s3cret-Token_1"


class Probe:
    """The server with a real queue and bot, plus a switch for the health answer."""

    def __init__(self, server: TestServer, queue: asyncio.Queue[object]) -> None:
        self.server = server
        self.queue = queue
        self.healthy = True

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


@pytest.fixture
async def probe(emulator: TelegramEmulator) -> AsyncIterator[Probe]:
    queue: asyncio.Queue[object] = asyncio.Queue()
    bot = Bot(emulator.token, base_url=emulator.base_url)
    holder: list[Probe] = []

    async def health() -> Mapping[str, bool]:
        return {"database": True, "telegram": holder[0].healthy}

    app: web.Application = build_web_app(
        ServerDeps(
            update_queue=queue,
            bot=bot,
            health=health,
            bot_username=lambda: "ligdi_test_bot",
            webhook_secret=SecretStr(SECRET),
        )
    )
    server = TestServer(app)
    await server.start_server()
    holder.append(Probe(server, queue))
    try:
        yield holder[0]
    finally:
        await server.close()


CALLBACK = {
    "status": "completed",
    "montant": "2500",
    "token": "",
    "custom_data": [{"keyof_customdata": "transaction_id", "valueof_customdata": "tx-1"}],
}


async def test_a_callback_is_acknowledged_and_queued_as_a_notice(probe: Probe) -> None:
    async with ClientSession() as http:
        response = await http.post(probe.url("/ligdicash/callback"), json=CALLBACK)
        assert response.status == 200
    item = probe.queue.get_nowait()
    assert isinstance(item, NoticeReceived)
    assert item.notice.transaction_id == "tx-1"
    assert item.notice.amount == 2500


async def test_a_form_callback_is_queued_too(probe: Probe) -> None:
    form = {"status": "notcompleted", "montant": "2500", "custom_data[transaction_id]": "tx-2"}
    async with ClientSession() as http:
        response = await http.post(probe.url("/ligdicash/callback"), data=form)
        assert response.status == 200
    item = probe.queue.get_nowait()
    assert isinstance(item, NoticeReceived)
    assert item.notice.transaction_id == "tx-2"


@pytest.mark.parametrize(
    "body",
    [b"not json at all", b"{}", b'{"status": "completed"}', b"[" * 5000, b"\xff\xfe"],
)
async def test_a_malformed_callback_gets_400_and_is_logged_not_applied(
    probe: Probe, body: bytes
) -> None:
    async with ClientSession() as http:
        response = await http.post(
            probe.url("/ligdicash/callback"),
            data=body,
            headers={"Content-Type": "application/json"},
        )
        assert response.status == 400
    assert isinstance(probe.queue.get_nowait(), NoticeRejected)


async def test_an_oversized_callback_is_refused_unread(probe: Probe) -> None:
    async with ClientSession() as http:
        response = await http.post(
            probe.url("/ligdicash/callback"),
            data=b"x" * (CALLBACK_MAX_BYTES + 1),
            headers={"Content-Type": "application/json"},
        )
        assert response.status == 413
    assert probe.queue.empty()


@pytest.mark.parametrize("header", [None, "", "wrong", SECRET + "x", SECRET.lower()])
async def test_a_webhook_update_without_the_secret_is_forbidden(
    probe: Probe, header: str | None
) -> None:
    headers = {} if header is None else {"X-Telegram-Bot-Api-Secret-Token": header}
    async with ClientSession() as http:
        response = await http.post(probe.url("/telegram"), json={"update_id": 1}, headers=headers)
        assert response.status == 403
    assert probe.queue.empty()


async def test_a_webhook_update_with_the_secret_is_queued(probe: Probe) -> None:
    update = {
        "update_id": 7,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "Awa"},
            "text": "/start",
        },
    }
    async with ClientSession() as http:
        response = await http.post(
            probe.url("/telegram"),
            data=json.dumps(update),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert response.status == 200
    item = probe.queue.get_nowait()
    assert isinstance(item, Update)
    assert item.update_id == 7


async def test_an_unreadable_webhook_update_is_a_400(probe: Probe) -> None:
    async with ClientSession() as http:
        response = await http.post(
            probe.url("/telegram"),
            data=b"[1, 2]",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert response.status == 400


async def test_health_says_503_when_a_dependency_is_down(probe: Probe) -> None:
    async with ClientSession() as http:
        ok = await http.get(probe.url("/healthz"))
        assert ok.status == 200
        assert (await ok.json())["checks"] == {"database": True, "telegram": True}
        probe.healthy = False
        down = await http.get(probe.url("/healthz"))
        assert down.status == 503
        assert (await down.json())["status"] == "degraded"


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/payment/return", "Merci"), ("/payment/cancel", "Paiement annulé")],
)
async def test_landing_pages_send_the_customer_back_to_telegram(
    probe: Probe, path: str, expected: str
) -> None:
    async with ClientSession() as http:
        response = await http.get(probe.url(path), params={"ref": "LB-7K3F9Q<script>"})
        page = await response.text()
    assert response.status == 200
    assert expected in page
    assert "https://t.me/ligdi_test_bot" in page
    assert "LB-7K3F9Q&lt;script&gt;" in page
    assert "<script>" not in page
