"""The emulator's own outgoing HTTP: webhook deliveries and fetching photos sent by URL."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp

from bot.emulator.state import EmulatorState, PendingUpdate, Webhook

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


class Outbound:
    """One lazily opened aiohttp client session, closed with the emulator."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """Return the session, opening it on first use (inside the running loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def fetch(
        self, url: str, *, max_bytes: int, time_limit: float
    ) -> tuple[bytes, str | None]:
        """Download url; return its body and content type. Raises ValueError on any failure."""
        try:
            async with self.session().get(
                url, timeout=aiohttp.ClientTimeout(total=time_limit)
            ) as response:
                if response.status != 200:
                    raise ValueError(f"HTTP {response.status}")
                body = await response.content.read(max_bytes + 1)
                if len(body) > max_bytes:
                    raise ValueError("too large")
                return body, response.content_type
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ValueError(str(exc)) from exc

    async def aclose(self) -> None:
        """Close the session if it was opened."""
        if self._session is not None:
            await self._session.close()
            self._session = None


class WebhookDeliverer:
    """Posts pending updates to the bot's webhook one at a time, in order, retrying failures."""

    def __init__(self, state: EmulatorState, outbound: Outbound) -> None:
        self._state = state
        self._outbound = outbound
        self._task: asyncio.Task[None] | None = None

    def kick(self) -> None:
        """Make sure the delivery loop runs (called when a webhook is set)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="telegram-emulator-webhook")

    async def aclose(self) -> None:
        """Stop delivering."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        config = self._state.config
        delay = config.webhook_retry_delay
        while not self._state.closing:
            hook = self._state.webhook
            if hook is None or not self._state.updates:
                await self._state.signal.wait(60.0)
                continue
            pending = self._state.updates[0]
            error = await self._post(hook, pending)
            if error is None:
                delay = config.webhook_retry_delay
                if self._state.updates and self._state.updates[0] is pending:
                    self._state.updates.popleft()
                self._state.emit("webhook", {"update_id": pending.update_id, "error": None})
                continue
            hook.last_error_date = self._state.now()
            hook.last_error_message = error
            self._state.emit("webhook", {"update_id": pending.update_id, "error": error})
            # Telegram retries a failed delivery later, backing off.
            await asyncio.sleep(delay)
            delay = min(delay * 2, config.webhook_retry_max_delay)

    async def _post(self, hook: Webhook, pending: PendingUpdate) -> str | None:
        """Deliver one update; return Telegram's wording of the failure, or None on success."""
        headers = {} if hook.secret_token is None else {SECRET_HEADER: hook.secret_token}
        timeout = aiohttp.ClientTimeout(total=self._state.config.webhook_timeout)
        try:
            async with self._outbound.session().post(
                hook.url, json=pending.payload, headers=headers, timeout=timeout
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as exc:
            # The exception text may carry the webhook URL, which can hold a secret path.
            error = f"Connection error: {type(exc).__name__}"
            logger.warning("webhook delivery of update %s failed: %s", pending.update_id, error)
            return error
