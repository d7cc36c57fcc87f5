"""The playground's HTTP side: the chat page, its state, new customers and the live feed (SSE).

The page drives the users through the emulator's own control API (mounted at `/telegram`);
these routes only add what the emulator does not know: who the personas are, the magic
values, and one stream merging Telegram, Ligdicash and state changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from bot.emulator import TelegramEmulator
from bot.playground.cast import MAGIC_VALUES, PHONE_CHOICES, Cast
from bot.playground.feed import FEED_SIZE, Feed

JSON = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

EMULATOR_PREFIX: Final = "/telegram"
PAGE_PATH: Final = "/playground/"
API: Final = "/playground/api"
STATIC_DIR: Final = Path(__file__).parent / "static"
STATIC_FILES: Final = frozenset({"app.js", "style.css"})
HEARTBEAT_SECONDS: Final = 15.0
# The page renders bot text as DOM nodes, never as HTML; the policy is a second fence.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'none'"
)


@dataclass(frozen=True)
class PageContext:
    """What the routes read: the emulator, the people, the feed and a few labels."""

    emulator: TelegramEmulator
    cast: Cast
    feed: Feed
    store_name: str
    instance: str


CONTEXT: Final = web.AppKey("playground", PageContext)


def add_routes(app: web.Application, context: PageContext) -> None:
    """Mount the page, its static files and its API on `app` (the emulator is mounted apart)."""
    app[CONTEXT] = context
    app.router.add_get("/", _to_page)
    app.router.add_get("/playground", _to_page)
    app.router.add_get(PAGE_PATH, _page)
    app.router.add_get("/playground/static/{name}", _static)
    app.router.add_get(f"{API}/state", _state)
    app.router.add_get(f"{API}/events", _events)
    app.router.add_get(API + "/commands/{user_id}", _commands)
    app.router.add_post(f"{API}/customers", _add_customer)
    app.on_shutdown.append(_end_streams)


LOCAL_HOST_NAMES: Final = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


@web.middleware
async def local_hosts_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse requests addressed to another host name (DNS rebinding from a web site)."""
    if request.url.host not in LOCAL_HOST_NAMES:
        return web.Response(status=403, text="open the playground at 127.0.0.1 or localhost")
    return await handler(request)


def new_instance_id() -> str:
    """A random id per run: a page that sees it change reloads (the feed restarted)."""
    return secrets.token_hex(8)


async def _end_streams(app: web.Application) -> None:
    app[CONTEXT].feed.close()


async def _to_page(request: web.Request) -> web.Response:
    raise web.HTTPFound(PAGE_PATH)


async def _page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(
        STATIC_DIR / "index.html",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


async def _static(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    # Revalidated on every load, so a page never runs scripts older than the server.
    return web.FileResponse(STATIC_DIR / name, headers={"Cache-Control": "no-cache"})


def snapshot(context: PageContext) -> JSON:
    """The whole page state: people, chats as they stand, magic values, and the feed position."""
    emulator = context.emulator
    # Read the position first: entries numbered after it are at least as new as the chats below.
    seq = context.feed.last_seq
    chats = {
        str(persona.id): {
            "messages": [
                message.to_json()
                for message in emulator.messages(persona.id, sender="any", include_deleted=False)
            ],
            "reply_keyboard": emulator.reply_keyboard(persona.id),
        }
        for persona in context.cast.personas()
    }
    return {
        "instance": context.instance,
        "seq": seq,
        "store_name": context.store_name,
        "bot": emulator.bot_user,
        "emulator": EMULATOR_PREFIX,
        "personas": [persona.to_json() for persona in context.cast.personas()],
        "chats": chats,
        "phones": [{"number": number, "label": label} for number, label in PHONE_CHOICES],
        "magic": [
            {"title": title, "values": [{"value": v, "meaning": m} for v, m in values]}
            for title, values in MAGIC_VALUES
        ],
    }


async def _state(request: web.Request) -> web.Response:
    return web.json_response(snapshot(request.app[CONTEXT]), headers={"Cache-Control": "no-store"})


def commands_for(emulator: TelegramEmulator, user_id: int, language: str) -> list[JSON]:
    """The command menu a user sees, resolved like Telegram: chat, private chats, then default."""
    scopes: tuple[JSON | None, ...] = (
        {"type": "chat", "chat_id": user_id},
        {"type": "all_private_chats"},
        None,
    )
    for scope in scopes:
        for language_code in (language, ""):
            found = emulator.commands(scope=scope, language_code=language_code)
            if found:
                return found
    return []


async def _commands(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    try:
        user_id = int(request.match_info["user_id"])
    except ValueError:
        return web.json_response({"error": "user id must be an integer"}, status=400)
    persona = context.cast.get(user_id)
    if persona is None:
        return web.json_response({"error": "no such person"}, status=404)
    return web.json_response(
        {"commands": commands_for(context.emulator, user_id, persona.language)}
    )


async def _add_customer(request: web.Request) -> web.Response:
    # JSON only: another web site cannot send it without a CORS preflight (which we refuse).
    if request.content_type != "application/json":
        return web.json_response({"error": "send application/json"}, status=415)
    try:
        body = await request.json()
    except ValueError:
        return web.json_response({"error": "body is not JSON"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "body must be an object"}, status=400)
    try:
        persona = request.app[CONTEXT].cast.add_customer(
            str(body.get("first_name", "")), str(body.get("language_code", "fr"))
        )
    except ValueError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response(persona.to_json(), status=201)


async def _events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: a `hello` (instance, position), then every feed entry as it comes."""
    context = request.app[CONTEXT]
    resume = request.headers.get("Last-Event-ID") or request.query.get("after")
    try:
        after = int(resume) if resume is not None else None
    except ValueError:
        return web.json_response({"error": "after must be an integer"}, status=400)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    hello = {"instance": context.instance, "seq": context.feed.last_seq}
    with contextlib.suppress(ConnectionResetError):
        await response.write(f"event: hello\ndata: {json.dumps(hello)}\n\n".encode())
        # Room for a whole replay, so a page that connects late still sees every kept entry.
        queue_size = FEED_SIZE + 1000
        async with context.feed.subscribe(after=after, maxsize=queue_size) as subscription:
            while True:
                try:
                    entry = await asyncio.wait_for(subscription.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    # A comment line keeps proxies from closing an idle stream.
                    await response.write(b": keep-alive\n\n")
                    continue
                if entry is None:
                    break
                # json.dumps escapes newlines, so one entry is always one `data:` line.
                line = f"id: {entry.seq}\ndata: {json.dumps(entry.to_json())}\n\n"
                await response.write(line.encode())
    return response
