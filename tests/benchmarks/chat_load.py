"""Emulated Telegram users in their own process: they walk a scripted path and time the bot.

`python -m tests.benchmarks.chat_load PLAN RESULT` starts a Telegram Bot API emulator (flood limits
off), prints `READY <url>`, and on a `GO` line on stdin runs `users` users at once. Each sends
`text`, waits for a bot message offering a button whose data starts with `first_wants`, then for
each `[pressed, wanted]` of `path` presses the button of that message whose data starts with
`pressed` and waits for a bot message (new or edited) offering `wanted`. The last answer must also
carry a URL button when `final_url` is true. Latencies come from the emulator's event times: from
an update's injection to the bot's first message event in that chat, and to the awaited answer.
RESULT (JSON) then holds the latencies (with each answer's step number), the wall time, each
user's last answer, the Bot API calls that failed and the events missed; the process prints
`DONE` and closes the emulator on `STOP`.
Running apart from the bot keeps Telegram's side off the bot's event loop and core, as in life.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.emulator import EmulatorConfig, Subscription, TelegramEmulator

JSON = dict[str, Any]
Act = Callable[[], Awaitable[JSON]]
Wanted = Callable[[JSON], bool]


def buttons(message: JSON) -> list[JSON]:
    """The inline buttons of a message as the emulator reports it."""
    markup = message.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard") or [] for button in row]


def data_starting(message: JSON, prefix: str) -> str | None:
    """The callback data of the message's first button starting with `prefix`."""
    for button in buttons(message):
        data = button.get("callback_data")
        if isinstance(data, str) and data.startswith(prefix):
            return data
    return None


def offers(prefix: str, *, url: bool = False) -> Wanted:
    """A live bot message with a button whose data starts with `prefix` (and a URL button)."""

    def wanted(message: JSON) -> bool:
        if message["deleted"] or data_starting(message, prefix) is None:
            return False
        return not url or any("url" in button for button in buttons(message))

    return wanted


@dataclass
class Timings:
    """Per-update latencies in seconds: first bot reply, and the answer the next step needs."""

    first: list[float] = field(default_factory=list)
    answer: list[float] = field(default_factory=list)
    step: list[int] = field(default_factory=list)


class BotFeed:
    """The bot's messages (sent or edited) per chat, stamped by the emulator when they happen."""

    def __init__(self, subscription: Subscription, wait_seconds: float) -> None:
        self._subscription = subscription
        self._wait = wait_seconds
        self._chats: defaultdict[int, asyncio.Queue[tuple[datetime, JSON]]] = defaultdict(
            asyncio.Queue
        )

    @classmethod
    @contextlib.asynccontextmanager
    async def of(cls, emulator: TelegramEmulator, wait_seconds: float) -> AsyncIterator[BotFeed]:
        """Follow the emulator's events for the duration of the block."""
        subscription = emulator.subscribe(maxsize=1_000_000)
        feed = cls(subscription, wait_seconds)
        pump = asyncio.create_task(feed._pump())
        try:
            yield feed
        finally:
            subscription.close()
            await pump

    @property
    def missed(self) -> int:
        """Events dropped because the feed lagged (must stay 0)."""
        return self._subscription.missed

    async def _pump(self) -> None:
        async for event in self._subscription:
            if event.kind == "message" and event.data["from_bot"]:
                self._chats[int(event.data["chat_id"])].put_nowait((event.at, dict(event.data)))

    async def step(
        self, chat_id: int, act: Act, wanted: Wanted, timings: Timings, number: int
    ) -> JSON:
        """Do `act`; wait for the bot's message that `wanted` accepts; record the latencies."""
        queue = self._chats[chat_id]
        while not queue.empty():
            queue.get_nowait()
        sent_at = datetime.now(UTC)
        await act()
        first = True
        while True:
            at, message = await asyncio.wait_for(queue.get(), self._wait)
            latency = (at - sent_at).total_seconds()
            if first:
                timings.first.append(latency)
                first = False
            if wanted(message):
                timings.answer.append(latency)
                timings.step.append(number)
                return message


async def walk(emulator: TelegramEmulator, feed: BotFeed, plan: JSON) -> JSON:
    """Run every user's path at once; return the figures and each user's last answer."""
    timings = Timings()
    path: list[list[str]] = plan["path"]
    users = [
        emulator.create_user(plan["first_name"], last_name=plan["last_name"]).id
        for _ in range(int(plan["users"]))
    ]
    last: dict[str, JSON] = {}

    async def user(uid: int) -> None:
        text, first_wants = str(plan["text"]), str(plan["first_wants"])
        message = await feed.step(
            uid, lambda: emulator.inject_text(uid, text), offers(first_wants), timings, 0
        )
        for number, (pressed, wanted) in enumerate(path, start=1):
            data, message_id = data_starting(message, pressed), int(message["message_id"])
            if data is None:
                raise AssertionError(f"no button {pressed!r} in {message}")
            accepts = offers(wanted, url=bool(plan["final_url"]) and number == len(path))
            message = await feed.step(
                uid,
                functools.partial(emulator.press_button, uid, message_id, data=data),
                accepts,
                timings,
                number,
            )
        last[str(uid)] = message

    began = time.perf_counter()
    await asyncio.gather(*(user(uid) for uid in users))
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "first": timings.first,
        "answer": timings.answer,
        "step": timings.step,
        "last": last,
        "failed_calls": [
            {"method": call.method, "status": call.status, "response": dict(call.response)}
            for call in emulator.calls()
            if not call.ok
        ],
        "missed": feed.missed,
    }


async def serve(plan: JSON, result_path: Path) -> None:
    """Start the emulator, run the users when told, write the result, close when told."""
    loop = asyncio.get_running_loop()

    async def command() -> str:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        return str(line).strip()

    config = EmulatorConfig(
        event_log_size=int(plan["event_log_size"]),
        callback_query_timeout=float(plan["callback_query_timeout"]),
    )
    async with (
        TelegramEmulator(config) as emulator,
        BotFeed.of(emulator, float(plan["wait_seconds"])) as feed,
    ):
        print(f"READY {emulator.url}", flush=True)
        if await command() != "GO":
            raise SystemExit("expected GO")
        result = await walk(emulator, feed, plan)
        await asyncio.to_thread(result_path.write_text, json.dumps(result))
        print("DONE", flush=True)
        await command()


def main(argv: list[str]) -> int:
    """Run a plan file and write the result file."""
    plan = json.loads(Path(argv[0]).read_text())
    asyncio.run(serve(plan, Path(argv[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
