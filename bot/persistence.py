"""python-telegram-bot persistence in our SQLite key-value space: conversations and user_data.

Only JSON-friendly values are kept: the money state (orders, payins) lives in its own tables,
so what is persisted here is where each customer stands in a conversation and the few choices
they made on the way (names, e-mail, method, phone).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.kv import KeyValueStore

log = logging.getLogger(__name__)

USER_DATA = "ptb:user_data"
CONVERSATION = "ptb:conversation:"
# Flush often: a customer who restarts mid-checkout should resume where they were.
FLUSH_SECONDS = 1.0

UserData = dict[Any, Any]


class SqlitePersistence(BasePersistence[UserData, dict[Any, Any], dict[Any, Any]]):
    """Keeps conversation states and user_data in the key-value store."""

    def __init__(self, kv: KeyValueStore, *, update_interval: float = FLUSH_SECONDS) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._kv = kv
        self._pending: dict[str, dict[str, str | None]] = {}
        self._batch: asyncio.Future[None] | None = None
        self._writer: asyncio.Future[None] | None = None

    async def _write(self, namespace: str, key: str, value: str | None) -> None:
        """Store (None: delete) one key; writes asked for together share one write per namespace.

        PTB hands over every changed user and conversation at once, each as its own call: one
        transaction each would queue dozens of commits on the single writer at every flush.
        """
        self._pending.setdefault(namespace, {})[key] = value
        if self._batch is None:
            loop = asyncio.get_running_loop()
            self._batch = loop.create_future()
            # call_soon runs after the calls PTB gathered with this one have registered theirs.
            loop.call_soon(self._start_writing)
        await asyncio.shield(self._batch)

    def _start_writing(self) -> None:
        # Keep a reference: the event loop only holds tasks weakly.
        self._writer = asyncio.ensure_future(self._write_pending())

    async def _write_pending(self) -> None:
        batch, self._batch = self._batch, None
        pending, self._pending = self._pending, {}
        assert batch is not None
        try:
            for namespace, values in pending.items():
                await self._kv.set_many(namespace, values)
        except Exception as exc:  # every caller of this batch learns that it failed
            batch.set_exception(exc)
        else:
            batch.set_result(None)

    async def get_user_data(self) -> dict[int, UserData]:
        """Load every customer's user_data."""
        loaded: dict[int, UserData] = {}
        for key, text in (await self._kv.items(USER_DATA)).items():
            value = _loads(text)
            if isinstance(value, dict):
                loaded[int(key)] = value
        return loaded

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        """Store one customer's user_data (an empty dict removes it)."""
        await self._write(USER_DATA, str(user_id), json.dumps(data, default=str) if data else None)

    async def drop_user_data(self, user_id: int) -> None:
        """Forget one customer's user_data."""
        await self._write(USER_DATA, str(user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def get_conversations(self, name: str) -> ConversationDict:
        """Load the states of one ConversationHandler, keyed by (chat id, user id)."""
        states: ConversationDict = {}
        for key, text in (await self._kv.items(CONVERSATION + name)).items():
            value = _loads(key)
            if isinstance(value, list) and all(isinstance(part, int) for part in value):
                states[tuple(value)] = _loads(text)
        return states

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Store (or, for None, remove) one conversation's state."""
        text = None if new_state is None else json.dumps(new_state)
        await self._write(CONVERSATION + name, json.dumps(list(key)), text)

    async def flush(self) -> None:
        """Nothing buffered: every update is written when PTB hands it over."""

    # What follows is not stored (see PersistenceInput above); PTB still requires the methods.
    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        """chat_data is not persisted."""
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        """bot_data is not persisted."""
        return {}

    async def get_callback_data(self) -> CDCData | None:
        """Arbitrary callback data is not used."""
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        """chat_data is not persisted."""

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        """bot_data is not persisted."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Arbitrary callback data is not used."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """chat_data is not persisted."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        """chat_data is not persisted."""

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        """bot_data is not persisted."""


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        log.warning("unreadable persisted value skipped")
        return None
