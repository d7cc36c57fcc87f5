"""`ligdibot playground`: the real bot, the Telegram emulator, the sandbox and a chat page, at once.

One aiohttp server (the address printed) serves the page and the emulator (under `/telegram`);
the bot itself runs exactly as `ligdibot run` does (`bot.app.running`), pointed at the emulator
with a fake token and paying through its embedded Ligdicash sandbox, on a second local port that
serves the payment pages and receives the sandbox's callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from aiohttp import web
from pydantic import SecretStr

from bot.app import Runtime, Tuning, running
from bot.demo import seed_demo_catalog
from bot.emulator import EmulatorConfig, TelegramEmulator
from bot.playground.cast import Cast
from bot.playground.feed import (
    Feed,
    describe_sandbox_event,
    follow_audit,
    follow_emulator,
    last_audit_id,
)
from bot.playground.web import (
    EMULATOR_PREFIX,
    PAGE_PATH,
    PageContext,
    add_routes,
    local_hosts_only,
    new_instance_id,
)
from bot.settings import Settings
from payments.sandbox import SandboxConfig, SandboxEvent

log = logging.getLogger(__name__)

STORE_NAME: Final = "Boutique ligdibot"
BOT_USERNAME: Final = "ligdibot_playground_bot"
DATABASE_NAME: Final = "playground.sqlite3"


class PlaygroundError(Exception):
    """The playground could not start (its port is taken, for one)."""


@dataclass(frozen=True)
class PlaygroundOptions:
    """How to run the playground: where to listen, which database, how fast the sandbox is."""

    host: str = "127.0.0.1"
    port: int = 8080
    keep: Path | None = None
    sandbox: SandboxConfig = field(default_factory=lambda: SandboxConfig(approval_delay=3.0))
    reconcile_tick: float = 1.0
    audit_poll_seconds: float = 1.0


@dataclass(frozen=True)
class Playground:
    """A running playground: where it is and the parts tests reach into."""

    url: str
    emulator: TelegramEmulator
    runtime: Runtime
    cast: Cast
    feed: Feed
    database_path: Path

    @property
    def page_url(self) -> str:
        """The address to open in a browser."""
        return f"{self.url}{PAGE_PATH}"


@contextlib.asynccontextmanager
async def open_playground(options: PlaygroundOptions | None = None) -> AsyncIterator[Playground]:
    """Start the page server, the emulator, the bot with demo products, and the live feed."""
    options = options or PlaygroundOptions()
    # python-telegram-bot 22 warns unless durations are timedeltas; the process opts in.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    feed = Feed()
    emulator = TelegramEmulator(
        EmulatorConfig(bot_username=BOT_USERNAME, bot_first_name=STORE_NAME)
    )
    cast = Cast(emulator, feed)
    app = web.Application()
    if is_loopback(options.host):
        # Served on this machine only: a web site must not reach it by rebinding its own name.
        app.middlewares.append(local_hosts_only)
    app.add_subapp(EMULATOR_PREFIX, emulator.app)
    add_routes(
        app,
        PageContext(
            emulator=emulator,
            cast=cast,
            feed=feed,
            store_name=STORE_NAME,
            instance=new_instance_id(),
        ),
    )
    async with contextlib.AsyncExitStack() as stack:
        # No access log: every Bot API path carries the bot token, even a fake one.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, options.host, options.port)
        try:
            await site.start()
        except OSError as exc:
            raise PlaygroundError(
                f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}"
            ) from exc
        url = _shown_url(runner, options.host)
        stack.callback(feed.close)

        cast.add_defaults()
        following = asyncio.create_task(follow_emulator(feed, emulator, cast.name_of))
        stack.push_async_callback(_stop, following)

        if options.keep is not None:
            database_path = options.keep
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="ligdibot-"))
            database_path = Path(folder) / DATABASE_NAME
        settings = _settings(url, emulator.token, database_path, cast.admin_ids)
        tuning = Tuning(sandbox=options.sandbox, reconcile_tick=options.reconcile_tick)
        runtime = await stack.enter_async_context(running(settings, tuning))
        added = await seed_demo_catalog(runtime.stores)
        if added:
            log.info("playground: %d demo products added", len(added))
        if runtime.sandbox is not None:

            def on_sandbox_event(event: SandboxEvent) -> None:
                feed.publish(describe_sandbox_event(event))

            stack.callback(runtime.sandbox.subscribe(on_sandbox_event))
        auditing = asyncio.create_task(
            follow_audit(
                feed,
                runtime.stores.audit,
                after_id=await last_audit_id(runtime.stores.audit),
                interval=options.audit_poll_seconds,
            )
        )
        # Unwound before the bot stops: the audit trail is read from the bot's database.
        stack.push_async_callback(_stop, auditing)
        yield Playground(
            url=url,
            emulator=emulator,
            runtime=runtime,
            cast=cast,
            feed=feed,
            database_path=database_path,
        )


def _settings(url: str, token: str, database_path: Path, admin_ids: tuple[int, ...]) -> Settings:
    """The bot's settings: every value that matters is given, so no .env can change them."""
    return Settings(
        telegram_bot_token=SecretStr(token),
        telegram_api_url=f"{url}{EMULATOR_PREFIX}",
        telegram_webhook_url=None,
        telegram_webhook_secret=None,
        admin_ids=admin_ids,
        ligdicash_sandbox=True,
        ligdicash_api_key=None,
        ligdicash_api_token=None,
        # Port 0: the bot's own server (payment pages, callbacks) takes a free local port.
        http_host="127.0.0.1",
        http_port=0,
        database_path=database_path,
        store_name=STORE_NAME,
        default_language="fr",
        _env_file=None,  # pydantic-settings' own argument: no .env file either
    )


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _shown_url(runner: web.AppRunner, host: str) -> str:
    port = 0
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            port = int(address[1])
            break
    shown = host
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_unspecified:
            shown = "127.0.0.1"
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def serve(
    options: PlaygroundOptions, announce: Callable[[Playground], None] = lambda _: None
) -> None:
    """Run the playground until SIGINT or SIGTERM; `announce` is called once it is ready."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with open_playground(options) as playground:
            announce(playground)
            await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
