"""Helpers for the outbox sender's tests: a shop database, a Bot on the emulator, a faulty link."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from telegram import Bot

from bot.emulator import TelegramEmulator
from bot.outbox import new_message
from bot.reply import Reply
from storage import Database, Stores
from storage.models import OutboxMessage, OutboxState
from storage.outbox import message_from_row


@contextlib.asynccontextmanager
async def open_shop(tmp_path: Path) -> AsyncIterator[Stores]:
    """Open a fresh shop database under tmp_path."""
    async with Database.open(tmp_path / "shop.sqlite3") as db:
        yield Stores.over(db)


@contextlib.asynccontextmanager
async def bot_for(emulator: TelegramEmulator, *, url: str | None = None) -> AsyncIterator[Bot]:
    """Return an initialised Bot talking to the emulator (through `url` when given)."""
    base = emulator.url if url is None else url
    async with Bot(emulator.token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot") as bot:
        yield bot


async def enqueue_texts(stores: Stores, chat_id: int, *texts: str, tag: str = "t") -> None:
    """Queue one plain message per text to a chat."""
    await stores.outbox.enqueue_many(
        new_message(chat_id, Reply(text), dedup_key=f"{tag}:{chat_id}:{n}")
        for n, text in enumerate(texts)
    )


async def outbox_rows(stores: Stores) -> list[OutboxMessage]:
    """Return every outbox row, oldest first."""
    rows = await stores.db.fetch_all("SELECT * FROM outbox ORDER BY id")
    return [message_from_row(row) for row in rows]


async def states(stores: Stores) -> list[OutboxState]:
    """Return the state of every outbox row, oldest first."""
    return [row.state for row in await outbox_rows(stores)]


def bot_texts(emulator: TelegramEmulator, chat_id: int) -> list[str]:
    """Return the text or caption of every message the bot sent to a chat, oldest first."""
    return [message.content for message in emulator.messages(chat_id)]


class FaultyLink:
    """A loopback TCP relay to the emulator that can be cut like a network outage.

    While cut, open connections are closed and new ones are accepted and closed at once without
    a byte, so a request never reaches the emulator: a clean network error, never an ambiguous
    one.
    """

    def __init__(self, emulator: TelegramEmulator) -> None:
        host, port = emulator.url.removeprefix("http://").rsplit(":", 1)
        self._target = (host, int(port))
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._up = True
        self.refused = 0
        self.refused_once = asyncio.Event()

    async def __aenter__(self) -> FaultyLink:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def url(self) -> str:
        """The base URL to give the Bot instead of the emulator's."""
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        self._up = False
        for writer in list(self._writers):
            writer.close()

    def restore(self) -> None:
        """Relay again."""
        self._up = True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._up:
            self.refused += 1
            self.refused_once.set()
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        # A cut link ends the relay with a reset or a closed pipe: that is the point.
        with contextlib.suppress(ConnectionError, OSError):
            while self._up and (chunk := await source.read(65536)):
                sink.write(chunk)
                await sink.drain()
        self._writers.discard(sink)
        sink.close()
