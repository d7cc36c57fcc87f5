"""The Bot API over HTTP: POST /bot<token>/<method> and GET /file/bot<token>/<file_path>."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import secrets
import time
from typing import Any

from aiohttp import web

from bot.emulator.botapi import BotApi, Described
from bot.emulator.config import looks_like_token
from bot.emulator.errors import BotApiError
from bot.emulator.params import read_params
from bot.emulator.state import EmulatorState

logger = logging.getLogger(__name__)


class BotApiServer:
    """aiohttp handlers that speak Telegram's envelope around BotApi."""

    def __init__(self, state: EmulatorState, api: BotApi) -> None:
        self._state = state
        self._api = api

    def add_routes(self, app: web.Application) -> None:
        """Mount the Bot API and file download routes on app."""
        app.router.add_route("*", "/bot{token}/{method}", self.handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)

    def _check_token(self, token: str) -> None:
        # Telegram answers 404 to a malformed token and 401 to a well-formed unknown one.
        if not looks_like_token(token):
            raise BotApiError(404, "Not Found")
        if not secrets.compare_digest(token.encode(), self._state.config.token.encode()):
            raise BotApiError(401, "Unauthorized")

    async def handle_method(self, request: web.Request) -> web.Response:
        """Answer one Bot API call and log it (the token never reaches the log)."""
        started = time.perf_counter()
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        if self._state.latency > 0:
            await asyncio.sleep(self._state.latency)
        try:
            self._check_token(request.match_info["token"])
            resolved = self._api.resolve(method)
            if resolved is None:
                raise BotApiError(404, "Not Found")
            method, handler = resolved
            received = await read_params(request, self._state.config.max_upload_bytes)
            params = received.summary()
            result = await self._api.call(method, handler, received)
            status = 200
            if isinstance(result, Described):
                body = {"ok": True, "result": result.value, "description": result.description}
            else:
                body = {"ok": True, "result": result}
        except BotApiError as exc:
            status, body = exc.status, exc.envelope()
        except Exception:
            logger.exception("emulator failure in Bot API method %s", method)
            status = 500
            body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        self._state.record_call(method, params, status, body, time.perf_counter() - started)
        return web.json_response(body, status=status)

    async def handle_file(self, request: web.Request) -> web.Response:
        """Serve the bytes of a file the bot uploaded, by the file_path getFile returned."""
        try:
            self._check_token(request.match_info["token"])
        except BotApiError as exc:
            return web.json_response(exc.envelope(), status=exc.status)
        stored = self._state.files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        mime_type = stored.mime_type or mimetypes.guess_type(stored.file_path)[0]
        return web.Response(body=stored.data, content_type=mime_type or "application/octet-stream")
