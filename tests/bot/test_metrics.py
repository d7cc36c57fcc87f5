"""Rules for GET /metrics: Prometheus text, one registry per bot, counts that follow the money."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from telegram import Bot, Update

from bot.app import Runtime, Tuning
from bot.emulator import TelegramEmulator
from bot.messages import checkout as words
from bot.metrics import Metrics, update_kind
from bot.outbox import new_message
from bot.reply import Reply
from bot.server import NoticeReceived, NoticeRejected, ServerDeps, build_web_app
from payments.notice import parse_notice
from storage.database import Database
from storage.models import Product
from storage.stores import Stores
from tests.bot.checkout_support import by_name, new_customer, paid_once, transaction_of
from tests.bot.conftest import FAST_SANDBOX

METRIC_NAMES = (
    "ligdibot_updates_handled_total",
    "ligdibot_callbacks_received_total",
    "ligdibot_callbacks_rejected_total",
    "ligdibot_confirm_seconds_bucket",
    "ligdibot_confirm_seconds_count",
    "ligdibot_payins",
    "ligdibot_payouts",
    "ligdibot_outbox_backlog",
    "ligdibot_info",
    "process_resident_memory_bytes",
    "python_info",
)
Samples = Mapping[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def tuning() -> Tuning:
    """Fast sandbox, and database counts read again at every scrape."""
    return Tuning(sandbox=FAST_SANDBOX, reconcile_tick=0.1, metrics_refresh=0.0)


async def scrape(url: str, headers: Mapping[str, str] | None = None) -> Samples:
    """GET /metrics and parse it as Prometheus does."""
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics", headers=headers) as got:
        assert got.status == 200
        assert got.content_type == "text/plain"
        text = await got.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when the series is absent)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_the_page_has_every_metric_of_the_bot(bot: Runtime) -> None:
    samples = await scrape(bot.url)
    names = {name for name, _ in samples}
    assert set(METRIC_NAMES) <= names
    assert value(samples, "ligdibot_payins", method="link", state="completed") == 0
    assert value(samples, "ligdibot_payouts", state="unknown") == 0
    assert ("ligdibot_callbacks_rejected_total", frozenset({("reason", "malformed")})) in samples
    info = next(labels for name, labels in samples if name == "ligdibot_info")
    assert {("payments", "sandbox"), ("updates", "polling")} <= info


async def test_a_paid_payin_moves_the_counts(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    assert bot.sandbox is not None
    before = await scrape(bot.url)
    customer = await new_customer(bot, emulator, [(by_name(catalog, "Miel"), 1)])
    await customer.choose(await customer.checkout(), words.LINK)
    status = await customer.status()
    payin = await bot.stores.payins.get(transaction_of(status))
    assert payin is not None
    pending = await scrape(bot.url)
    assert value(pending, "ligdibot_payins", method="link", state="pending") == 1

    await bot.sandbox.pay(payin.token or "", "orange")
    await customer.wait_text(status.message_id, "Paiement reçu")
    await paid_once(bot, customer)

    after = await scrape(bot.url)
    assert value(after, "ligdibot_payins", method="link", state="pending") == 0
    assert value(after, "ligdibot_payins", method="link", state="completed") == 1
    assert value(after, "ligdibot_outbox_backlog") == 0
    received = "ligdibot_callbacks_received_total"
    assert value(after, received) > value(before, received)
    confirms = "ligdibot_confirm_seconds_count"
    assert value(after, confirms, kind="payin") > value(before, confirms, kind="payin")
    handled = "ligdibot_updates_handled_total"
    assert value(after, handled, kind="message") > value(before, handled, kind="message")
    assert value(after, handled, kind="callback_query") > value(
        before, handled, kind="callback_query"
    )
    assert value(after, handled, kind="notice_received") >= 1


async def test_refused_callbacks_are_counted_by_reason(bot: Runtime) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{bot.url}/ligdicash/callback", data=b"{not json") as got:
            assert got.status == 400
        async with http.post(f"{bot.url}/ligdicash/callback", data=b"x" * 70_000) as got:
            assert got.status == 413
    samples = await scrape(bot.url)
    assert value(samples, "ligdibot_callbacks_received_total") == 2
    assert value(samples, "ligdibot_callbacks_rejected_total", reason="malformed") == 1
    assert value(samples, "ligdibot_callbacks_rejected_total", reason="too_large") == 1


@pytest.fixture
async def guarded(emulator: TelegramEmulator) -> AsyncIterator[str]:
    """The server alone, with METRICS_TOKEN "s3cret"; its base URL."""

    async def healthy() -> Mapping[str, bool]:
        return {"database": True}

    app = build_web_app(
        ServerDeps(
            update_queue=asyncio.Queue(),
            bot=Bot(emulator.token, base_url=emulator.base_url),
            health=healthy,
            bot_username=lambda: "ligdi_test_bot",
            metrics_token=SecretStr("s3cret"),
        )
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "s3cret", "Basic s3cret"])
async def test_a_metrics_token_keeps_strangers_out(guarded: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{guarded}/metrics", headers=headers) as got,
    ):
        assert got.status == 401
        assert got.headers["WWW-Authenticate"] == "Bearer"


async def test_the_metrics_token_lets_prometheus_in(guarded: str) -> None:
    samples = await scrape(guarded, {"Authorization": "Bearer s3cret"})
    assert ("ligdibot_callbacks_received_total", frozenset()) in samples


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_database_counts_are_read_again_only_once_fresh_time_is_over(
    tmp_path: Path,
) -> None:
    ticks = Ticks()
    async with Database.open(tmp_path / "shop.sqlite3") as db:
        stores = Stores.over(db)
        metrics = Metrics(stores, min_refresh=30.0, clock=ticks)
        await metrics.refresh()
        await stores.outbox.enqueue(new_message(1, Reply("hello"), dedup_key="hello"))
        ticks.now = 29.0
        await metrics.refresh()
        assert metrics.registry.get_sample_value("ligdibot_outbox_backlog") == 0
        ticks.now = 31.0
        await metrics.refresh()
        assert metrics.registry.get_sample_value("ligdibot_outbox_backlog") == 1


def test_each_bot_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.callbacks_received.inc()
    assert first.registry.get_sample_value("ligdibot_callbacks_received_total") == 1
    assert second.registry.get_sample_value("ligdibot_callbacks_received_total") == 0


@pytest.mark.parametrize(
    ("update", "kind"),
    [
        (
            Update.de_json(
                {
                    "update_id": 1,
                    "message": {
                        "message_id": 1,
                        "date": 0,
                        "chat": {"id": 1, "type": "private"},
                        "text": "hi",
                    },
                },
                None,
            ),
            "message",
        ),
        (
            Update.de_json(
                {
                    "update_id": 2,
                    "callback_query": {
                        "id": "q",
                        "from": {"id": 1, "is_bot": False, "first_name": "Awa"},
                        "chat_instance": "c",
                        "data": "shop:menu",
                    },
                },
                None,
            ),
            "callback_query",
        ),
        (NoticeRejected("bad json", "{"), "notice_rejected"),
    ],
)
def test_updates_are_labelled_by_kind(update: object, kind: str) -> None:
    assert update_kind(update) == kind


def test_a_parsed_callback_is_a_notice_received() -> None:
    body = b'{"status": "completed", "custom_data": {"transaction_id": "tx-1"}}'
    notice = NoticeReceived(parse_notice("application/json", body), "")
    assert update_kind(notice) == "notice_received"
