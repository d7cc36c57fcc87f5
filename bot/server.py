"""The aiohttp server: Ligdicash callbacks, Telegram webhooks, health, metrics, landing pages.

This is the only module that sees aiohttp requests. Every inbound request is authenticated (where
it can be) and size-capped before it is parsed; a Ligdicash callback is never trusted: it only
becomes a notice on the bot's update queue, and the bot re-confirms it with Ligdicash.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler
from pydantic import SecretStr
from telegram import Bot, Update

from bot.metrics import Metrics
from payments.errors import MalformedCallbackError
from payments.notice import Notice, parse_notice

log = logging.getLogger(__name__)

CALLBACK_MAX_BYTES: Final = 64 * 1024
TELEGRAM_MAX_BYTES: Final = 1024 * 1024
CALLBACK_PATH: Final = "/ligdicash/callback"
TELEGRAM_PATH: Final = "/telegram"
RETURN_PATH: Final = "/payment/return"
CANCEL_PATH: Final = "/payment/cancel"
METRICS_PATH: Final = "/metrics"


@dataclass(frozen=True)
class NoticeReceived:
    """A parsed Ligdicash callback, queued for the bot; a hint to re-confirm, never a fact."""

    notice: Notice
    body_excerpt: str


@dataclass(frozen=True)
class NoticeRejected:
    """A callback body that could not be parsed, queued so it lands in the callback log."""

    reason: str
    body_excerpt: str


HealthCheck = Callable[[], Awaitable[Mapping[str, bool]]]


@dataclass(frozen=True)
class ServerDeps:
    """What the routes need from the rest of the process."""

    update_queue: asyncio.Queue[object]
    bot: Bot
    health: HealthCheck
    bot_username: Callable[[], str]
    webhook_secret: SecretStr | None = None
    metrics: Metrics = field(default_factory=Metrics)
    metrics_token: SecretStr | None = None


DEPS: Final = web.AppKey("deps", ServerDeps)


def build_web_app(deps: ServerDeps) -> web.Application:
    """Return the aiohttp application with every route of the bot."""
    app = web.Application(client_max_size=TELEGRAM_MAX_BYTES)
    app[DEPS] = deps
    app.router.add_post(CALLBACK_PATH, _ligdicash_callback)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get(RETURN_PATH, _landing_page)
    app.router.add_get(CANCEL_PATH, _landing_page)
    if deps.webhook_secret is not None:
        app.router.add_post(TELEGRAM_PATH, _telegram_update)
    app.router.add_get(METRICS_PATH, _metrics_handler(deps))
    return app


async def _read_capped(request: web.Request, cap: int) -> bytes | None:
    """Read the body unless it is larger than `cap` bytes (then None, without reading it all)."""
    if request.content_length is not None and request.content_length > cap:
        return None
    body = await request.content.read(cap + 1)
    return None if len(body) > cap else body


def excerpt(body: bytes, limit: int = 2000) -> str:
    """A printable start of a body for the callback log (phone numbers are masked later)."""
    return body[:limit].decode("utf-8", errors="replace")


async def _ligdicash_callback(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    deps.metrics.callbacks_received.inc()
    body = await _read_capped(request, CALLBACK_MAX_BYTES)
    if body is None:
        log.warning("callback refused: body over %d bytes", CALLBACK_MAX_BYTES)
        deps.metrics.callbacks_rejected.labels("too_large").inc()
        return web.Response(status=413, text="too large")
    try:
        notice = parse_notice(request.content_type, body)
    except MalformedCallbackError as exc:
        log.warning("malformed Ligdicash callback: %s", exc.reason)
        deps.metrics.callbacks_rejected.labels("malformed").inc()
        await deps.update_queue.put(NoticeRejected(exc.reason, excerpt(body)))
        return web.Response(status=400, text="malformed callback")
    # Ligdicash only needs to know we got it: confirming and applying happen on the bot's side.
    await deps.update_queue.put(NoticeReceived(notice, excerpt(body)))
    return web.Response(text="OK")


async def _telegram_update(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    secret = deps.webhook_secret
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if secret is None or not secrets.compare_digest(
        given.encode(), secret.get_secret_value().encode()
    ):
        log.warning("webhook request with a wrong secret token from %s", request.remote)
        return web.Response(status=403, text="forbidden")
    body = await _read_capped(request, TELEGRAM_MAX_BYTES)
    if body is None:
        return web.Response(status=413, text="too large")
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise TypeError("update is not an object")
        update = Update.de_json(data, deps.bot)
    except (ValueError, TypeError, KeyError) as exc:
        log.warning("unreadable Telegram update: %s", type(exc).__name__)
        return web.Response(status=400, text="bad update")
    await deps.update_queue.put(update)
    return web.Response(text="OK")


async def _healthz(request: web.Request) -> web.Response:
    checks = dict(await request.app[DEPS].health())
    healthy = all(checks.values())
    return web.json_response(
        {"status": "ok" if healthy else "degraded", "checks": checks},
        status=200 if healthy else 503,
    )


def _metrics_handler(deps: ServerDeps) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """GET /metrics: the Prometheus exposition, behind a bearer token when one is set."""
    expose = make_aiohttp_handler(deps.metrics.registry)
    expected = f"Bearer {deps.metrics_token.get_secret_value()}" if deps.metrics_token else None

    async def metrics(request: web.Request) -> web.StreamResponse:
        given = request.headers.get("Authorization", "")
        if expected is not None and not secrets.compare_digest(given.encode(), expected.encode()):
            return web.Response(
                status=401, text="unauthorized", headers={"WWW-Authenticate": "Bearer"}
            )
        await deps.metrics.refresh()
        return await expose(request)

    return metrics


async def _landing_page(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    cancelled = request.path == CANCEL_PATH
    reference = request.query.get("ref", "")[:32]
    link = f"https://t.me/{deps.bot_username()}"
    return web.Response(
        text=landing_html(cancelled=cancelled, reference=reference, link=link),
        content_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


def landing_html(*, cancelled: bool, reference: str, link: str) -> str:
    """The bilingual page a customer sees when Ligdicash sends them back from the payment page."""
    ref = html.escape(reference)
    if cancelled:
        fr = "Paiement annulé. Vous pouvez réessayer depuis Telegram."
        en = "Payment cancelled. You can try again from Telegram."
    else:
        fr = "Merci ! Nous vérifions votre paiement : la confirmation arrive dans Telegram."
        en = "Thank you! We are checking your payment: the confirmation arrives in Telegram."
    ref_line = f"<p class='ref'>Commande / Order <b>{ref}</b></p>" if ref else ""
    href = html.escape(link, quote=True)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ligdibot</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}}
a.button{{display:inline-block;background:#2aabee;color:#fff;padding:.8rem 1.4rem;
border-radius:.6rem;text-decoration:none;font-weight:600}}
.en{{color:#666}}
</style></head><body>
<h1>{"❌" if cancelled else "✅"}</h1>
{ref_line}
<p>{html.escape(fr)}</p>
<p class="en">{html.escape(en)}</p>
<p><a class="button" href="{href}">Retour à Telegram / Back to Telegram</a></p>
</body></html>
"""
