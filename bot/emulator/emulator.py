"""TelegramEmulator: a fake Telegram Bot API server plus the control API that drives it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TypeVar

from aiohttp import web

from bot.emulator.botapi import BotApi, commands_key, new_callback_query_id, webhook_info
from bot.emulator.config import EmulatorConfig
from bot.emulator.control import ControlApi
from bot.emulator.errors import EmulatorError, EmulatorTimeout
from bot.emulator.flood import FloodGate, FloodLimits, Storm
from bot.emulator.formatting import bot_command_entities
from bot.emulator.outbound import Outbound, WebhookDeliverer
from bot.emulator.records import (
    JSON,
    ApiCall,
    CallbackAnswer,
    ChatMessage,
    Event,
    Sender,
    StoredFile,
    Subscription,
    User,
)
from bot.emulator.server import BotApiServer
from bot.emulator.state import CallbackQuery, Chat, EmulatorState

T = TypeVar("T")

_FIRST_USER_ID = 100_000_001
_WAIT_TIMEOUT = 5.0


class TelegramEmulator:
    """One emulated bot on a fake Bot API server, with a Python and HTTP control API.

    Use it as ``async with TelegramEmulator() as emu:`` (serves on 127.0.0.1, a free port), or
    mount ``emu.app`` in another aiohttp application and set ``EmulatorConfig.public_url``.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self._config = config or EmulatorConfig()
        self._state = EmulatorState(self._config)
        self._outbound = Outbound()
        self._deliverer = WebhookDeliverer(self._state, self._outbound)
        self._api = BotApi(self._state, self._outbound, self._deliverer)
        # Bot API bodies are streamed with their own cap (max_upload_bytes), so aiohttp's
        # client_max_size (which a parent app would impose when mounted) does not apply.
        self._app = web.Application()
        BotApiServer(self._state, self._api).add_routes(self._app)
        ControlApi(self).add_routes(self._app)
        self._app.on_shutdown.append(self._on_shutdown)
        self._app.on_cleanup.append(self._on_cleanup)
        self._app[EMULATOR_KEY] = self
        self._runner: web.AppRunner | None = None
        self._url = None if self._config.public_url is None else self._config.public_url.rstrip("/")
        self._next_user_id = _FIRST_USER_ID

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def config(self) -> EmulatorConfig:
        """The settings this emulator was built with."""
        return self._config

    @property
    def app(self) -> web.Application:
        """The aiohttp application (Bot API, file downloads and /_emulator control routes)."""
        return self._app

    @property
    def token(self) -> str:
        """The only bot token the emulator accepts."""
        return self._config.token

    @property
    def bot_user(self) -> JSON:
        """The bot's Bot API User object."""
        return dict(self._state.bot_user)

    @property
    def url(self) -> str:
        """Base URL where the emulator is served (set by start() or config.public_url)."""
        if self._url is None:
            raise EmulatorError("the emulator has no URL: call start() or set public_url")
        return self._url

    @property
    def base_url(self) -> str:
        """Value for python-telegram-bot's ApplicationBuilder.base_url."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for python-telegram-bot's ApplicationBuilder.base_file_url."""
        return f"{self.url}/file/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 picks a free port) and return the base URL."""
        if self._runner is not None:
            raise EmulatorError("the emulator is already started")
        # No access log: every Bot API path carries the bot token.
        runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        self._url = f"http://{shown_host}:{bound_port}"
        return self._url

    async def aclose(self) -> None:
        """Stop serving: end long polls and event streams, stop webhook delivery."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        else:
            await self._on_shutdown(self._app)
            await self._on_cleanup(self._app)

    async def __aenter__(self) -> TelegramEmulator:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _on_shutdown(self, app: web.Application) -> None:
        self._state.closing = True
        for subscription in list(self._state.subscribers):
            subscription.close()
        self._state.notify()

    async def _on_cleanup(self, app: web.Application) -> None:
        await self._deliverer.aclose()
        await self._outbound.aclose()

    # -- users -----------------------------------------------------------------------------

    def create_user(
        self,
        first_name: str = "Awa",
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fr",
        started: bool = True,
    ) -> User:
        """Add a user; started=False models one who never opened the bot (403 on send)."""
        if user_id is None:
            while self._next_user_id in self._state.chats:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        if user_id <= 0 or user_id == self._config.bot_id:
            raise EmulatorError(f"{user_id} cannot be a user id")
        if user_id in self._state.chats:
            raise EmulatorError(f"user {user_id} already exists")
        if not first_name:
            raise EmulatorError("a user needs a first name")
        user = User(user_id, first_name, last_name, username, language_code)
        self._state.add_user(user, started=started)
        return user

    def user(self, user_id: int) -> User:
        """Return the user with this id."""
        return self._chat(user_id).user

    def users(self) -> list[User]:
        """Return every user, in creation order."""
        return [chat.user for chat in self._state.chats.values()]

    def is_blocked(self, user_id: int) -> bool:
        """Whether the user has blocked the bot."""
        return self._chat(user_id).blocked

    async def block(self, user_id: int) -> JSON:
        """The user blocks the bot: sends now fail with 403; returns the my_chat_member update."""
        chat = self._chat(user_id)
        if chat.blocked:
            raise EmulatorError(f"user {user_id} has already blocked the bot")
        chat.blocked = True
        return self._member_update(chat, old="member", new="kicked")

    async def unblock(self, user_id: int) -> JSON:
        """The user unblocks the bot; returns the my_chat_member update."""
        chat = self._chat(user_id)
        if not chat.blocked:
            raise EmulatorError(f"user {user_id} has not blocked the bot")
        chat.blocked = False
        return self._member_update(chat, old="kicked", new="member")

    def _member_update(self, chat: Chat, *, old: str, new: str) -> JSON:
        def member(status: str) -> JSON:
            result: JSON = {"user": dict(self._state.bot_user), "status": status}
            if status == "kicked":
                result["until_date"] = 0
            return result

        return self._state.enqueue_update(
            "my_chat_member",
            {
                "chat": chat.user.private_chat(),
                "from": chat.user.to_telegram(),
                "date": self._state.now(),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    def _chat(self, user_id: int) -> Chat:
        chat = self._state.chats.get(user_id)
        if chat is None:
            raise EmulatorError(f"no user {user_id}; create_user() first")
        return chat

    def _writer(self, user_id: int) -> Chat:
        chat = self._chat(user_id)
        if chat.blocked:
            raise EmulatorError(f"user {user_id} has blocked the bot; unblock() first")
        chat.started = True
        return chat

    # -- what users do ---------------------------------------------------------------------

    async def inject_text(self, user_id: int, text: str) -> JSON:
        """The user sends text ('/start p_12' is a command with a deep-link payload)."""
        if not text:
            raise EmulatorError("a message needs text")
        chat = self._writer(user_id)
        message = self._state.new_message(
            chat, from_bot=False, text=text, entities=tuple(bot_command_entities(text))
        )
        return self._state.enqueue_update("message", self._state.message_json(message))

    async def inject_contact(
        self,
        user_id: int,
        phone_number: str,
        *,
        own: bool = True,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> JSON:
        """The user shares a contact: their own (with user_id, as the share button does) or not."""
        if not phone_number:
            raise EmulatorError("a contact needs a phone number")
        chat = self._writer(user_id)
        user = chat.user
        contact: JSON = {
            "phone_number": phone_number,
            "first_name": first_name or (user.first_name if own else "Contact"),
        }
        surname = last_name or (user.last_name if own else None)
        if surname is not None:
            contact["last_name"] = surname
        if own:
            contact["user_id"] = user.id
        message = self._state.new_message(chat, from_bot=False, contact=contact)
        return self._state.enqueue_update("message", self._state.message_json(message))

    async def press_button(
        self,
        user_id: int,
        message_id: int,
        *,
        data: str | None = None,
        text: str | None = None,
    ) -> JSON:
        """The user presses an inline button (by callback_data or by its text) of a bot message.

        The message's current keyboard must have that button; an old message still works,
        which is how stale buttons are tested.
        """
        if (data is None) == (text is None):
            raise EmulatorError("press_button needs exactly one of data= or text=")
        chat = self._writer(user_id)
        message = chat.messages.get(message_id)
        if message is None or message.deleted or not message.from_bot:
            raise EmulatorError(f"no bot message {message_id} in chat {user_id}")
        if text is not None:
            pressed = message.button(text).get("callback_data")
            if not isinstance(pressed, str):
                raise EmulatorError(f"button {text!r} has no callback_data (a URL button?)")
        else:
            pressed = data
            if pressed not in message.callback_data():
                raise EmulatorError(
                    f"message {message_id} has no button with callback_data {data!r}; "
                    f"it has {message.callback_data()}"
                )
        query = CallbackQuery(
            id=new_callback_query_id(),
            chat_id=user_id,
            message_id=message_id,
            data=str(pressed),
            pressed_at=time.monotonic(),
        )
        self._state.callback_queries[query.id] = query
        return self._state.enqueue_update(
            "callback_query",
            {
                "id": query.id,
                "from": chat.user.to_telegram(),
                "message": self._state.message_json(message),
                "chat_instance": str(user_id * 7 + 4_000_000_000_000_000),
                "data": query.data,
            },
        )

    # -- what the bot did ------------------------------------------------------------------

    def messages(
        self, chat_id: int, *, sender: Sender = "bot", include_deleted: bool = True
    ) -> list[ChatMessage]:
        """Messages of a chat in order, as they stand now (sender: 'bot', 'user' or 'any')."""
        return [
            message
            for message in self._chat(chat_id).messages.values()
            if (sender == "any" or message.from_bot == (sender == "bot"))
            and (include_deleted or not message.deleted)
        ]

    def message(self, chat_id: int, message_id: int) -> ChatMessage:
        """One message of a chat, as it stands now."""
        message = self._chat(chat_id).messages.get(message_id)
        if message is None:
            raise EmulatorError(f"no message {message_id} in chat {chat_id}")
        return message

    def last_message(self, chat_id: int, *, sender: Sender = "bot") -> ChatMessage | None:
        """The latest message not deleted, or None."""
        alive = self.messages(chat_id, sender=sender, include_deleted=False)
        return alive[-1] if alive else None

    def reply_keyboard(self, chat_id: int) -> JSON | None:
        """The reply keyboard the bot last showed in the chat (None once removed)."""
        return self._chat(chat_id).reply_keyboard

    def callback_answer(self, callback_query_id: str) -> CallbackAnswer | None:
        """The bot's answer to a button press, or None while unanswered."""
        query = self._state.callback_queries.get(callback_query_id)
        if query is None:
            raise EmulatorError(f"no callback query {callback_query_id}")
        return query.answer

    def file(self, file_id: str) -> StoredFile:
        """A file the bot uploaded, with its bytes."""
        stored = self._state.files.get(file_id)
        if stored is None:
            raise EmulatorError(f"no file {file_id}")
        return stored

    def commands(self, *, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list set for a scope (default scope when None) and language."""
        return list(self._state.commands.get(commands_key(scope, language_code), []))

    def webhook_info(self) -> JSON:
        """What getWebhookInfo would answer."""
        return webhook_info(self._state)

    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by getUpdates nor delivered to the webhook."""
        return [pending.payload for pending in self._state.updates]

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Logged Bot API calls, oldest first, optionally of one method (any letter case)."""
        wanted = None if method is None else method.lower()
        return [c for c in self._state.calls if wanted is None or c.method.lower() == wanted]

    def count(self, method: str) -> int:
        """How many times the bot called method (errors included)."""
        return sum(n for name, n in self._state.counters.items() if name.lower() == method.lower())

    def counters(self) -> dict[str, int]:
        """Calls per method, errors included."""
        return dict(self._state.counters)

    def events(self, *, after: int = 0) -> list[Event]:
        """Logged events with seq greater than after (the log keeps event_log_size entries)."""
        return [event for event in self._state.events if event.seq > after]

    @property
    def last_event_seq(self) -> int:
        """seq of the latest event, to read or wait for what comes after it."""
        return self._state.last_seq

    def subscribe(self, *, after: int | None = None, maxsize: int = 1000) -> Subscription:
        """Return a live feed of events; after= first replays logged events past that seq."""
        subscription = Subscription(maxsize, self._state.subscribers.discard)
        if after is not None:
            for event in self.events(after=after):
                subscription.push(event)
        if self._state.closing:
            subscription.close()
        else:
            self._state.subscribers.add(subscription)
        return subscription

    # -- waiting ---------------------------------------------------------------------------

    async def _wait(
        self, check: Callable[[], T | None], seconds: float, what: Callable[[], str]
    ) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            found = check()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise EmulatorTimeout(f"after {seconds:g}s: {what()}")
            await self._state.signal.wait(remaining)

    def _transcript(self, chat_id: int) -> str:
        lines = [
            f"  #{m.message_id} {'bot' if m.from_bot else 'user'}"
            f"{' (deleted)' if m.deleted else ''}: {m.content[:80]!r}"
            f"{' ' + str(m.button_texts()) if m.inline_keyboard else ''}"
            for m in self.messages(chat_id, sender="any")[-8:]
        ]
        return "\n".join(lines) or "  (no messages)"

    async def wait_for(
        self,
        chat_id: int,
        predicate: Callable[[ChatMessage], bool],
        *,
        timeout: float = _WAIT_TIMEOUT,  # noqa: ASYNC109 (the wait\'s own deadline)
        sender: Sender = "bot",
    ) -> ChatMessage:
        """Wait until a message of the chat (deleted ones included) satisfies predicate."""

        def check() -> ChatMessage | None:
            return next((m for m in self.messages(chat_id, sender=sender) if predicate(m)), None)

        return await self._wait(
            check,
            timeout,
            lambda: (
                f"no message in chat {chat_id} matched; the chat ends with:\n"
                + self._transcript(chat_id)
            ),
        )

    async def wait_for_message(
        self,
        chat_id: int,
        *,
        contains: str | None = None,
        after: int = 0,
        timeout: float = _WAIT_TIMEOUT,  # noqa: ASYNC109 (the wait\'s own deadline)
    ) -> ChatMessage:
        """Wait for a live bot message with id > after whose text or caption has contains."""

        def matches(message: ChatMessage) -> bool:
            return (
                not message.deleted
                and message.message_id > after
                and (contains is None or contains in message.content)
            )

        return await self.wait_for(chat_id, matches, timeout=timeout)

    async def wait_for_callback_answer(
        self,
        callback_query_id: str,
        *,
        timeout: float = _WAIT_TIMEOUT,  # noqa: ASYNC109 (the wait's own deadline)
    ) -> CallbackAnswer:
        """Wait until the bot answers the button press."""
        return await self._wait(
            lambda: self.callback_answer(callback_query_id),
            timeout,
            lambda: f"callback query {callback_query_id} was not answered",
        )

    async def wait_for_call(
        self,
        method: str,
        *,
        predicate: Callable[[ApiCall], bool] | None = None,
        after: int = 0,
        timeout: float = _WAIT_TIMEOUT,  # noqa: ASYNC109 (the wait\'s own deadline)
    ) -> ApiCall:
        """Wait for a call of method with seq > after (see last_event_seq) matching predicate."""

        def check() -> ApiCall | None:
            return next(
                (
                    call
                    for call in self.calls(method)
                    if call.seq > after and (predicate is None or predicate(call))
                ),
                None,
            )

        return await self._wait(check, timeout, lambda: f"no matching {method} call")

    async def wait_until(
        self,
        condition: Callable[[], bool],
        *,
        timeout: float = _WAIT_TIMEOUT,  # noqa: ASYNC109 (the wait's own deadline)
        what: str = "",
    ) -> None:
        """Wait until condition() is true; it is re-checked at every change of the world."""
        await self._wait(
            lambda: True if condition() else None,
            timeout,
            lambda: what or "the condition stayed false",
        )

    # -- behaviours ------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds added before answering each Bot API call."""
        return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise EmulatorError("latency must not be negative")
        self._state.latency = seconds

    @property
    def flood_limits(self) -> FloodLimits | None:
        """Telegram-like sending limits in force, or None when flood control is off."""
        return None if self._state.flood is None else self._state.flood.limits

    @flood_limits.setter
    def flood_limits(self, limits: FloodLimits | None) -> None:
        self._state.flood = None if limits is None else FloodGate(limits, time.monotonic)

    def start_storm(
        self,
        *,
        retry_after: int = 5,
        calls: int | None = None,
        seconds: float | None = None,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Answer 429 retry_after to the next calls calls and/or for seconds seconds.

        methods limits the storm to some methods; by default every method but getUpdates.
        """
        try:
            self._state.storm = Storm.start(
                retry_after=retry_after,
                calls=calls,
                seconds=seconds,
                methods=methods,
                now=time.monotonic(),
            )
        except ValueError as exc:
            raise EmulatorError(str(exc)) from None

    def stop_storm(self) -> None:
        """End the storm now."""
        self._state.storm = None

    @property
    def storm_active(self) -> bool:
        """Whether a 429 storm is still going on."""
        storm = self._state.storm
        return storm is not None and not storm.over(time.monotonic())

    @property
    def waiting_polls(self) -> int:
        """getUpdates requests waiting right now (1 while a polling bot is connected)."""
        return self._state.waiting_polls

    @property
    def method_names(self) -> list[str]:
        """The Bot API methods the emulator implements."""
        return self._api.method_names


EMULATOR_KEY = web.AppKey("telegram_emulator", TelegramEmulator)
