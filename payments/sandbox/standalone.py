"""Run the sandbox on its own, as `ligdibot sandbox` does."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from payments.sandbox.config import SandboxConfig
from payments.sandbox.server import API_ROOT
from payments.sandbox.simulator import Sandbox

logger = logging.getLogger(__name__)


async def serve(config: SandboxConfig, host: str, port: int) -> None:
    """Serve a sandbox on host:port until cancelled, printing its address and test credentials."""
    sandbox = Sandbox(config)
    runner = web.AppRunner(sandbox.app, shutdown_timeout=2.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        root = config.public_url.rstrip("/") or _listening_url(runner, host, port)
        logger.info("Ligdicash sandbox listening on %s", root)
        print(
            "Ligdicash sandbox (simulated: no real money moves)\n"
            f"  API base URL : {root}{API_ROOT}\n"
            f"  Apikey       : {config.api_key}\n"
            f"  Bearer token : {config.api_token}\n"
            f"  control      : {root}/_sandbox (same headers)\n"
            "  Ctrl+C stops it.",
            flush=True,
        )
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _listening_url(runner: web.AppRunner, host: str, port: int) -> str:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            bound_host, bound_port = str(address[0]), int(address[1])
            if ":" in bound_host:
                bound_host = f"[{bound_host}]"
            return f"http://{bound_host}:{bound_port}"
    return f"http://{host}:{port}"
