"""The playground server: the page, its state, new customers, and the merged live feed (SSE)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli import build_parser
from bot.emulator.records import Event
from bot.messages import checkout as words
from bot.playground import (
    ADMIN_ID,
    Feed,
    Playground,
    PlaygroundError,
    PlaygroundOptions,
    open_playground,
)
from bot.playground.cast import DEFAULT_CAST, MAGIC_VALUES
from bot.playground.feed import (
    Draft,
    describe_audit_entry,
    describe_emulator_event,
    describe_sandbox_event,
    shorten,
)
from bot.playground.web import CONTENT_SECURITY_POLICY
from payments.sandbox import OTP_DECLINED, OTP_EXPIRED, OTP_WRONG, SandboxEvent
from storage.models import AuditEntry
from tests.bot.checkout_support import Customer, by_name, reference_of, transaction_of
from tests.bot.conftest import FAST_SANDBOX

AWA = DEFAULT_CAST[1][0]
JOHN = DEFAULT_CAST[3][0]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def options(tmp_path: Path, **changes: Any) -> PlaygroundOptions:
    """A playground on a free port, its database under tmp_path, with a fast sandbox."""
    base: dict[str, Any] = {
        "port": 0,
        "keep": tmp_path / "playground.sqlite3",
        "sandbox": FAST_SANDBOX,
        "reconcile_tick": 0.1,
        "audit_poll_seconds": 0.05,
    }
    return PlaygroundOptions(**{**base, **changes})


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[Playground]:
    """A running playground."""
    async with open_playground(options(tmp_path)) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client."""
    async with aiohttp.ClientSession() as session:
        yield session


class Stream:
    """A server-sent event stream read event by event."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def next(self) -> dict[str, str]:
        """The next event's fields (comments skipped); raises EOFError when the stream ends."""
        fields: dict[str, str] = {}
        while True:
            raw = await self._response.content.readline()
            if not raw:
                raise EOFError("stream ended")
            line = raw.decode().rstrip("\n")
            if not line:
                if fields:
                    return fields
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value

    async def rest(self) -> list[dict[str, str]]:
        """Every remaining event, once the server ends the stream."""
        events = []
        with contextlib.suppress(EOFError):
            while True:
                events.append(await self.next())
        return events

    async def entry_where(self, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first feed entry (not the hello) for which `check` holds."""
        while True:
            event = await self.next()
            if event.get("event", "message") != "message":
                continue
            entry: dict[str, Any] = json.loads(event["data"])
            if check(entry):
                return entry


async def post_json(http: aiohttp.ClientSession, url: str, body: Any) -> tuple[int, Any]:
    """POST JSON; return status and decoded JSON."""
    async with http.post(url, json=body) as response:
        return response.status, await response.json()


async def test_the_page_is_served_with_a_strict_content_security_policy(
    playground: Playground, http: aiohttp.ClientSession
) -> None:
    async with http.get(playground.url + "/", allow_redirects=False) as root:
        assert root.status == 302
        assert root.headers["Location"] == "/playground/"
    async with http.get(playground.page_url) as page:
        assert page.status == 200
        assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self'" in CONTENT_SECURITY_POLICY
        assert "/playground/static/app.js" in await page.text()
    for name, kind in (("app.js", "javascript"), ("style.css", "css")):
        async with http.get(f"{playground.url}/playground/static/{name}") as static:
            assert static.status == 200
            assert kind in static.content_type
    async with http.get(f"{playground.url}/playground/static/../runner.py") as escape:
        assert escape.status in (403, 404)


@pytest.mark.parametrize(
    "path", ["/playground/", "/playground/api/state", "/telegram/_emulator/users"]
)
async def test_requests_for_another_host_name_are_refused(
    playground: Playground, http: aiohttp.ClientSession, path: str
) -> None:
    # A web site that rebinds its own name to 127.0.0.1 still sends its name as the Host.
    async with http.get(playground.url + path, headers={"Host": "evil.example"}) as rebound:
        assert rebound.status == 403
    async with http.get(playground.url + path, headers={"Host": "localhost"}) as local:
        assert local.status == 200


async def test_the_state_lists_the_admin_three_customers_and_the_magic_values(
    playground: Playground, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{playground.url}/playground/api/state") as response:
        state = await response.json()
    people = [(p["name"], p["language"], p["role"]) for p in state["personas"]]
    assert people == [
        ("Admin", "fr", "admin"),
        ("Awa", "fr", "customer"),
        ("Moussa", "fr", "customer"),
        ("John", "en", "customer"),
    ]
    assert playground.runtime.settings.admin_ids == (ADMIN_ID,)
    assert {p["id"] for p in state["personas"]} == {u.id for u in playground.emulator.users()}
    phones = {p["name"]: p["phone"] for p in state["personas"]}
    assert (phones["Awa"], phones["Moussa"]) == ("22607123456", "22670123456")
    shown = {v["value"] for group in state["magic"] for v in group["values"]}
    assert {OTP_WRONG, OTP_EXPIRED, OTP_DECLINED, "…99", "…98"} <= shown
    assert len(state["magic"]) == len(MAGIC_VALUES)
    assert state["bot"]["first_name"] == playground.runtime.settings.store_name
    assert state["chats"][str(AWA)] == {"messages": [], "reply_keyboard": None}
    assert (await playground.runtime.stores.products.page(include_hidden=True)).total == 7


async def test_a_typed_command_streams_as_an_update_then_the_bots_message(
    playground: Playground, http: aiohttp.ClientSession
) -> None:
    feed = f"{playground.url}/playground/api/events?after={playground.feed.last_seq}"
    async with asyncio.timeout(5), http.get(feed) as response:
        assert response.content_type == "text/event-stream"
        stream = Stream(response)
        hello = await stream.next()
        assert hello["event"] == "hello"
        emulator = f"{playground.url}/telegram/_emulator/users/{AWA}/messages"
        status, _ = await post_json(http, emulator, {"text": "/start"})
        assert status == 200
        update = await stream.entry_where(lambda e: e["kind"] == "update")
        message = await stream.entry_where(
            lambda e: e["kind"] == "message" and e["data"]["message"]["from_bot"]
        )
    assert update["summary"].endswith("Awa sends «/start»")
    assert (update["source"], update["chat_id"]) == ("telegram", AWA)
    assert "Bienvenue" in message["data"]["message"]["text"]
    assert message["seq"] > update["seq"]


async def test_the_stream_resumes_after_the_last_event_id(
    playground: Playground, http: aiohttp.ClientSession
) -> None:
    await playground.emulator.inject_text(JOHN, "/start")
    await playground.emulator.wait_for_message(JOHN, contains="Welcome")
    middle = playground.feed.last_seq - 2
    headers = {"Last-Event-ID": str(middle)}
    url = f"{playground.url}/playground/api/events?after=0"
    async with asyncio.timeout(5), http.get(url, headers=headers) as response:
        stream = Stream(response)
        await stream.next()
        replayed = [json.loads((await stream.next())["data"])["seq"] for _ in range(2)]
    assert replayed == [middle + 1, middle + 2]
    async with http.get(f"{playground.url}/playground/api/events?after=x") as bad:
        assert bad.status == 400


async def test_a_link_payment_shows_ligdicash_traffic_and_state_changes(
    playground: Playground,
) -> None:
    runtime, sandbox = playground.runtime, playground.runtime.sandbox
    assert sandbox is not None
    honey = by_name((await runtime.stores.products.page(include_hidden=True)).products, "Miel")
    await runtime.stores.customers.seen(AWA, first_name="Awa", last_name="", language="fr")
    await runtime.stores.carts.add(AWA, honey.id, 1)
    awa = Customer(runtime.stores, playground.emulator, AWA)
    start = playground.feed.last_seq
    summary = await awa.checkout()
    await awa.choose(summary, words.LINK)
    status = await awa.status()
    payin = await runtime.stores.payins.get(transaction_of(status))
    assert payin is not None
    assert payin.token is not None

    async with playground.feed.subscribe(after=start) as entries, asyncio.timeout(5):
        await sandbox.pay(payin.token, "orange")
        seen: list[tuple[str, str]] = []
        while not any("awaiting_payment → paid" in s for _, s in seen):
            entry = await entries.get()
            assert entry is not None
            seen.append((entry.source, entry.summary))

    ligdicash = [s for source, s in seen if source == "ligdicash"]
    assert any(s.startswith("request: hosted_payin") for s in ligdicash)
    assert any("status: hosted_payin" in s and "completed" in s for s in ligdicash)
    assert any(s.startswith("callback: json callback (completed)") for s in ligdicash)
    states = [s for source, s in seen if source == "state"]
    assert any(s.startswith(f"order {reference_of(summary)}: ∅ → awaiting_payment") for s in states)
    assert any("pending → completed by ligdicash" in s for s in states)


async def test_adding_a_customer_creates_them_in_the_emulator_and_tells_every_page(
    playground: Playground, http: aiohttp.ClientSession
) -> None:
    url = f"{playground.url}/playground/api/customers"
    async with playground.feed.subscribe(after=playground.feed.last_seq) as entries:
        status, fatou = await post_json(http, url, {"first_name": " Fatou ", "language_code": "fr"})
        announced = await entries.get()
    assert status == 201
    assert (fatou["name"], fatou["role"]) == ("Fatou", "customer")
    assert playground.emulator.user(fatou["id"]).language_code == "fr"
    assert announced is not None
    assert announced.data["persona"] == fatou
    _, again = await post_json(http, url, {"first_name": "Ali", "language_code": "en"})
    assert again["id"] == fatou["id"] + 1
    assert {fatou["phone"], again["phone"]} == {"22607123456", "22670123456"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"first_name": "", "language_code": "fr"}, 400),
        ({"first_name": "x" * 33, "language_code": "fr"}, 400),
        ({"first_name": "Ali", "language_code": "de"}, 400),
        (["Ali"], 400),
    ],
)
async def test_a_bad_new_customer_is_refused(
    playground: Playground, http: aiohttp.ClientSession, body: Any, status: int
) -> None:
    before = len(playground.emulator.users())
    answer, error = await post_json(http, f"{playground.url}/playground/api/customers", body)
    assert (answer, "error" in error) == (status, True)
    assert len(playground.emulator.users()) == before


async def test_only_json_can_add_a_customer(
    playground: Playground, http: aiohttp.ClientSession
) -> None:
    # A form post from another web site needs no CORS preflight: it must not change anything.
    url = f"{playground.url}/playground/api/customers"
    async with http.post(url, data={"first_name": "Mallory"}) as response:
        assert response.status == 415
    assert "Mallory" not in {u.first_name for u in playground.emulator.users()}


async def test_the_command_menu_follows_the_users_language(
    playground: Playground, http: aiohttp.ClientSession
) -> None:
    menus = {}
    for person in (AWA, JOHN):
        async with http.get(f"{playground.url}/playground/api/commands/{person}") as response:
            menus[person] = {
                c["command"]: c["description"] for c in (await response.json())["commands"]
            }
    assert "start" in menus[AWA]
    assert menus[AWA].keys() == menus[JOHN].keys()
    assert menus[AWA] != menus[JOHN]
    async with http.get(f"{playground.url}/playground/api/commands/12345") as unknown:
        assert unknown.status == 404


async def test_stopping_the_playground_ends_open_streams(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http, asyncio.timeout(10):
        async with open_playground(options(tmp_path)) as playground:
            response = await http.get(f"{playground.url}/playground/api/events")
            stream = Stream(response)
            await stream.next()
        # The stream ends (instead of the timeout running out) once the playground stops.
        await stream.rest()
        response.release()


async def test_a_kept_database_is_reused_and_seeded_once(tmp_path: Path) -> None:
    kept = options(tmp_path)
    async with open_playground(kept) as first:
        await first.emulator.inject_text(AWA, "/start")
        await first.emulator.wait_for_message(AWA, contains="Bienvenue")
    async with open_playground(kept) as second:
        products = await second.runtime.stores.products.page(include_hidden=True)
        awa = await second.runtime.stores.customers.get(AWA)
    assert products.total == 7
    assert awa is not None
    assert kept.keep is not None
    assert kept.keep.is_file()


async def test_a_taken_port_is_reported(playground: Playground, tmp_path: Path) -> None:
    port = int(playground.url.rsplit(":", 1)[1])
    with pytest.raises(PlaygroundError, match=f"cannot listen on 127.0.0.1:{port}"):
        async with open_playground(options(tmp_path / "other", port=port)):
            pass


async def test_the_command_prints_the_address_serves_it_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    run = "from bot.cli import main; raise SystemExit(main())"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        run,
        "playground",
        "--port",
        "0",
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(30):
            printed = ""
            while "stop with Ctrl+C" not in printed:
                line = (await process.stdout.readline()).decode()
                assert line, f"the playground exited before it was ready: {printed!r}"
                printed += line
            address = re.search(r"ready: open (http://\S+)", printed)
            database = re.search(r"database: (\S+) \(deleted when you stop\)", printed)
            assert address is not None
            assert database is not None
            async with http.get(address.group(1)) as page:
                assert page.status == 200
            kept = Path(database.group(1))
            assert await asyncio.to_thread(kept.is_file)
            process.send_signal(signal.SIGINT)
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert not await asyncio.to_thread(kept.exists)


def test_the_command_line_takes_host_port_and_keep() -> None:
    args = build_parser().parse_args(
        ["playground", "--host", "0.0.0.0", "--port", "9000", "--keep", "shop.db"]  # noqa: S104
    )
    assert (args.command, args.host, args.port, args.keep) == (
        "playground",
        "0.0.0.0",  # noqa: S104
        9000,
        Path("shop.db"),
    )
    defaults = build_parser().parse_args(["playground"])
    assert (defaults.host, defaults.port, defaults.keep) == ("127.0.0.1", 8080, None)


# --- describing events, one line each ---------------------------------------------------------


def call_event(method: str, params: dict[str, Any], status: int = 200, **response: Any) -> Event:
    """An emulator call event as the emulator logs it."""
    body = response or {"ok": status == 200, "result": True}
    data = {"method": method, "params": params, "status": status, "response": body}
    return Event(seq=1, at=NOW, kind="call", data={**data, "duration_ms": 3.2})


def name_of(chat_id: int) -> str:
    """Names of the test's people."""
    return {AWA: "Awa"}.get(chat_id, str(chat_id))


@pytest.mark.parametrize(
    ("event", "summary", "ok"),
    [
        (
            call_event("sendMessage", {"chat_id": AWA, "text": "<b>Bienvenue</b> &amp; merci"}),
            "sendMessage → Awa: Bienvenue & merci (3 ms)",
            True,
        ),
        (
            call_event("editMessageText", {"chat_id": str(AWA), "message_id": 7, "text": "Payé"}),
            "editMessageText #7 → Awa: Payé (3 ms)",
            True,
        ),
        (
            call_event("sendDocument", {"chat_id": AWA, "document": {"upload": "orders.csv"}}),
            "sendDocument → Awa: orders.csv (3 ms)",
            True,
        ),
        (
            call_event("answerCallbackQuery", {"callback_query_id": "5", "text": "Ajouté"}),
            "answerCallbackQuery: Ajouté (3 ms)",
            True,
        ),
        (
            call_event(
                "sendMessage",
                {"chat_id": 42, "text": "x"},
                status=403,
                ok=False,
                description="Forbidden: bot was blocked by the user",
            ),
            "sendMessage → 42: x ✗ 403 Forbidden: bot was blocked by the user",
            False,
        ),
        (
            call_event("getUpdates", {}, result=[{"update_id": 1}, {"update_id": 2}]),
            "getUpdates → 2 updates (3 ms)",
            True,
        ),
    ],
)
def test_bot_api_calls_are_described_in_one_line(event: Event, summary: str, ok: bool) -> None:
    draft = describe_emulator_event(event, name_of, lambda _: None)
    assert draft is not None
    assert (draft.source, draft.summary, draft.ok) == ("telegram", summary, ok)


def test_a_long_poll_that_brought_nothing_is_not_shown() -> None:
    empty = call_event("getUpdates", {"timeout": 10}, result=[])
    assert describe_emulator_event(empty, name_of, lambda _: None) is None


@pytest.mark.parametrize(
    ("update", "summary"),
    [
        ({"message": {"chat": {"id": AWA}, "text": "/start"}}, "Awa sends «/start»"),
        (
            {"message": {"chat": {"id": AWA}, "contact": {"phone_number": "22607123456"}}},
            "Awa shares contact 22607123456",
        ),
        (
            {"callback_query": {"from": {"id": AWA}, "data": "co:start"}},
            "Awa presses button co:start",
        ),
        (
            {"my_chat_member": {"chat": {"id": AWA}, "new_chat_member": {"status": "kicked"}}},
            "Awa is now kicked",
        ),
    ],
)
def test_updates_name_who_did_what(update: dict[str, Any], summary: str) -> None:
    event = Event(seq=1, at=NOW, kind="update", data={"update": {"update_id": 9, **update}})
    draft = describe_emulator_event(event, name_of, lambda _: None)
    assert draft is not None
    assert draft.summary == f"update 9: {summary}"
    assert draft.chat_id == AWA


def test_a_message_change_carries_the_message_and_the_chats_reply_keyboard() -> None:
    keyboard = {"keyboard": [[{"text": "Partager", "request_contact": True}]]}
    message = {"chat_id": AWA, "message_id": 3, "text": "Votre numéro ?", "edits": 0}
    event = Event(seq=1, at=NOW, kind="message", data=message)
    draft = describe_emulator_event(event, name_of, {AWA: keyboard}.get)
    assert draft is not None
    assert draft.data == {"message": message, "reply_keyboard": keyboard}
    assert draft.summary == "message #3 new: Votre numéro ?"


@pytest.mark.parametrize(
    ("kind", "text", "ok"),
    [
        ("request", "hosted_payin: POST /pay/v01/redirect/checkout-invoice/create", True),
        ("callback", "json callback (completed) to http://127.0.0.1:1: HTTP 200", True),
        ("callback", "json callback (completed) to http://127.0.0.1:1: HTTP 500", False),
        ("callback", "form callback to http://127.0.0.1:1 failed", False),
        ("callback", "callbacks dropped (fault switch)", False),
    ],
)
def test_sandbox_events_are_shown_and_failed_callbacks_flagged(
    kind: str, text: str, ok: bool
) -> None:
    draft = describe_sandbox_event(SandboxEvent(at=NOW, kind=kind, text=text, transaction_id="t1"))
    assert (draft.source, draft.summary, draft.ok) == ("ligdicash", f"{kind}: {text} [t1]", ok)


@pytest.mark.parametrize(
    ("from_state", "to_state", "why", "summary"),
    [
        (None, "awaiting_payment", "", "order LB-1: ∅ → awaiting_payment by customer:1"),
        ("pending", "completed", "paid", "order LB-1: pending → completed by customer:1 (paid)"),
        (None, None, "exported orders", "order LB-1: action by customer:1 (exported orders)"),
    ],
)
def test_audit_entries_read_as_transitions(
    from_state: str | None, to_state: str | None, why: str, summary: str
) -> None:
    entry = AuditEntry(
        id=1,
        at=NOW,
        actor="customer:1",
        entity="order",
        entity_id="LB-1",
        order_id=1,
        from_state=from_state,
        to_state=to_state,
        why=why,
    )
    draft = describe_audit_entry(entry)
    assert (draft.source, draft.summary) == ("state", summary)


def test_summaries_are_one_short_line_of_plain_text() -> None:
    assert shorten("<b>a</b>\n\n  b &lt;c&gt;") == "a b <c>"
    assert shorten("x" * 100, 10) == "x" * 9 + "…"


async def test_a_slow_reader_loses_the_oldest_entries_and_counts_them() -> None:
    feed = Feed(size=10)
    reader = feed.subscribe(maxsize=3)
    for number in range(5):
        feed.publish(Draft(source="playground", kind="note", summary=str(number)))
    assert reader.missed == 2
    kept = [await reader.get() for _ in range(3)]
    assert [entry.summary for entry in kept if entry is not None] == ["2", "3", "4"]
    assert [entry.seq for entry in feed.entries(after=8)] == []
    assert [entry.seq for entry in feed.entries(after=3)] == [4, 5]
    feed.close()
    assert await reader.get() is None
