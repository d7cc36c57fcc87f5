"""The control API over HTTP under /_emulator: JSON in and out, events as server-sent events.

State-changing requests must be JSON (Content-Type: application/json): browsers cannot send that
cross-site without a CORS preflight, which this API never grants, so other web pages cannot
drive a local emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aiohttp import web

from bot.emulator.errors import EmulatorError
from bot.emulator.flood import FloodLimits
from bot.emulator.records import JSON, Sender

if TYPE_CHECKING:
    from bot.emulator.emulator import TelegramEmulator

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PREFIX = "/_emulator"
_HEARTBEAT_SECONDS = 15.0
_SENDERS = ("bot", "user", "any")


class ControlError(Exception):
    """A control request that cannot be served, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _field(body: JSON, name: str, kind: type[T]) -> T | None:
    value = body.get(name)
    if value is None:
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ControlError(400, f"{name} must be a {kind.__name__}")
    return value


def _required(body: JSON, name: str, kind: type[T]) -> T:
    value = _field(body, name, kind)
    if value is None:
        raise ControlError(400, f"{name} is required")
    return value


def _int_path(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise ControlError(400, f"{name} must be an integer") from None


class ControlApi:
    """HTTP handlers that call the emulator's Python control API."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        self._emu = emulator

    def add_routes(self, app: web.Application) -> None:
        """Mount the /_emulator routes on app."""
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "", self.summary),
            ("GET", "/users", self.list_users),
            ("POST", "/users", self.create_user),
            ("GET", "/users/{user_id}", self.get_user),
            ("POST", "/users/{user_id}/messages", self.send_text),
            ("POST", "/users/{user_id}/contact", self.share_contact),
            ("POST", "/users/{user_id}/button", self.press_button),
            ("POST", "/users/{user_id}/block", self.block),
            ("POST", "/users/{user_id}/unblock", self.unblock),
            ("GET", "/chats/{chat_id}/messages", self.chat_messages),
            ("GET", "/callback-queries/{query_id}", self.callback_answer),
            ("GET", "/files/{file_id}", self.file),
            ("GET", "/calls", self.calls),
            ("GET", "/counters", self.counters),
            ("GET", "/commands", self.commands),
            ("GET", "/webhook", self.webhook),
            ("GET", "/events", self.events),
            ("GET", "/events/stream", self.stream),
            ("GET", "/latency", self.get_latency),
            ("PUT", "/latency", self.set_latency),
            ("GET", "/flood", self.get_flood),
            ("PUT", "/flood", self.set_flood),
            ("POST", "/storm", self.start_storm),
            ("DELETE", "/storm", self.stop_storm),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, PREFIX + path, self._guarded(handler))

    def _guarded(self, handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except ControlError as exc:
                return web.json_response({"error": str(exc)}, status=exc.status)
            except EmulatorError as exc:
                return web.json_response({"error": str(exc)}, status=400)

        return guarded

    async def _body(self, request: web.Request) -> JSON:
        if request.content_type != "application/json":
            raise ControlError(415, "send JSON with Content-Type: application/json")
        raw = await request.text()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise ControlError(400, "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ControlError(400, "the body must be a JSON object")
        return cast(JSON, body)

    async def summary(self, request: web.Request) -> web.Response:
        """GET /_emulator: the bot, the switches and the implemented methods."""
        emu = self._emu
        return web.json_response(
            {
                "bot": emu.bot_user,
                "methods": emu.method_names,
                "users": len(emu.users()),
                "webhook": emu.webhook_info(),
                "latency": emu.latency,
                "flood": _flood_json(emu.flood_limits),
                "storm_active": emu.storm_active,
                "last_event_seq": emu.last_event_seq,
            }
        )

    async def list_users(self, request: web.Request) -> web.Response:
        """GET /_emulator/users."""
        return web.json_response([self._user_json(user.id) for user in self._emu.users()])

    def _user_json(self, user_id: int) -> JSON:
        return {**self._emu.user(user_id).to_json(), "blocked": self._emu.is_blocked(user_id)}

    async def create_user(self, request: web.Request) -> web.Response:
        """POST /_emulator/users {first_name, id?, last_name?, username?, language_code?}."""
        body = await self._body(request)
        user = self._emu.create_user(
            _required(body, "first_name", str),
            user_id=_field(body, "id", int),
            last_name=_field(body, "last_name", str),
            username=_field(body, "username", str),
            language_code=_field(body, "language_code", str) or "fr",
        )
        return web.json_response(self._user_json(user.id), status=201)

    async def get_user(self, request: web.Request) -> web.Response:
        """GET /_emulator/users/{user_id}."""
        return web.json_response(self._user_json(_int_path(request, "user_id")))

    async def send_text(self, request: web.Request) -> web.Response:
        """POST /_emulator/users/{user_id}/messages {text}: returns the update."""
        body = await self._body(request)
        update = await self._emu.inject_text(
            _int_path(request, "user_id"), _required(body, "text", str)
        )
        return web.json_response(update)

    async def share_contact(self, request: web.Request) -> web.Response:
        """POST /_emulator/users/{user_id}/contact {phone_number, own?, first_name?}."""
        body = await self._body(request)
        own = _field(body, "own", bool)
        update = await self._emu.inject_contact(
            _int_path(request, "user_id"),
            _required(body, "phone_number", str),
            own=True if own is None else own,
            first_name=_field(body, "first_name", str),
            last_name=_field(body, "last_name", str),
        )
        return web.json_response(update)

    async def press_button(self, request: web.Request) -> web.Response:
        """POST /_emulator/users/{user_id}/button {message_id, data | text}."""
        body = await self._body(request)
        update = await self._emu.press_button(
            _int_path(request, "user_id"),
            _required(body, "message_id", int),
            data=_field(body, "data", str),
            text=_field(body, "text", str),
        )
        return web.json_response(update)

    async def block(self, request: web.Request) -> web.Response:
        """POST /_emulator/users/{user_id}/block: returns the my_chat_member update."""
        await self._body(request)
        return web.json_response(await self._emu.block(_int_path(request, "user_id")))

    async def unblock(self, request: web.Request) -> web.Response:
        """POST /_emulator/users/{user_id}/unblock: returns the my_chat_member update."""
        await self._body(request)
        return web.json_response(await self._emu.unblock(_int_path(request, "user_id")))

    async def chat_messages(self, request: web.Request) -> web.Response:
        """GET /_emulator/chats/{chat_id}/messages?sender=bot|user|any&include_deleted=1."""
        chat_id = _int_path(request, "chat_id")
        sender = request.query.get("sender", "any")
        if sender not in _SENDERS:
            raise ControlError(400, "sender must be bot, user or any")
        include_deleted = request.query.get("include_deleted", "1") not in {"0", "false"}
        messages = self._emu.messages(
            chat_id, sender=cast(Sender, sender), include_deleted=include_deleted
        )
        return web.json_response(
            {
                "messages": [message.to_json() for message in messages],
                "reply_keyboard": self._emu.reply_keyboard(chat_id),
            }
        )

    async def callback_answer(self, request: web.Request) -> web.Response:
        """GET /_emulator/callback-queries/{query_id}: the answer, or null while unanswered."""
        answer = self._emu.callback_answer(request.match_info["query_id"])
        return web.json_response({"answer": None if answer is None else answer.to_json()})

    async def file(self, request: web.Request) -> web.Response:
        """GET /_emulator/files/{file_id}: the bytes (for the playground's <img> and links)."""
        try:
            stored = self._emu.file(request.match_info["file_id"])
        except EmulatorError as exc:
            raise ControlError(404, str(exc)) from None
        mime_type = stored.mime_type or mimetypes.guess_type(stored.file_path)[0]
        headers = {}
        if stored.file_name is not None:
            headers["Content-Disposition"] = f'inline; filename="{stored.file_name}"'
        return web.Response(
            body=stored.data,
            content_type=mime_type or "application/octet-stream",
            headers=headers,
        )

    async def calls(self, request: web.Request) -> web.Response:
        """GET /_emulator/calls?method=sendMessage."""
        calls = self._emu.calls(request.query.get("method"))
        return web.json_response([{"seq": c.seq, **c.to_json()} for c in calls])

    async def counters(self, request: web.Request) -> web.Response:
        """GET /_emulator/counters: calls per method."""
        return web.json_response(self._emu.counters())

    async def commands(self, request: web.Request) -> web.Response:
        """GET /_emulator/commands?scope=<JSON>&language_code=fr."""
        scope_text = request.query.get("scope")
        try:
            scope = None if scope_text is None else json.loads(scope_text)
        except ValueError:
            raise ControlError(400, "scope must be JSON") from None
        if scope is not None and not isinstance(scope, dict):
            raise ControlError(400, "scope must be a JSON object")
        return web.json_response(
            self._emu.commands(scope=scope, language_code=request.query.get("language_code", ""))
        )

    async def webhook(self, request: web.Request) -> web.Response:
        """GET /_emulator/webhook: what getWebhookInfo would answer."""
        return web.json_response(self._emu.webhook_info())

    async def events(self, request: web.Request) -> web.Response:
        """GET /_emulator/events?after=<seq>: logged events."""
        after = _query_int(request, "after", 0)
        return web.json_response([event.to_json() for event in self._emu.events(after=after)])

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """GET /_emulator/events/stream: server-sent events (resumes from Last-Event-ID)."""
        resume = request.headers.get("Last-Event-ID") or request.query.get("after")
        after = None
        if resume is not None:
            try:
                after = int(resume)
            except ValueError:
                raise ControlError(400, "after must be an integer") from None
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        with contextlib.suppress(ConnectionResetError):
            async with self._emu.subscribe(after=after) as subscription:
                while True:
                    try:
                        event = await asyncio.wait_for(subscription.get(), _HEARTBEAT_SECONDS)
                    except TimeoutError:
                        # A comment line keeps proxies from closing an idle stream.
                        await response.write(b": keep-alive\n\n")
                        continue
                    if event is None:
                        break
                    data = json.dumps(event.to_json())
                    await response.write(
                        f"id: {event.seq}\nevent: {event.kind}\ndata: {data}\n\n".encode()
                    )
        return response

    async def get_latency(self, request: web.Request) -> web.Response:
        """GET /_emulator/latency."""
        return web.json_response({"seconds": self._emu.latency})

    async def set_latency(self, request: web.Request) -> web.Response:
        """PUT /_emulator/latency {seconds}."""
        body = await self._body(request)
        self._emu.latency = _required(body, "seconds", float)
        return web.json_response({"seconds": self._emu.latency})

    async def get_flood(self, request: web.Request) -> web.Response:
        """GET /_emulator/flood."""
        return web.json_response(_flood_json(self._emu.flood_limits))

    async def set_flood(self, request: web.Request) -> web.Response:
        """PUT /_emulator/flood {enabled, overall_rate?, overall_burst?, chat_rate?, chat_burst?}"""
        body = await self._body(request)
        if not _required(body, "enabled", bool):
            self._emu.flood_limits = None
        else:
            defaults = FloodLimits()
            try:
                self._emu.flood_limits = FloodLimits(
                    overall_rate=_field(body, "overall_rate", float) or defaults.overall_rate,
                    overall_burst=_field(body, "overall_burst", int) or defaults.overall_burst,
                    chat_rate=_field(body, "chat_rate", float) or defaults.chat_rate,
                    chat_burst=_field(body, "chat_burst", int) or defaults.chat_burst,
                )
            except ValueError as exc:
                raise ControlError(400, str(exc)) from None
        return web.json_response(_flood_json(self._emu.flood_limits))

    async def start_storm(self, request: web.Request) -> web.Response:
        """POST /_emulator/storm {retry_after, calls?, seconds?, methods?}."""
        body = await self._body(request)
        methods = _field(body, "methods", list)
        if methods is not None and not all(isinstance(m, str) for m in methods):
            raise ControlError(400, "methods must be a list of method names")
        self._emu.start_storm(
            retry_after=_field(body, "retry_after", int) or 5,
            calls=_field(body, "calls", int),
            seconds=_field(body, "seconds", float),
            methods=methods,
        )
        return web.json_response({"storm_active": self._emu.storm_active})

    async def stop_storm(self, request: web.Request) -> web.Response:
        """DELETE /_emulator/storm."""
        self._emu.stop_storm()
        return web.json_response({"storm_active": False})


def _query_int(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError:
        raise ControlError(400, f"{name} must be an integer") from None


def _flood_json(limits: FloodLimits | None) -> dict[str, Any]:
    if limits is None:
        return {"enabled": False}
    return {
        "enabled": True,
        "overall_rate": limits.overall_rate,
        "overall_burst": limits.overall_burst,
        "chat_rate": limits.chat_rate,
        "chat_burst": limits.chat_burst,
    }
