"""The control API over HTTP (/_emulator), as the playground's web page will use it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.emulator import EMULATOR_KEY, TelegramEmulator

BUTTONS = {"inline_keyboard": [[{"text": "Payer", "callback_data": "pay:1"}]]}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client."""
    async with aiohttp.ClientSession() as session:
        yield session


async def control(
    http: aiohttp.ClientSession, emu: TelegramEmulator, verb: str, path: str, body: Any = None
) -> tuple[int, Any]:
    """Send a control request (JSON body when given); return status and decoded JSON."""
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    async with http.request(verb, f"{emu.url}/_emulator{path}", **kwargs) as response:
        return response.status, await response.json()


async def bot_api(
    http: aiohttp.ClientSession, emu: TelegramEmulator, method: str, **params: Any
) -> dict[str, Any]:
    """Make a Bot API call as the bot would; return the whole envelope."""
    async with http.post(f"{emu.base_url}{emu.token}/{method}", json=params) as response:
        body: dict[str, Any] = await response.json()
        return body


async def test_a_page_can_run_a_whole_button_conversation(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    status, user = await control(http, emulator, "POST", "/users", {"first_name": "Awa"})
    assert status == 201
    assert user["blocked"] is False
    user_id = user["id"]
    status, update = await control(
        http, emulator, "POST", f"/users/{user_id}/messages", {"text": "/start"}
    )
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    sent = await bot_api(
        http, emulator, "sendMessage", chat_id=user_id, text="Payer ?", reply_markup=BUTTONS
    )
    message_id = sent["result"]["message_id"]
    status, press = await control(
        http,
        emulator,
        "POST",
        f"/users/{user_id}/button",
        {"message_id": message_id, "text": "Payer"},
    )
    query_id = press["callback_query"]["id"]
    _, unanswered = await control(http, emulator, "GET", f"/callback-queries/{query_id}")
    assert unanswered == {"answer": None}
    await bot_api(http, emulator, "answerCallbackQuery", callback_query_id=query_id, text="OK")
    _, answered = await control(http, emulator, "GET", f"/callback-queries/{query_id}")
    assert answered["answer"]["text"] == "OK"
    _, chat = await control(http, emulator, "GET", f"/chats/{user_id}/messages")
    assert [(m["from_bot"], m["text"]) for m in chat["messages"]] == [
        (False, "/start"),
        (True, "Payer ?"),
    ]
    _, bot_only = await control(http, emulator, "GET", f"/chats/{user_id}/messages?sender=bot")
    assert [m["message_id"] for m in bot_only["messages"]] == [message_id]


async def test_contacts_and_blocking_over_http(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    _, update = await control(
        http, emulator, "POST", f"/users/{user.id}/contact", {"phone_number": "22670123456"}
    )
    assert update["message"]["contact"] == {
        "phone_number": "22670123456",
        "first_name": "Awa",
        "user_id": user.id,
    }
    _, blocked = await control(http, emulator, "POST", f"/users/{user.id}/block", {})
    assert blocked["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    _, profile = await control(http, emulator, "GET", f"/users/{user.id}")
    assert profile["blocked"] is True
    await control(http, emulator, "POST", f"/users/{user.id}/unblock", {})
    _, users = await control(http, emulator, "GET", "/users")
    assert [u["blocked"] for u in users] == [False]


async def test_state_changing_requests_must_be_json(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    # A cross-site form post (text/plain needs no CORS preflight) must not drive the emulator.
    async with http.post(f"{emulator.url}/_emulator/users", data="first_name=Eve") as response:
        assert response.status == 415
    assert emulator.users() == []


@pytest.mark.parametrize(
    ("verb", "path", "body", "error"),
    [
        ("POST", "/users/9/messages", {"text": "x"}, "no user 9; create_user() first"),
        ("POST", "/users", {}, "first_name is required"),
        ("POST", "/users", {"first_name": 5}, "first_name must be a str"),
        ("POST", "/users/abc/messages", {"text": "x"}, "user_id must be an integer"),
        ("GET", "/chats/1/messages?sender=robot", None, "sender must be bot, user or any"),
        ("PUT", "/latency", {"seconds": -1}, "latency must not be negative"),
        ("PUT", "/flood", {"enabled": True, "chat_rate": -1.0}, "flood rates must be positive"),
        ("POST", "/storm", {"retry_after": 2}, "a storm needs calls or seconds"),
    ],
)
async def test_bad_control_requests_say_what_is_wrong(
    emulator: TelegramEmulator,
    http: aiohttp.ClientSession,
    verb: str,
    path: str,
    body: Any,
    error: str,
) -> None:
    emulator.create_user("Awa", user_id=1)
    assert await control(http, emulator, verb, path, body) == (400, {"error": error})


async def test_switches_change_what_the_bot_sees(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    assert await control(http, emulator, "PUT", "/flood", {"enabled": True, "chat_burst": 1}) == (
        200,
        {
            "enabled": True,
            "overall_rate": 30.0,
            "overall_burst": 40,
            "chat_rate": 1.0,
            "chat_burst": 1,
        },
    )
    await control(http, emulator, "PUT", "/flood", {"enabled": False})
    assert emulator.flood_limits is None
    assert await control(http, emulator, "PUT", "/latency", {"seconds": 0.01}) == (
        200,
        {"seconds": 0.01},
    )
    await control(http, emulator, "POST", "/storm", {"retry_after": 4, "calls": 1})
    refused = await bot_api(http, emulator, "sendMessage", chat_id=user.id, text="x")
    assert refused["parameters"] == {"retry_after": 4}
    await control(http, emulator, "POST", "/storm", {"retry_after": 4, "seconds": 60})
    assert await control(http, emulator, "DELETE", "/storm") == (200, {"storm_active": False})
    assert (await bot_api(http, emulator, "sendMessage", chat_id=user.id, text="x"))["ok"]
    _, counters = await control(http, emulator, "GET", "/counters")
    assert counters == {"sendMessage": 2}
    _, calls = await control(http, emulator, "GET", "/calls?method=sendMessage")
    assert [c["status"] for c in calls] == [429, 200]


async def test_files_are_served_for_the_page_without_the_token(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Admin")
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user.id))
    form.add_field("document", b"a;b\n1;2\n", filename="ventes.csv", content_type="text/csv")
    async with http.post(f"{emulator.base_url}{emulator.token}/sendDocument", data=form) as resp:
        file_id = (await resp.json())["result"]["document"]["file_id"]
    async with http.get(f"{emulator.url}/_emulator/files/{file_id}") as response:
        assert await response.read() == b"a;b\n1;2\n"
        assert response.content_type == "text/csv"
        assert response.headers["Content-Disposition"] == 'inline; filename="ventes.csv"'
    status, missing = await control(http, emulator, "GET", "/files/nope")
    assert (status, missing) == (404, {"error": "no file nope"})


async def test_summary_webhook_and_commands_are_readable(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    await bot_api(
        http, emulator, "setMyCommands", commands=[{"command": "start", "description": "Menu"}]
    )
    _, summary = await control(http, emulator, "GET", "")
    assert summary["bot"]["username"] == emulator.config.bot_username
    assert "sendMessage" in summary["methods"]
    assert summary["flood"] == {"enabled": False}
    _, webhook = await control(http, emulator, "GET", "/webhook")
    assert webhook == {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    _, commands = await control(http, emulator, "GET", "/commands")
    assert commands == [{"command": "start", "description": "Menu"}]
    _, events = await control(http, emulator, "GET", "/events?after=0")
    assert [e["kind"] for e in events] == ["call"]


async def read_sse(response: aiohttp.ClientResponse) -> dict[str, str]:
    """Read one server-sent event (skipping keep-alive comments)."""
    fields: dict[str, str] = {}
    while True:
        line = (await response.content.readline()).decode().rstrip("\n")
        if not line:
            if fields:
                return fields
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(": ")
        fields[name] = value


async def test_events_stream_as_server_sent_events_and_resume(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    async with (
        asyncio.timeout(5),
        http.get(f"{emulator.url}/_emulator/events/stream") as stream,
    ):
        assert stream.content_type == "text/event-stream"
        await emulator.inject_text(user.id, "Bonjour")
        first = await read_sse(stream)
        second = await read_sse(stream)
    assert first["event"] == "message"
    assert json.loads(first["data"])["data"]["text"] == "Bonjour"
    assert (second["event"], int(second["id"])) == ("update", int(first["id"]) + 1)
    headers = {"Last-Event-ID": first["id"]}
    async with (
        asyncio.timeout(5),
        http.get(f"{emulator.url}/_emulator/events/stream", headers=headers) as resumed,
    ):
        replayed = await read_sse(resumed)
    assert replayed["id"] == second["id"]


async def test_mounted_in_another_app_it_stops_with_that_app(
    http: aiohttp.ClientSession,
) -> None:
    emu = TelegramEmulator()
    parent = web.Application()
    parent.add_subapp("/telegram", emu.app)
    assert emu.app[EMULATOR_KEY] is emu
    server = TestServer(parent, host="127.0.0.1")
    await server.start_server()
    api = str(server.make_url(f"/telegram/bot{emu.token}"))
    async with http.post(f"{api}/getMe") as response:
        assert (await response.json())["result"]["is_bot"] is True
    poll = asyncio.create_task(http.post(f"{api}/getUpdates", json={"timeout": 30}))
    await emu.wait_until(lambda: emu.waiting_polls == 1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await server.close()
    # The parent's shutdown ends the pending long poll instead of waiting 30 s for it.
    assert loop.time() - started < 2
    response = await poll
    assert (await response.json())["result"] == []
    response.release()
    await emu.aclose()
