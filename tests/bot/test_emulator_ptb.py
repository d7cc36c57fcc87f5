"""A real python-telegram-bot talks to the emulator as to Telegram and sees Telegram's answers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator import SECRET_HEADER, FloodLimits, TelegramEmulator
from tests.bot.emulator_support import build_app, polling, tiny_png

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("+1", callback_data="cart:add")]])


@pytest.fixture
async def ptb_bot(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    """An initialized python-telegram-bot Bot pointed at the emulator."""
    async with Bot(
        emulator.token, base_url=emulator.base_url, base_file_url=emulator.base_file_url
    ) as bot:
        yield bot


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the same text."""
    assert update.effective_message is not None
    assert update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text)


async def test_echo_bot_round_trip_over_long_polling(emulator: TelegramEmulator) -> None:
    app = build_app(emulator)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    user = emulator.create_user("Awa")
    async with polling(app):
        update = await emulator.inject_text(user.id, "Bonjour")
        reply = await emulator.wait_for_message(user.id, contains="Bonjour")
    assert reply.from_bot
    assert reply.text == "Bonjour"
    assert reply.message_id == update["message"]["message_id"] + 1
    assert reply.sender["id"] == emulator.bot_user["id"]


async def test_commands_reach_command_handlers_with_their_deep_link_payload(
    emulator: TelegramEmulator,
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"args={context.args}")

    app = build_app(emulator)
    app.add_handler(CommandHandler("start", start))
    user = emulator.create_user("Awa")
    async with polling(app):
        await emulator.inject_text(user.id, "/start p_42")
        reply = await emulator.wait_for_message(user.id)
    assert reply.text == "args=['p_42']"


async def test_button_press_is_answered_and_edits_the_message(emulator: TelegramEmulator) -> None:
    async def show(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Panier: 1", reply_markup=KEYBOARD)

    async def add(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        assert query.data == "cart:add"
        await query.answer("Ajouté")
        await query.edit_message_text("Panier: 2", reply_markup=KEYBOARD)

    app = build_app(emulator)
    app.add_handler(CommandHandler("cart", show))
    app.add_handler(CallbackQueryHandler(add))
    user = emulator.create_user("Awa")
    async with polling(app):
        await emulator.inject_text(user.id, "/cart")
        card = await emulator.wait_for_message(user.id, contains="Panier: 1")
        press = await emulator.press_button(user.id, card.message_id, text="+1")
        answer = await emulator.wait_for_callback_answer(press["callback_query"]["id"])
        edited = await emulator.wait_for(
            user.id, lambda m: m.message_id == card.message_id and m.text == "Panier: 2"
        )
    assert answer.text == "Ajouté"
    assert not answer.show_alert
    assert edited.edits == 1
    assert edited.edit_date is not None
    assert edited.button_texts() == ["+1"]
    assert len(emulator.messages(user.id)) == 1


async def test_same_text_and_markup_edit_raises_bad_request_not_modified(
    emulator: TelegramEmulator, ptb_bot: Bot
) -> None:
    user = emulator.create_user("Awa")
    sent = await ptb_bot.send_message(user.id, "Panier: 1", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await ptb_bot.edit_message_text(
            "Panier: 1", chat_id=user.id, message_id=sent.message_id, reply_markup=KEYBOARD
        )
    edited = await ptb_bot.edit_message_text(
        "Panier: 1", chat_id=user.id, message_id=sent.message_id
    )
    assert isinstance(edited, type(sent))
    assert edited.reply_markup is None


async def test_message_over_4096_characters_is_too_long(
    emulator: TelegramEmulator, ptb_bot: Bot
) -> None:
    user = emulator.create_user("Awa")
    await ptb_bot.send_message(user.id, "x" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await ptb_bot.send_message(user.id, "x" * 4097)


async def test_unclosed_html_tag_cannot_be_parsed(emulator: TelegramEmulator, ptb_bot: Bot) -> None:
    user = emulator.create_user("Awa")
    with pytest.raises(
        BadRequest,
        match=r"(?i)can't parse entities: can't find end tag corresponding to start tag b",
    ):
        await ptb_bot.send_message(user.id, "<b>Total", parse_mode=ParseMode.HTML)
    sent = await ptb_bot.send_message(user.id, "<b>Total</b> 5", parse_mode=ParseMode.HTML)
    assert sent.text == "Total 5"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 5)]


async def test_sending_to_a_user_who_blocked_the_bot_is_forbidden(
    emulator: TelegramEmulator, ptb_bot: Bot
) -> None:
    user = emulator.create_user("Awa")
    await emulator.block(user.id)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await ptb_bot.send_message(user.id, "Votre commande est payée")
    updates = await ptb_bot.get_updates()
    assert updates[-1].my_chat_member is not None
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"


async def test_storm_answers_retry_after_then_clears(
    emulator: TelegramEmulator, ptb_bot: Bot
) -> None:
    user = emulator.create_user("Awa")
    emulator.start_storm(retry_after=7, calls=1)
    with pytest.raises(RetryAfter) as raised:
        await ptb_bot.send_message(user.id, "Bonjour")
    assert raised.value.retry_after == dt.timedelta(seconds=7)
    await ptb_bot.send_message(user.id, "Bonjour")
    assert [call.status for call in emulator.calls("sendMessage")] == [429, 200]


async def test_telegram_like_limits_allow_about_one_message_per_second_per_chat(
    emulator: TelegramEmulator, ptb_bot: Bot
) -> None:
    emulator.flood_limits = FloodLimits(chat_rate=1.0, chat_burst=1)
    awa, ali = emulator.create_user("Awa"), emulator.create_user("Ali")
    await ptb_bot.send_message(awa.id, "1")
    with pytest.raises(RetryAfter) as raised:
        await ptb_bot.send_message(awa.id, "2")
    assert raised.value.retry_after == dt.timedelta(seconds=1)
    await ptb_bot.send_message(ali.id, "1")


async def test_telegram_like_limits_cap_the_overall_rate(
    emulator: TelegramEmulator, ptb_bot: Bot
) -> None:
    # A slow refill (1/s) keeps the test independent of how fast the sends go.
    emulator.flood_limits = FloodLimits(overall_rate=1.0, overall_burst=5)
    users = [emulator.create_user(f"Client {n}") for n in range(6)]
    for user in users[:5]:
        await ptb_bot.send_message(user.id, "Votre reçu")
    with pytest.raises(RetryAfter):
        await ptb_bot.send_message(users[5].id, "Votre reçu")


async def test_a_sender_paced_at_30_per_second_never_hits_the_default_limits(
    emulator: TelegramEmulator,
) -> None:
    emulator.flood_limits = FloodLimits()
    users = [emulator.create_user(f"Client {n}") for n in range(45)]
    app = (
        Application.builder()
        .token(emulator.token)
        .base_url(emulator.base_url)
        .rate_limiter(AIORateLimiter())
        .updater(None)
        .build()
    )
    async with app:
        await asyncio.gather(*(app.bot.send_message(user.id, "Reçu") for user in users))
    assert {call.status for call in emulator.calls("sendMessage")} == {200}


async def test_an_unpaced_flood_hits_the_default_limits(
    emulator: TelegramEmulator, ptb_bot: Bot
) -> None:
    emulator.flood_limits = FloodLimits()
    users = [emulator.create_user(f"Client {n}") for n in range(60)]
    results = await asyncio.gather(
        *(ptb_bot.send_message(user.id, "Reçu") for user in users), return_exceptions=True
    )
    assert any(isinstance(result, RetryAfter) for result in results)


async def test_webhook_mode_posts_updates_with_the_secret_header(
    emulator: TelegramEmulator,
) -> None:
    app = build_app(emulator, with_updater=False)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    secrets_seen: list[str | None] = []

    async def receive(request: web.Request) -> web.Response:
        secrets_seen.append(request.headers.get(SECRET_HEADER))
        await app.update_queue.put(Update.de_json(await request.json(), app.bot))
        return web.Response()

    receiver = web.Application()
    receiver.router.add_post("/telegram", receive)
    user = emulator.create_user("Awa")
    async with TestServer(receiver, host="127.0.0.1") as server:
        await app.initialize()
        await app.start()
        try:
            url = str(server.make_url("/telegram"))
            assert await app.bot.set_webhook(url, secret_token="s3cret-token")
            await emulator.inject_text(user.id, "Bonjour")
            await emulator.wait_for_message(user.id, contains="Bonjour")
            info = await app.bot.get_webhook_info()
        finally:
            await app.stop()
            await app.shutdown()
    assert secrets_seen == ["s3cret-token"]
    assert emulator.calls("setWebhook")[0].params["secret_token"] == "***"
    assert info.url == url
    assert info.pending_update_count == 0


async def test_uploaded_document_bytes_are_downloadable(
    emulator: TelegramEmulator, ptb_bot: Bot
) -> None:
    user = emulator.create_user("Admin")
    csv = b"reference;total\nCMD-1;40000\n"
    sent = await ptb_bot.send_document(
        user.id, document=csv, filename="orders.csv", caption="Export"
    )
    assert sent.document is not None
    assert sent.document.file_name == "orders.csv"
    assert sent.document.mime_type == "text/csv"
    file = await ptb_bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == csv
    assert emulator.file(sent.document.file_id).data == csv
    assert emulator.last_message(user.id) is not None


async def test_uploaded_photo_gets_its_real_dimensions(
    emulator: TelegramEmulator, ptb_bot: Bot
) -> None:
    user = emulator.create_user("Admin")
    sent = await ptb_bot.send_photo(
        user.id, photo=tiny_png(3, 2), caption="<i>Ventes</i>", parse_mode=ParseMode.HTML
    )
    assert [(size.width, size.height) for size in sent.photo] == [(3, 2)]
    assert sent.caption == "Ventes"
    again = await ptb_bot.send_photo(user.id, photo=sent.photo[-1].file_id)
    assert again.photo[-1].file_unique_id == sent.photo[-1].file_unique_id
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await ptb_bot.send_photo(user.id, photo=b"not an image")


async def test_confirmed_updates_are_not_delivered_again(
    emulator: TelegramEmulator, ptb_bot: Bot
) -> None:
    user = emulator.create_user("Awa")
    for text in ("un", "deux", "trois"):
        await emulator.inject_text(user.id, text)
    first = await ptb_bot.get_updates()
    assert [u.message.text for u in first if u.message] == ["un", "deux", "trois"]
    assert await ptb_bot.get_updates() == first
    offset = first[-1].update_id + 1
    assert await ptb_bot.get_updates(offset=offset) == ()
    await emulator.inject_text(user.id, "quatre")
    later = await ptb_bot.get_updates(offset=offset)
    assert [u.message.text for u in later if u.message] == ["quatre"]


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    emulator: TelegramEmulator, ptb_bot: Bot
) -> None:
    user = emulator.create_user("Awa")
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(ptb_bot.get_updates(timeout=5))
    await emulator.wait_for_call("getMe")
    await asyncio.sleep(0.05)
    await emulator.inject_text(user.id, "ping")
    updates = await poll
    assert [u.message.text for u in updates if u.message] == ["ping"]
    assert loop.time() - started < 2


async def test_contact_share_reaches_a_contact_handler(emulator: TelegramEmulator) -> None:
    seen: list[tuple[str, int | None]] = []

    async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        shared = update.effective_message.contact
        assert shared is not None
        seen.append((shared.phone_number, shared.user_id))
        await update.effective_message.reply_text("Numéro reçu")

    app = build_app(emulator)
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    user = emulator.create_user("Awa")
    async with polling(app):
        await emulator.inject_contact(user.id, "+22670123456")
        await emulator.wait_for_message(user.id, contains="Numéro reçu")
    assert seen == [("+22670123456", user.id)]


async def test_commands_set_by_the_bot_are_readable(
    emulator: TelegramEmulator, ptb_bot: Bot
) -> None:
    commands = [BotCommand("start", "Menu"), BotCommand("cancel", "Annuler")]
    assert await ptb_bot.set_my_commands(commands, language_code="fr")
    assert emulator.commands(language_code="fr") == [
        {"command": "start", "description": "Menu"},
        {"command": "cancel", "description": "Annuler"},
    ]
    assert tuple(await ptb_bot.get_my_commands(language_code="fr")) == tuple(commands)
    assert await ptb_bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await ptb_bot.set_my_commands([BotCommand("Start", "Menu")])


async def test_wrong_token_is_an_invalid_token(emulator: TelegramEmulator) -> None:
    stranger = Bot("123456:another-token", base_url=emulator.base_url)
    with pytest.raises(InvalidToken):
        # Entering the context shuts the bot's HTTP client down again when getMe fails.
        async with stranger:
            pass


async def test_unknown_method_is_not_found(ptb_bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await ptb_bot.do_api_request("sendTelepathy")


async def test_get_updates_while_a_webhook_is_set_is_a_conflict(ptb_bot: Bot) -> None:
    await ptb_bot.set_webhook("http://127.0.0.1:9/telegram")
    with pytest.raises(Conflict, match="webhook is active"):
        await ptb_bot.get_updates()
    await ptb_bot.delete_webhook()
    assert await ptb_bot.get_updates() == ()
