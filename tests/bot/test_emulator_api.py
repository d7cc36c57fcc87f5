"""The emulator's Bot API over plain HTTP: Telegram's envelopes, errors and update semantics."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.emulator import (
    SECRET_HEADER,
    EmulatorConfig,
    EmulatorError,
    EmulatorTimeout,
    TelegramEmulator,
)
from tests.bot.emulator_support import tiny_png

BUTTONS = {"inline_keyboard": [[{"text": "Payer", "callback_data": "pay:1"}]]}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client."""
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, emu: TelegramEmulator, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    """POST a JSON Bot API call; return the HTTP status and the decoded body."""
    async with http.post(f"{emu.base_url}{emu.token}/{method}", json=params) as response:
        return response.status, await response.json()


async def ok(http: aiohttp.ClientSession, emu: TelegramEmulator, method: str, **params: Any) -> Any:
    """Make a call that must succeed and return its result."""
    status, body = await call(http, emu, method, **params)
    assert (status, body["ok"]) == (200, True), body
    return body["result"]


async def refused(
    http: aiohttp.ClientSession, emu: TelegramEmulator, method: str, **params: Any
) -> tuple[int, str]:
    """Make a call that must fail; return its error_code and description."""
    status, body = await call(http, emu, method, **params)
    assert body["ok"] is False
    assert body["error_code"] == status
    return status, body["description"]


async def test_success_uses_telegrams_envelope(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, emulator, "getMe")
    assert status == 200
    assert body["ok"] is True
    assert body["result"]["is_bot"] is True
    assert body["result"]["id"] == emulator.config.bot_id


async def test_method_names_are_case_insensitive_and_get_works(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{emulator.base_url}{emulator.token}/GETME") as response:
        assert (await response.json())["result"]["username"] == emulator.config.bot_username


@pytest.mark.parametrize(
    ("path", "status", "description"),
    [
        ("bot123456:wrong-token/getMe", 401, "Unauthorized"),
        ("botnot-a-token/getMe", 404, "Not Found"),
        ("bot{token}/sendTelepathy", 404, "Not Found"),
    ],
)
async def test_bad_tokens_and_unknown_methods_are_refused(
    emulator: TelegramEmulator,
    http: aiohttp.ClientSession,
    path: str,
    status: int,
    description: str,
) -> None:
    url = f"{emulator.url}/{path.format(token=emulator.token)}"
    async with http.post(url) as response:
        assert response.status == status
        assert await response.json() == {
            "ok": False,
            "error_code": status,
            "description": description,
        }


async def test_form_encoded_parameters_carry_json_encoded_objects(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    form = {"chat_id": str(user.id), "text": "Payer ?", "reply_markup": json.dumps(BUTTONS)}
    async with http.post(f"{emulator.base_url}{emulator.token}/sendMessage", data=form) as resp:
        result = (await resp.json())["result"]
    assert result["reply_markup"] == BUTTONS
    assert result["chat"] == {"id": user.id, "type": "private", "first_name": "Awa"}
    assert result["from"]["is_bot"] is True
    assert isinstance(result["date"], int)


async def test_message_ids_count_per_chat_across_both_sides(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    awa, ali = emulator.create_user("Awa"), emulator.create_user("Ali")
    await emulator.inject_text(awa.id, "/start")
    first = await ok(http, emulator, "sendMessage", chat_id=awa.id, text="Bienvenue")
    other = await ok(http, emulator, "sendMessage", chat_id=ali.id, text="Bienvenue")
    assert (first["message_id"], other["message_id"]) == (2, 1)


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "x"}, "Bad Request: chat_id is empty"),
        ({"chat_id": 42, "text": "x"}, "Bad Request: chat not found"),
        ({"chat_id": "@awa", "text": "x"}, "Bad Request: chat not found"),
        ({"chat_id": "{user}"}, "Bad Request: message text is empty"),
        ({"chat_id": "{user}", "text": "  "}, "Bad Request: message text is empty"),
        ({"chat_id": "{user}", "text": "x" * 4097}, "Bad Request: message is too long"),
        (
            {"chat_id": "{user}", "text": "5.", "parse_mode": "MarkdownV2"},
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
            "with the preceding '\\'",
        ),
        (
            {"chat_id": "{user}", "text": "x", "parse_mode": "BBCode"},
            "Bad Request: unsupported parse_mode",
        ),
        (
            {
                "chat_id": "{user}",
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "x" * 65}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {
                "chat_id": "{user}",
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a"}]]},
            },
            "Bad Request: text buttons are unallowed in the inline keyboard",
        ),
        (
            {"chat_id": "{user}", "text": "x", "reply_markup": {"colour": "red"}},
            "Bad Request: can't parse reply keyboard markup JSON object",
        ),
        (
            {"chat_id": "{user}", "text": "x", "reply_parameters": {"message_id": 99}},
            "Bad Request: message to be replied not found",
        ),
    ],
)
async def test_send_message_refusals_use_telegrams_wording(
    emulator: TelegramEmulator,
    http: aiohttp.ClientSession,
    params: dict[str, Any],
    description: str,
) -> None:
    user = emulator.create_user("Awa")
    if params.get("chat_id") == "{user}":
        params = {**params, "chat_id": user.id}
    assert await refused(http, emulator, "sendMessage", **params) == (400, description)


async def test_a_user_who_never_opened_the_bot_cannot_be_messaged_first(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa", started=False)
    assert await refused(http, emulator, "sendMessage", chat_id=user.id, text="Promo") == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    await emulator.inject_text(user.id, "/start")
    await ok(http, emulator, "sendMessage", chat_id=user.id, text="Bienvenue")


async def test_replies_quote_the_message_they_answer(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    update = await emulator.inject_text(user.id, "70123456")
    asked = update["message"]["message_id"]
    reply = await ok(
        http,
        emulator,
        "sendMessage",
        chat_id=user.id,
        text="Numéro noté",
        reply_parameters={"message_id": asked},
    )
    assert reply["reply_to_message"]["text"] == "70123456"
    lenient = await ok(
        http,
        emulator,
        "sendMessage",
        chat_id=user.id,
        text="x",
        reply_parameters={"message_id": 999, "allow_sending_without_reply": True},
    )
    assert "reply_to_message" not in lenient


async def test_edits_follow_telegrams_rules(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    sent = await ok(
        http, emulator, "sendMessage", chat_id=user.id, text="En attente", reply_markup=BUTTONS
    )
    target = {"chat_id": user.id, "message_id": sent["message_id"]}
    same = await refused(
        http, emulator, "editMessageText", **target, text="En attente", reply_markup=BUTTONS
    )
    assert same[1].startswith("Bad Request: message is not modified: specified new message")
    assert (
        await refused(http, emulator, "editMessageReplyMarkup", **target, reply_markup=BUTTONS)
        == same
    )
    paid = await ok(
        http, emulator, "editMessageText", **target, text="<b>Payé</b>", parse_mode="HTML"
    )
    assert paid["text"] == "Payé"
    assert "reply_markup" not in paid
    assert isinstance(paid["edit_date"], int)
    await ok(http, emulator, "editMessageReplyMarkup", **target, reply_markup=BUTTONS)
    assert emulator.message(user.id, sent["message_id"]).edits == 2
    assert await refused(
        http, emulator, "editMessageText", chat_id=user.id, message_id=99, text="x"
    ) == (400, "Bad Request: message to edit not found")
    own = await emulator.inject_text(user.id, "merci")
    assert await refused(
        http,
        emulator,
        "editMessageText",
        chat_id=user.id,
        message_id=own["message"]["message_id"],
        text="x",
    ) == (400, "Bad Request: message can't be edited")
    assert await refused(http, emulator, "editMessageCaption", **target, caption="x") == (
        400,
        "Bad Request: there is no caption in the message to edit",
    )


async def test_deleted_messages_stay_visible_to_tests_but_not_to_the_bot(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    sent = await ok(http, emulator, "sendMessage", chat_id=user.id, text="Clavier OTP")
    target = {"chat_id": user.id, "message_id": sent["message_id"]}
    assert await ok(http, emulator, "deleteMessage", **target) is True
    assert await refused(http, emulator, "deleteMessage", **target) == (
        400,
        "Bad Request: message to delete not found",
    )
    assert await refused(http, emulator, "editMessageText", **target, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )
    assert [m.deleted for m in emulator.messages(user.id)] == [True]
    assert emulator.last_message(user.id) is None


async def test_photo_messages_edit_their_caption_and_media(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user.id))
    form.add_field("caption", "Produit 1")
    form.add_field("photo", tiny_png(4, 4), filename="p1.png", content_type="image/png")
    async with http.post(f"{emulator.base_url}{emulator.token}/sendPhoto", data=form) as resp:
        sent = (await resp.json())["result"]
    target = {"chat_id": user.id, "message_id": sent["message_id"]}
    assert (await ok(http, emulator, "editMessageCaption", **target, caption="Produit 1 x2"))[
        "caption"
    ] == "Produit 1 x2"
    assert await refused(http, emulator, "editMessageText", **target, text="x") == (
        400,
        "Bad Request: there is no text in the message to edit",
    )
    second = await ok(
        http, emulator, "sendPhoto", chat_id=user.id, photo=sent["photo"][0]["file_id"]
    )
    media = {"type": "photo", "media": second["photo"][0]["file_id"], "caption": "Produit 2"}
    edited = await ok(http, emulator, "editMessageMedia", **target, media=media)
    assert edited["caption"] == "Produit 2"
    assert await refused(
        http, emulator, "sendDocument", chat_id=user.id, document=sent["photo"][0]["file_id"]
    ) == (
        400,
        "Bad Request: type of file mismatch",
    )
    assert await refused(http, emulator, "sendPhoto", chat_id=user.id, photo="nope") == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )


async def test_photos_can_be_sent_by_url(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    async def image(request: web.Request) -> web.Response:
        return web.Response(body=tiny_png(5, 6), content_type="image/png")

    site = web.Application()
    site.router.add_get("/p.png", image)
    user = emulator.create_user("Awa")
    async with TestServer(site, host="127.0.0.1") as server:
        sent = await ok(
            http, emulator, "sendPhoto", chat_id=user.id, photo=str(server.make_url("/p.png"))
        )
        missing = await refused(
            http, emulator, "sendPhoto", chat_id=user.id, photo=str(server.make_url("/none"))
        )
    assert (sent["photo"][0]["width"], sent["photo"][0]["height"]) == (5, 6)
    assert missing == (400, "Bad Request: failed to get HTTP URL content")


async def test_uploads_beyond_aiohttps_default_body_size_are_accepted(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Admin")
    export = b"x" * (2 * 1024 * 1024)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user.id))
    # aiohttp's client wants large bodies as file objects, not raw bytes.
    form.add_field("document", io.BytesIO(export), filename="export.csv")
    async with http.post(f"{emulator.base_url}{emulator.token}/sendDocument", data=form) as resp:
        document = (await resp.json())["result"]["document"]
    assert document["file_size"] == len(export)
    assert emulator.file(document["file_id"]).data == export


async def test_uploads_over_the_size_cap_are_refused() -> None:
    async with (
        TelegramEmulator(EmulatorConfig(max_upload_bytes=1000)) as emu,
        aiohttp.ClientSession() as http,
    ):
        user = emu.create_user("Awa")
        form = aiohttp.FormData()
        form.add_field("chat_id", str(user.id))
        form.add_field("document", b"x" * 5000, filename="big.bin")
        async with http.post(f"{emu.base_url}{emu.token}/sendDocument", data=form) as resp:
            assert resp.status == 413
            assert (await resp.json())["description"] == "Request Entity Too Large"


async def test_file_downloads_need_the_token_and_an_existing_path(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{emulator.base_file_url}{emulator.token}/documents/none.pdf") as resp:
        assert resp.status == 404
    async with http.get(f"{emulator.base_file_url}123:nope/documents/none.pdf") as resp:
        assert resp.status == 401


async def test_callback_queries_are_answered_once_and_in_time(http: aiohttp.ClientSession) -> None:
    async with TelegramEmulator(EmulatorConfig(callback_query_timeout=0.5)) as emu:
        user = emu.create_user("Awa")
        sent = await ok(http, emu, "sendMessage", chat_id=user.id, text="?", reply_markup=BUTTONS)
        first = await emu.press_button(user.id, sent["message_id"], data="pay:1")
        query_id = first["callback_query"]["id"]
        assert first["callback_query"]["message"]["message_id"] == sent["message_id"]
        assert emu.callback_answer(query_id) is None
        await ok(
            http, emu, "answerCallbackQuery", callback_query_id=query_id, text="OK", show_alert=True
        )
        too_old = (
            "Bad Request: query is too old and response timeout expired or query ID is invalid"
        )
        assert await refused(http, emu, "answerCallbackQuery", callback_query_id=query_id) == (
            400,
            too_old,
        )
        answer = emu.callback_answer(query_id)
        assert answer is not None
        assert (answer.text, answer.show_alert) == ("OK", True)
        late = await emu.press_button(user.id, sent["message_id"], text="Payer")
        await asyncio.sleep(0.55)
        assert await refused(
            http, emu, "answerCallbackQuery", callback_query_id=late["callback_query"]["id"]
        ) == (400, too_old)


async def test_button_presses_need_a_live_bot_message_with_that_button(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    old = await ok(http, emulator, "sendMessage", chat_id=user.id, text="1", reply_markup=BUTTONS)
    new = await ok(http, emulator, "sendMessage", chat_id=user.id, text="2", reply_markup=BUTTONS)
    await ok(
        http, emulator, "editMessageReplyMarkup", chat_id=user.id, message_id=new["message_id"]
    )
    with pytest.raises(EmulatorError, match="has no button with callback_data 'pay:1'"):
        await emulator.press_button(user.id, new["message_id"], data="pay:1")
    with pytest.raises(EmulatorError, match="has no button 'Annuler'"):
        await emulator.press_button(user.id, old["message_id"], text="Annuler")
    with pytest.raises(EmulatorError, match="exactly one of"):
        await emulator.press_button(user.id, old["message_id"])
    user_message = await emulator.inject_text(user.id, "salut")
    with pytest.raises(EmulatorError, match="no bot message"):
        await emulator.press_button(user.id, user_message["message"]["message_id"], data="x")
    stale = await emulator.press_button(user.id, old["message_id"], data="pay:1")
    assert stale["callback_query"]["data"] == "pay:1"


async def test_chat_actions_must_be_known(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    assert await ok(http, emulator, "sendChatAction", chat_id=user.id, action="typing") is True
    assert await refused(http, emulator, "sendChatAction", chat_id=user.id, action="dancing") == (
        400,
        "Bad Request: wrong parameter action in request",
    )


async def test_menu_button_is_per_chat_with_a_default(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    assert await ok(http, emulator, "getChatMenuButton", chat_id=user.id) == {"type": "default"}
    await ok(http, emulator, "setChatMenuButton", menu_button={"type": "commands"})
    await ok(
        http,
        emulator,
        "setChatMenuButton",
        chat_id=user.id,
        menu_button={"type": "web_app", "text": "Shop", "web_app": {"url": "https://a.bf"}},
    )
    assert (await ok(http, emulator, "getChatMenuButton", chat_id=user.id))["type"] == "web_app"
    assert await ok(http, emulator, "getChatMenuButton") == {"type": "commands"}


async def test_reply_keyboards_are_remembered_until_removed(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    share = {"keyboard": [[{"text": "Partager mon numéro", "request_contact": True}]]}
    sent = await ok(
        http, emulator, "sendMessage", chat_id=user.id, text="Numéro ?", reply_markup=share
    )
    assert "reply_markup" not in sent
    assert emulator.reply_keyboard(user.id) == share
    await ok(
        http,
        emulator,
        "sendMessage",
        chat_id=user.id,
        text="Merci",
        reply_markup={"remove_keyboard": True},
    )
    assert emulator.reply_keyboard(user.id) is None


async def test_a_newer_get_updates_terminates_the_pending_one(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    first = asyncio.create_task(call(http, emulator, "getUpdates", timeout=5))
    await emulator.wait_until(lambda: emulator.waiting_polls == 1)
    assert await ok(http, emulator, "getUpdates") == []
    status, body = await first
    assert status == 409
    assert body["description"] == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running"
    )


async def test_allowed_updates_filter_new_updates(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    sent = await ok(http, emulator, "sendMessage", chat_id=user.id, text="?", reply_markup=BUTTONS)
    await ok(http, emulator, "getUpdates", allowed_updates=["message"])
    await emulator.press_button(user.id, sent["message_id"], data="pay:1")
    await emulator.inject_text(user.id, "texte")
    updates = await ok(http, emulator, "getUpdates")
    assert [sorted(u.keys()) for u in updates] == [["message", "update_id"]]
    await ok(http, emulator, "getUpdates", offset=updates[-1]["update_id"] + 1, allowed_updates=[])
    await emulator.press_button(user.id, sent["message_id"], data="pay:1")
    assert "callback_query" in (await ok(http, emulator, "getUpdates"))[0]


async def test_negative_offset_keeps_only_the_latest_updates(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    for text in ("a", "b", "c"):
        await emulator.inject_text(user.id, text)
    latest = await ok(http, emulator, "getUpdates", offset=-1)
    assert [u["message"]["text"] for u in latest] == ["c"]
    assert len(emulator.pending_updates()) == 1


async def test_limit_caps_the_batch(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    for text in ("a", "b", "c"):
        await emulator.inject_text(user.id, text)
    assert [u["message"]["text"] for u in await ok(http, emulator, "getUpdates", limit=2)] == [
        "a",
        "b",
    ]


async def test_webhook_failures_are_retried_and_reported(http: aiohttp.ClientSession) -> None:
    answers = [500, 200]
    received: list[tuple[int, str | None]] = []

    async def receive(request: web.Request) -> web.Response:
        update = await request.json()
        received.append((update["update_id"], request.headers.get(SECRET_HEADER)))
        return web.Response(status=answers.pop(0))

    receiver = web.Application()
    receiver.router.add_post("/hook", receive)
    config = EmulatorConfig(webhook_retry_delay=0.01)
    async with TelegramEmulator(config) as emu, TestServer(receiver, host="127.0.0.1") as server:
        user = emu.create_user("Awa")
        await emu.inject_text(user.id, "avant")
        await ok(
            http, emu, "setWebhook", url=str(server.make_url("/hook")), drop_pending_updates=True
        )
        update = await emu.inject_text(user.id, "bonjour")
        await emu.wait_until(lambda: not emu.pending_updates() and len(received) == 2)
        info = await ok(http, emu, "getWebhookInfo")
        _, body = await call(http, emu, "deleteWebhook")
        again = await call(http, emu, "deleteWebhook")
    assert received == [(update["update_id"], None)] * 2
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert info["pending_update_count"] == 0
    assert body["description"] == "Webhook was deleted"
    assert again[1]["description"] == "Webhook is already deleted"


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"url": "ftp://x.bf/hook"}, "Bad Request: bad webhook: invalid webhook URL specified"),
        (
            {"url": "https://x.bf/hook", "secret_token": "pas de blancs"},
            "Bad Request: secret token contains unallowed characters",
        ),
    ],
)
async def test_bad_webhooks_are_refused(
    emulator: TelegramEmulator,
    http: aiohttp.ClientSession,
    params: dict[str, Any],
    description: str,
) -> None:
    assert await refused(http, emulator, "setWebhook", **params) == (400, description)


async def test_storms_can_target_methods_and_last_a_time_window(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    emulator.start_storm(retry_after=3, seconds=0.5, methods=["sendMessage"])
    status, body = await call(http, emulator, "sendMessage", chat_id=user.id, text="x")
    assert (status, body["parameters"]) == (429, {"retry_after": 3})
    assert body["description"] == "Too Many Requests: retry after 3"
    await ok(http, emulator, "getMe")
    await asyncio.sleep(0.55)
    await ok(http, emulator, "sendMessage", chat_id=user.id, text="x")
    assert not emulator.storm_active
    with pytest.raises(EmulatorError, match="needs calls or seconds"):
        emulator.start_storm(retry_after=1)


async def test_latency_delays_every_answer(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    emulator.latency = 0.15
    loop = asyncio.get_running_loop()
    started = loop.time()
    await ok(http, emulator, "getMe")
    assert loop.time() - started >= 0.15


async def test_every_call_is_logged_and_counted_without_the_token(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    await ok(http, emulator, "sendMessage", chat_id=user.id, text="reçu")
    await refused(http, emulator, "sendMessage", chat_id=user.id)
    calls = emulator.calls("sendmessage")
    assert [(c.method, c.status, c.params.get("text")) for c in calls] == [
        ("sendMessage", 200, "reçu"),
        ("sendMessage", 400, None),
    ]
    assert calls[0].response["result"]["text"] == "reçu"
    assert emulator.count("sendMessage") == 2
    assert emulator.counters() == {"sendMessage": 2}
    assert emulator.token not in json.dumps([e.to_json() for e in emulator.events()])


async def test_subscribers_get_live_events_and_can_replay(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    await emulator.inject_text(user.id, "avant")
    mark = emulator.last_event_seq
    async with emulator.subscribe(after=0) as replaying, emulator.subscribe() as live:
        await ok(http, emulator, "sendMessage", chat_id=user.id, text="pendant")
        replayed = [await anext(replaying) for _ in range(4)]
        seen = [await anext(live) for _ in range(2)]
    assert [e.kind for e in replayed] == ["message", "update", "message", "call"]
    assert [e.kind for e in seen] == ["message", "call"]
    assert all(e.seq > mark for e in seen)
    assert seen[0].data["text"] == "pendant"
    assert live.closed


async def test_slow_subscribers_lose_the_oldest_events(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    subscription = emulator.subscribe(maxsize=2)
    for text in ("a", "b", "c"):
        await emulator.inject_text(user.id, text)
    assert subscription.missed == 4
    subscription.close()
    remaining = [event async for event in subscription]
    assert [e.kind for e in remaining] == ["update"]


async def test_waits_time_out_with_the_end_of_the_chat(emulator: TelegramEmulator) -> None:
    user = emulator.create_user("Awa")
    await emulator.inject_text(user.id, "/start")
    with pytest.raises(EmulatorTimeout, match=r"(?s)after 0.05s: no message.*#1 user: '/start'"):
        await emulator.wait_for_message(user.id, contains="Bienvenue", timeout=0.05)


async def test_blocking_is_reversible_and_announced_to_the_bot(
    emulator: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.create_user("Awa")
    await emulator.block(user.id)
    with pytest.raises(EmulatorError, match="has blocked the bot"):
        await emulator.inject_text(user.id, "x")
    assert emulator.is_blocked(user.id)
    await emulator.unblock(user.id)
    await ok(http, emulator, "sendMessage", chat_id=user.id, text="Re-bonjour")
    statuses = [
        u["my_chat_member"]["new_chat_member"]["status"] for u in emulator.pending_updates()
    ]
    assert statuses == ["kicked", "member"]


async def test_users_are_created_with_their_profile(emulator: TelegramEmulator) -> None:
    user = emulator.create_user(
        "Awa", user_id=555, last_name="Ouédraogo", username="awa_o", language_code="en"
    )
    assert user.to_telegram() == {
        "id": 555,
        "is_bot": False,
        "first_name": "Awa",
        "last_name": "Ouédraogo",
        "username": "awa_o",
        "language_code": "en",
    }
    assert emulator.create_user("Ali").id != 555
    with pytest.raises(EmulatorError, match="already exists"):
        emulator.create_user("Awa", user_id=555)
    with pytest.raises(EmulatorError, match="no user 9"):
        emulator.user(9)
