"""The Bot API methods the emulator implements, with Telegram's validations and error wording."""

from __future__ import annotations

import asyncio
import json
import mimetypes
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.emulator.errors import BotApiError, bad_request
from bot.emulator.formatting import EntityParseError, parse_text
from bot.emulator.media import image_size, new_file_id
from bot.emulator.outbound import Outbound, WebhookDeliverer
from bot.emulator.params import Params, Upload
from bot.emulator.records import JSON, CallbackAnswer, ChatMessage, StoredFile
from bot.emulator.state import DEFAULT_ALLOWED_UPDATES, Chat, EmulatorState, Webhook

Handler = Callable[[Params], Awaitable[Any]]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Inline buttons must do something: one of these fields besides their text.
_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_FETCH_TIMEOUT = 10.0


@dataclass(frozen=True)
class Described:
    """A result that Telegram sends with a description (setWebhook, deleteWebhook)."""

    value: Any
    description: str


def flood_error(retry_after: int) -> BotApiError:
    """Return Telegram's 429 with retry_after."""
    return BotApiError(
        429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
    )


class BotApi:
    """Dispatches Bot API methods (case-insensitive names, as Telegram) against the state."""

    def __init__(
        self, state: EmulatorState, outbound: Outbound, deliverer: WebhookDeliverer
    ) -> None:
        self._state = state
        self._outbound = outbound
        self._deliverer = deliverer
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageMedia": self.edit_message_media,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "getFile": self.get_file,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
        }
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    @property
    def method_names(self) -> list[str]:
        """The implemented methods, spelled as in the Bot API documentation."""
        return sorted(name for name, _ in self._methods.values())

    def resolve(self, method: str) -> tuple[str, Handler] | None:
        """Return the canonical name and handler of method, or None if not implemented."""
        return self._methods.get(method.lower())

    async def call(self, method: str, handler: Handler, params: Params) -> Any:
        """Run one method, after the 429 storm has had its say."""
        storm = self._state.storm
        if storm is not None:
            retry_after = storm.strike(method, time.monotonic())
            if storm.over(time.monotonic()):
                self._state.storm = None
            if retry_after is not None:
                raise flood_error(retry_after)
        return await handler(params)

    # -- chats and shared checks ---------------------------------------------------------

    def _chat(self, params: Params) -> Chat:
        """Return the chat named by chat_id, checking the bot may write to it."""
        if not params.has("chat_id"):
            raise bad_request("chat_id is empty")
        raw = params.get_str("chat_id") or ""
        try:
            chat_id = int(raw)
        except ValueError:
            raise bad_request("chat not found") from None
        chat = self._state.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat.blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        if not chat.started:
            raise BotApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _admit(self, chat: Chat) -> None:
        """Apply the flood limits to one more message sent to chat."""
        if self._state.flood is not None:
            retry_after = self._state.flood.admit(chat.user.id)
            if retry_after is not None:
                raise flood_error(retry_after)

    def _message(self, params: Params, chat: Chat, *, action: str) -> ChatMessage:
        """Return the bot's live message named by message_id (action: 'edit' or 'delete')."""
        if params.has("inline_message_id"):
            raise bad_request("inline messages are not supported by the emulator")
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request(f"message to {action} not found")
        if action == "edit" and not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _formatted(
        self, params: Params, key: str, entities_key: str, mode_key: str
    ) -> tuple[str | None, list[JSON]]:
        """Return a text parameter parsed per its parse_mode (or explicit entities)."""
        raw = params.get_str(key)
        if raw is None:
            return None, []
        if params.has(entities_key):
            entities = params.get_json(entities_key, "can't parse entities JSON object")
            if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
                raise bad_request("can't parse entities JSON object")
            return raw, entities
        try:
            return parse_text(raw, params.get_str(mode_key))
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        except ValueError:
            raise bad_request("unsupported parse_mode") from None

    def _text(self, params: Params) -> tuple[str, list[JSON]]:
        text, entities = self._formatted(params, "text", "entities", "parse_mode")
        if text is None or not text.strip():
            raise bad_request("message text is empty")
        if len(text) > MESSAGE_LIMIT:
            raise bad_request("message is too long")
        return text, entities

    def _caption(self, params: Params, source: JSON | None = None) -> tuple[str | None, list[JSON]]:
        if source is not None:
            params = Params({k: v for k, v in source.items() if k != "media"}, {})
        caption, entities = self._formatted(params, "caption", "caption_entities", "parse_mode")
        if caption is not None and len(caption) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        return (caption or None), (entities if caption else [])

    def _markup(self, params: Params, *, inline_only: bool = False) -> JSON | None:
        """Return reply_markup as sent, after Telegram's checks of its shape."""
        if not params.has("reply_markup"):
            return None
        markup = params.get_json("reply_markup", "can't parse reply keyboard markup JSON object")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _check_inline_keyboard(markup["inline_keyboard"])
            return markup
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request("keyboard must be an array of arrays")
            return markup
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _reply_to(self, params: Params, chat: Chat) -> int | None:
        message_id = params.get_int("reply_to_message_id")
        allow_missing = params.get_bool("allow_sending_without_reply")
        if params.has("reply_parameters"):
            reply = params.get_json("reply_parameters", "can't parse reply parameters JSON object")
            if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
                raise bad_request("can't parse reply parameters JSON object")
            message_id = reply["message_id"]
            allow_missing = bool(reply.get("allow_sending_without_reply", False))
        if message_id is None:
            return None
        replied = chat.messages.get(message_id)
        if replied is None or replied.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return message_id

    def _deliver(self, chat: Chat, **content: Any) -> JSON:
        """Store a new bot message in chat and return it as the Bot API Message."""
        markup = content.get("reply_markup")
        message = self._state.new_message(chat, from_bot=True, **content)
        if markup is not None and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup is not None and markup.get("remove_keyboard") is True:
            chat.reply_keyboard = None
        return self._state.message_json(message)

    # -- files ---------------------------------------------------------------------------

    async def _file(self, kind: str, params: Params, name: str) -> StoredFile:
        """Return the file sent as name: an upload, a file_id, a URL or attach://<part>."""
        upload = params.get_upload(name)
        if upload is None:
            reference = params.get_str(name)
            if not reference:
                raise bad_request(f"there is no {kind} in the request")
            return await self._file_reference(kind, reference, params)
        return self._store_upload(kind, upload)

    async def _file_reference(self, kind: str, reference: str, params: Params) -> StoredFile:
        if reference.startswith("attach://"):
            upload = params.get_upload(reference.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"there is no {kind} in the request")
            return self._store_upload(kind, upload)
        known = self._state.files.get(reference)
        if known is not None:
            if known.kind != kind:
                raise bad_request("type of file mismatch")
            return known
        if urlsplit(reference).scheme in {"http", "https"}:
            try:
                data, content_type = await self._outbound.fetch(
                    reference,
                    max_bytes=self._state.config.max_upload_bytes,
                    time_limit=_FETCH_TIMEOUT,
                )
            except ValueError:
                raise bad_request("failed to get HTTP URL content") from None
            name = urlsplit(reference).path.rsplit("/", 1)[-1] or "file"
            if kind == "photo" and image_size(data) is None:
                raise bad_request("wrong type of the web page content")
            return self._store_upload(kind, Upload(name, content_type, data))
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _store_upload(self, kind: str, upload: Upload) -> StoredFile:
        mime_type = upload.mime_type
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(upload.filename)[0] or mime_type
        extension = mimetypes.guess_extension(mime_type or "") or ""
        if "." in upload.filename:
            extension = "." + upload.filename.rsplit(".", 1)[1].lower()
        if kind == "photo":
            size = image_size(upload.data)
            if size is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            return self._state.store_file(
                "photo",
                upload.data,
                file_id=new_file_id("photo"),
                extension=extension,
                size=size,
            )
        return self._state.store_file(
            "document",
            upload.data,
            file_id=new_file_id("document"),
            extension=extension,
            file_name=upload.filename,
            mime_type=mime_type,
        )

    # -- methods -------------------------------------------------------------------------

    async def get_me(self, params: Params) -> JSON:
        """getMe: the bot's User object."""
        return {
            **self._state.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: Params) -> list[JSON]:
        """getUpdates: long polling; offset confirms earlier updates; a newer call wins (409)."""
        state = self._state
        if state.webhook is not None:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset") or 0
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        timeout = max(params.get_float("timeout") or 0.0, 0.0)
        self._set_allowed_updates(params)
        state.confirm_updates(offset)
        state.poll_generation += 1
        generation = state.poll_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        state.waiting_polls += 1
        # Wakes an older poll so it ends with 409, and waiters on waiting_polls.
        state.notify()
        try:
            while True:
                if generation != state.poll_generation:
                    raise BotApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                if state.updates or state.closing or loop.time() >= deadline:
                    return [pending.payload for pending in list(state.updates)[:limit]]
                await state.signal.wait(deadline - loop.time())
        finally:
            state.waiting_polls -= 1
            state.notify()

    def _set_allowed_updates(self, params: Params) -> list[str] | None:
        if not params.has("allowed_updates"):
            return None
        allowed = params.get_json("allowed_updates", "can't parse allowed updates JSON object")
        if allowed is None:
            return None
        if not isinstance(allowed, list) or not all(isinstance(kind, str) for kind in allowed):
            raise bad_request("can't parse allowed updates JSON object")
        self._state.allowed_updates = frozenset(allowed) or DEFAULT_ALLOWED_UPDATES
        return allowed

    async def set_webhook(self, params: Params) -> Described:
        """setWebhook: from now on updates are POSTed to url (empty url deletes the webhook)."""
        url = params.get_str("url") or ""
        if not url:
            return await self.delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise bad_request("bad webhook: invalid webhook URL specified")
        secret = params.get_str("secret_token")
        if secret is not None and not _SECRET_TOKEN.match(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.get_int("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        if params.get_bool("drop_pending_updates"):
            self._state.updates.clear()
        allowed = self._set_allowed_updates(params)
        self._state.webhook = Webhook(
            url=url,
            secret_token=secret,
            max_connections=max_connections,
            allowed_updates=allowed,
            ip_address=params.get_str("ip_address"),
        )
        self._state.notify()
        self._deliverer.kick()
        return Described(True, "Webhook was set")

    async def delete_webhook(self, params: Params) -> Described:
        """deleteWebhook: back to getUpdates; drop_pending_updates forgets queued updates."""
        if params.get_bool("drop_pending_updates"):
            self._state.updates.clear()
        if self._state.webhook is None:
            return Described(True, "Webhook is already deleted")
        self._state.webhook = None
        self._state.notify()
        return Described(True, "Webhook was deleted")

    async def get_webhook_info(self, params: Params) -> JSON:
        """getWebhookInfo: the webhook and the number of pending updates."""
        return webhook_info(self._state)

    async def send_message(self, params: Params) -> JSON:
        """sendMessage: text with parse_mode/entities, reply_markup, reply parameters."""
        chat = self._chat(params)
        text, entities = self._text(params)
        markup = self._markup(params)
        reply_to = self._reply_to(params, chat)
        self._admit(chat)
        return self._deliver(
            chat,
            text=text,
            entities=tuple(entities),
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )

    async def send_photo(self, params: Params) -> JSON:
        """sendPhoto: an uploaded image (PNG, JPEG, GIF), a file_id or a URL, with a caption."""
        chat = self._chat(params)
        caption, entities = self._caption(params)
        markup = self._markup(params)
        photo = await self._file("photo", params, "photo")
        reply_to = self._reply_to(params, chat)
        self._admit(chat)
        return self._deliver(
            chat,
            reply_to_message_id=reply_to,
            photo=photo,
            caption=caption,
            caption_entities=tuple(entities),
            reply_markup=markup,
        )

    async def send_document(self, params: Params) -> JSON:
        """sendDocument: an uploaded file, a file_id or a URL, with a caption."""
        chat = self._chat(params)
        caption, entities = self._caption(params)
        markup = self._markup(params)
        document = await self._file("document", params, "document")
        reply_to = self._reply_to(params, chat)
        self._admit(chat)
        return self._deliver(
            chat,
            reply_to_message_id=reply_to,
            document=document,
            caption=caption,
            caption_entities=tuple(entities),
            reply_markup=markup,
        )

    async def edit_message_text(self, params: Params) -> JSON:
        """editMessageText: new text; a missing reply_markup removes the inline keyboard."""
        chat = self._chat(params)
        message = self._message(params, chat, action="edit")
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._text(params)
        markup = self._markup(params, inline_only=True)
        if (text, entities, markup) == (
            message.text,
            _dicts(message.entities),
            message.reply_markup,
        ):
            raise bad_request(NOT_MODIFIED)
        edited = self._state.edit_message(
            message, text=text, entities=tuple(entities), reply_markup=markup
        )
        return self._state.message_json(edited)

    async def edit_message_caption(self, params: Params) -> JSON:
        """editMessageCaption: new caption of a photo or document message."""
        chat = self._chat(params)
        message = self._message(params, chat, action="edit")
        if message.photo is None and message.document is None:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._caption(params)
        markup = self._markup(params, inline_only=True)
        current = (message.caption, _dicts(message.caption_entities), message.reply_markup)
        if (caption, entities, markup) == current:
            raise bad_request(NOT_MODIFIED)
        edited = self._state.edit_message(
            message, caption=caption, caption_entities=tuple(entities), reply_markup=markup
        )
        return self._state.message_json(edited)

    async def edit_message_media(self, params: Params) -> JSON:
        """editMessageMedia: replace the photo or document (and caption) of a media message."""
        chat = self._chat(params)
        message = self._message(params, chat, action="edit")
        if message.photo is None and message.document is None:
            raise bad_request("there is no media in the message to edit")
        media = params.get_json("media", "can't parse InputMedia JSON object")
        if not isinstance(media, dict) or media.get("type") not in {"photo", "document"}:
            raise bad_request("can't parse InputMedia JSON object")
        kind = str(media["type"])
        reference = media.get("media")
        if not isinstance(reference, str) or not reference:
            raise bad_request(f"there is no {kind} in the request")
        caption, entities = self._caption(params, source=media)
        markup = self._markup(params, inline_only=True)
        stored = await self._file_reference(kind, reference, params)
        edited = self._state.edit_message(
            message,
            photo=stored if kind == "photo" else None,
            document=stored if kind == "document" else None,
            caption=caption,
            caption_entities=tuple(entities),
            reply_markup=markup,
        )
        return self._state.message_json(edited)

    async def edit_message_reply_markup(self, params: Params) -> JSON:
        """editMessageReplyMarkup: new inline keyboard (none removes it)."""
        chat = self._chat(params)
        message = self._message(params, chat, action="edit")
        markup = self._markup(params, inline_only=True)
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        edited = self._state.edit_message(message, reply_markup=markup)
        return self._state.message_json(edited)

    async def delete_message(self, params: Params) -> bool:
        """deleteMessage: the bot's or the user's message in a private chat."""
        chat = self._chat(params)
        message = self._message(params, chat, action="delete")
        self._state.delete_message(message)
        return True

    async def answer_callback_query(self, params: Params) -> bool:
        """answerCallbackQuery: once per press, before callback_query_timeout runs out."""
        query_id = params.get_str("callback_query_id")
        query = None if query_id is None else self._state.callback_queries.get(query_id)
        expired = (
            query is not None
            and time.monotonic() - query.pressed_at > self._state.config.callback_query_timeout
        )
        if query is None or query.answer is not None or expired:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        query.answer = CallbackAnswer(
            callback_query_id=query.id,
            text=params.get_str("text"),
            show_alert=params.get_bool("show_alert"),
            url=params.get_str("url"),
            cache_time=params.get_int("cache_time") or 0,
        )
        self._state.notify()
        return True

    async def send_chat_action(self, params: Params) -> bool:
        """sendChatAction: 'typing' and friends."""
        self._chat(params)
        if params.get_str("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def get_file(self, params: Params) -> JSON:
        """getFile: the file_path to download a file from /file/bot<token>/<file_path>."""
        stored = self._state.files.get(params.get_str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    def _commands_key(self, params: Params) -> tuple[str, str]:
        scope = params.get_json("scope", "can't parse BotCommandScope JSON object")
        if scope is not None and (
            not isinstance(scope, dict) or not isinstance(scope.get("type"), str)
        ):
            raise bad_request("can't parse BotCommandScope JSON object")
        return commands_key(scope, params.get_str("language_code") or "")

    async def set_my_commands(self, params: Params) -> bool:
        """setMyCommands: the command list for a scope and language."""
        commands = params.get_json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse commands JSON object")
            if not _COMMAND.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        cleaned = [
            {"command": str(c["command"]), "description": str(c["description"])} for c in commands
        ]
        if cleaned:
            self._state.commands[key] = cleaned
        else:
            self._state.commands.pop(key, None)
        self._state.notify()
        return True

    async def get_my_commands(self, params: Params) -> list[JSON]:
        """getMyCommands: the list set for exactly this scope and language."""
        return list(self._state.commands.get(self._commands_key(params), []))

    async def delete_my_commands(self, params: Params) -> bool:
        """deleteMyCommands: forget the list of this scope and language."""
        self._state.commands.pop(self._commands_key(params), None)
        self._state.notify()
        return True

    async def set_chat_menu_button(self, params: Params) -> bool:
        """setChatMenuButton: for one chat, or the default when chat_id is absent."""
        button = params.get_json("menu_button", "can't parse menu button JSON object")
        if button is not None and (
            not isinstance(button, dict)
            or button.get("type") not in {"commands", "web_app", "default"}
        ):
            raise bad_request("can't parse menu button JSON object")
        if params.has("chat_id"):
            self._chat(params).menu_button = button
        else:
            self._state.default_menu_button = button
        return True

    async def get_chat_menu_button(self, params: Params) -> JSON:
        """getChatMenuButton: the chat's button, else the default one."""
        button = self._chat(params).menu_button if params.has("chat_id") else None
        return button or self._state.default_menu_button or {"type": "default"}


def webhook_info(state: EmulatorState) -> JSON:
    """Return the Bot API WebhookInfo object."""
    hook = state.webhook
    info: JSON = {
        "url": "" if hook is None else hook.url,
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.ip_address is not None:
            info["ip_address"] = hook.ip_address
        if hook.allowed_updates is not None:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


def commands_key(scope: JSON | None, language_code: str) -> tuple[str, str]:
    """Return the key of a command list: its scope (default when None) and language."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code


def new_callback_query_id() -> str:
    """Return a fresh callback query id (Telegram's are long decimal strings)."""
    return str(secrets.randbits(62))


def _dicts(entities: tuple[Any, ...]) -> list[JSON]:
    return [dict(entity) for entity in entities]


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardMarkup expected")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text must be a String")
            actions = _BUTTON_ACTIONS & button.keys()
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                parts = urlsplit(str(button["url"]))
                if parts.scheme not in {"http", "https", "tg"} or not parts.netloc:
                    raise bad_request("BUTTON_URL_INVALID")
