"""The composition root: read Settings, open every resource, wire the features, close in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor, ContextTypes, TypeHandler

from bot.admin import Admin
from bot.alerts import ErrorAlerts
from bot.cashier import LIFETIME, Cashier, Links
from bot.checkout import Checkout
from bot.identity import Visitors
from bot.metrics import MIN_REFRESH_SECONDS, Metrics
from bot.notices import Notices
from bot.outbox import OutboxSender
from bot.persistence import SqlitePersistence
from bot.reconcile import Reconciler
from bot.refunds import Refunds
from bot.server import ServerDeps, build_web_app
from bot.settings import Settings
from bot.shop import Shop
from bot.treasury import Treasurer
from payments.client import LigdicashClient
from payments.sandbox import DEFAULT_API_KEY, DEFAULT_API_TOKEN, Sandbox, SandboxConfig
from storage.database import Database
from storage.models import PayinMethod, utc_now
from storage.stores import Stores

log = logging.getLogger(__name__)

AnyApplication = Application[Any, ContextTypes.DEFAULT_TYPE, Any, Any, Any, Any]
SANDBOX_PREFIX = "/sandbox"
BOT_HEALTH_CACHE_SECONDS = 30.0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Process updates of different chats concurrently, and each chat's updates in order.

    A customer double-tapping a button must not run two checkout steps at once, but one slow
    customer must not hold up the others.
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        """Run the update's handlers while holding its chat's lock."""
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            if not lock.locked() and self._locks.get(key) is lock:
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _chat_key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


@dataclass(frozen=True)
class Tuning:
    """Knobs tests and the playground turn; production uses the defaults."""

    sandbox: SandboxConfig | None = None
    reconcile_tick: float = 1.0
    metrics_refresh: float = MIN_REFRESH_SECONDS
    payin_lifetimes: Mapping[PayinMethod, timedelta] = field(default_factory=lambda: LIFETIME)
    clock: Callable[[], datetime] = utc_now


@dataclass
class Runtime:
    """Everything a running bot holds; tests and the playground reach in through it."""

    settings: Settings
    stores: Stores
    application: AnyApplication
    client: LigdicashClient
    sandbox: Sandbox | None
    cashier: Cashier
    outbox: OutboxSender
    reconciler: Reconciler
    links: Links
    url: str
    metrics: Metrics


def _local_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


@contextlib.asynccontextmanager
async def running(settings: Settings, tuning: Tuning | None = None) -> AsyncIterator[Runtime]:
    """Open every resource, start the bot and the server, and close all in reverse order."""
    # python-telegram-bot 22 warns unless durations are timedeltas; we opt in for the process.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    tuning = tuning or Tuning()
    settings.database_path.parent.mkdir(parents=True, exist_ok=True)
    async with contextlib.AsyncExitStack() as stack:
        db = await stack.enter_async_context(
            Database.open(settings.database_path, clock=tuning.clock)
        )
        stores = Stores.over(db)

        persistence = SqlitePersistence(stores.kv)
        builder = (
            Application.builder()
            .token(settings.telegram_bot_token.get_secret_value())
            .base_url(f"{settings.telegram_api_url.rstrip('/')}/bot")
            .base_file_url(f"{settings.telegram_api_url.rstrip('/')}/file/bot")
            .persistence(persistence)
            .concurrent_updates(PerChatUpdateProcessor())
        )
        if settings.telegram_webhook_url:
            builder = builder.updater(None)
        application: AnyApplication = builder.build()
        metrics = Metrics(
            stores,
            labels={
                "payments": "sandbox" if settings.use_sandbox else "live",
                "updates": "webhook" if settings.telegram_webhook_url else "polling",
            },
            min_refresh=tuning.metrics_refresh,
        )
        # Group -1 runs before every feature and never stops an update from going on.
        application.add_handler(TypeHandler(object, metrics.count_update), group=-1)

        health_cache: dict[str, float] = {}
        server_app = build_web_app(
            ServerDeps(
                update_queue=application.update_queue,
                bot=application.bot,
                health=lambda: _health(db, application, health_cache),
                bot_username=lambda: application.bot.username or "",
                webhook_secret=settings.telegram_webhook_secret
                if settings.telegram_webhook_url
                else None,
                metrics=metrics,
                metrics_token=settings.metrics_token,
            )
        )
        sandbox: Sandbox | None = None
        if settings.use_sandbox:
            log.warning(
                "LIGDICASH SANDBOX MODE: payments are simulated, no real money moves. Set"
                " LIGDICASH_API_KEY and LIGDICASH_API_TOKEN (LIGDICASH_SANDBOX=false) to go live."
            )
            # With port 0 the address is only known once bound: the sandbox then builds payment
            # links from each request's own origin, which is our local address.
            public_root = f"{settings.base_url}{SANDBOX_PREFIX}" if settings.http_port else ""
            sandbox = Sandbox(replace(tuning.sandbox or SandboxConfig(), public_url=public_root))
            server_app.add_subapp(SANDBOX_PREFIX, sandbox.app)

        runner = web.AppRunner(server_app, access_log=None, shutdown_timeout=10.0)
        await runner.setup()
        server_open = True

        async def close_server() -> None:
            nonlocal server_open
            if server_open:
                server_open = False
                await runner.cleanup()

        stack.push_async_callback(close_server)
        site = web.TCPSite(runner, settings.http_host, settings.http_port)
        await site.start()
        url = _local_url(settings.http_host, _bound_port(runner, settings.http_port))
        links = Links(settings.base_url if settings.http_port else url)
        log.info("HTTP server listening on %s (public URL %s)", url, links.base)

        if sandbox is not None:
            api_url = f"{url}{SANDBOX_PREFIX}/pay/v01/"
            api_key, api_token = SecretStr(DEFAULT_API_KEY), SecretStr(DEFAULT_API_TOKEN)
        else:
            assert settings.ligdicash_api_key
            assert settings.ligdicash_api_token
            api_url = settings.ligdicash_api_url
            api_key, api_token = settings.ligdicash_api_key, settings.ligdicash_api_token
        client = await stack.enter_async_context(
            LigdicashClient(
                base_url=api_url,
                api_key=api_key,
                api_token=api_token,
                store_name=settings.store_name,
                store_website_url=settings.website_url,
                total_timeout=settings.ligdicash_timeout,
            )
        )

        outbox = OutboxSender(stores.outbox, application.bot)
        cashier = Cashier(
            stores=stores,
            client=client,
            links=links,
            admin_ids=settings.admin_ids,
            wake_outbox=outbox.wake,
            admin_language=settings.default_language,
            lifetimes=tuning.payin_lifetimes,
            clock=tuning.clock,
            metrics=metrics,
        )
        treasurer = Treasurer(
            stores=stores,
            client=client,
            links=links,
            admin_ids=settings.admin_ids,
            wake_outbox=outbox.wake,
            top_up_wallet=bool(settings.ligdicash_top_up_wallet),
            store_name=settings.store_name,
            default_language=settings.default_language,
            clock=tuning.clock,
            metrics=metrics,
        )
        reconciler = Reconciler(
            cashier=cashier,
            stores=stores,
            checkout_timeout=timedelta(minutes=settings.checkout_timeout_minutes),
            tick_seconds=tuning.reconcile_tick,
            clock=tuning.clock,
            treasurer=treasurer,
        )
        visitors = Visitors(stores.customers, settings.default_language, settings.admin_ids)
        shop = Shop(
            stores=stores,
            visitors=visitors,
            store_name=settings.store_name,
            test_mode=sandbox is not None,
            website_url=settings.store_website_url,
        )
        checkout = Checkout(stores=stores, visitors=visitors, cashier=cashier)
        notices = Notices(cashier=cashier, stores=stores, treasurer=treasurer)
        # --- features: each one is built from its dependencies and returns its handlers ---
        application.add_handlers(notices.handlers(), group=0)
        # One group: a running checkout sees the customer's messages first; anything it does
        # not take falls through to the shop (menu, catalog, cart, help, unknown text).
        refunds = Refunds(stores=stores, visitors=visitors, treasurer=treasurer)
        admin = Admin(
            stores=stores,
            visitors=visitors,
            cashier=cashier,
            wake_outbox=outbox.wake,
            clock=tuning.clock,
        )
        application.add_handlers(
            [*refunds.handlers(), *admin.handlers(), *checkout.handlers(), *shop.handlers()],
            group=1,
        )
        application.add_error_handler(shop.on_error)
        # Second, so the shop's handler has logged the error before admins are alerted.
        alerts = ErrorAlerts(
            stores=stores, visitors=visitors, wake_outbox=outbox.wake, clock=tuning.clock
        )
        application.add_error_handler(alerts.on_error)
        # --- end of features ---

        await application.initialize()
        stack.push_async_callback(application.shutdown)
        await application.start()
        stack.push_async_callback(application.stop)
        await shop.set_commands(application.bot)
        await outbox.start()
        stack.push_async_callback(outbox.stop)
        await reconciler.start()
        stack.push_async_callback(reconciler.stop)
        await admin.start(application.bot)
        stack.push_async_callback(admin.stop)
        if settings.telegram_webhook_url:
            secret = settings.telegram_webhook_secret
            await application.bot.set_webhook(
                settings.telegram_webhook_url,
                secret_token=secret.get_secret_value() if secret else None,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            assert application.updater is not None
            await application.bot.delete_webhook()
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            stack.push_async_callback(application.updater.stop)
        # Unwound first: stop taking callbacks and webhook updates before the rest stops.
        stack.push_async_callback(close_server)
        log.info("bot @%s is up", application.bot.username)
        yield Runtime(
            settings=settings,
            stores=stores,
            application=application,
            client=client,
            sandbox=sandbox,
            cashier=cashier,
            outbox=outbox,
            reconciler=reconciler,
            links=links,
            url=url,
            metrics=metrics,
        )
        log.info("shutting down")


def _bound_port(runner: web.AppRunner, asked: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return asked


async def _health(
    db: Database, application: AnyApplication, cache: dict[str, float]
) -> Mapping[str, bool]:
    """Database answers, and Telegram answered getMe within the last half minute."""
    checks = {"database": await db.ping()}
    now = time.monotonic()
    if now - cache.get("telegram_ok_at", -1e9) > BOT_HEALTH_CACHE_SECONDS:
        try:
            await asyncio.wait_for(application.bot.get_me(), timeout=5)
        except Exception:  # any failure means "not reachable"; the reason is logged
            log.warning("health check: Telegram not reachable", exc_info=True)
            checks["telegram"] = False
            return checks
        cache["telegram_ok_at"] = now
    checks["telegram"] = True
    return checks


async def run(settings: Settings) -> None:
    """Run the bot until SIGTERM or SIGINT, then shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with running(settings):
        # What start-up built lives as long as the process: keep it out of the garbage
        # collector's full passes, which otherwise pause a burst of callbacks for ~100 ms.
        gc.freeze()
        await stop.wait()
