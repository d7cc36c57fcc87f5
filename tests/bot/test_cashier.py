"""Money rules of the cashier, against the real sandbox and a real SQLite file (no Telegram)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.cashier import LIFETIME, Cashier, Links, PayinRefused, PayinStarted
from payments.client import LigdicashClient
from payments.notice import Notice, parse_notice
from payments.phone import parse_phone
from payments.sandbox import (
    DEFAULT_API_KEY,
    DEFAULT_API_TOKEN,
    Endpoint,
    Sandbox,
    SandboxConfig,
)
from payments.status import Status
from storage import audit
from storage.database import Database
from storage.models import Customer, Order, OrderState, PayinMethod, PayinState
from storage.stores import Stores

ADMIN = 4242
ORANGE = "22607123456"
MOOV = "22670123456"


@dataclass
class Rig:
    """A cashier wired to a served sandbox; callbacks land in `notices`."""

    stores: Stores
    sandbox: Sandbox
    cashier: Cashier
    client: LigdicashClient
    links: Links
    notices: list[Notice] = field(default_factory=list)
    woken: list[int] = field(default_factory=list)

    async def customer(self, user_id: int = 10) -> Customer:
        return await self.stores.customers.seen(user_id, first_name="Awa", language="fr")

    async def order(self, customer: Customer, price: int = 2500, quantity: int = 2) -> Order:
        product = await self.stores.products.add(name="Karité", price=price, actor=audit.SYSTEM)
        await self.stores.carts.add(customer.id, product.id, quantity)
        created = await self.stores.orders.create_from_cart(
            customer.id, first_name="Awa", last_name="Ouédraogo", email=None, actor="test"
        )
        assert created.order is not None
        return created.order

    async def paid_order(self, order_id: int) -> Order:
        order = await self.stores.orders.get(order_id)
        assert order is not None
        return order

    async def settle_callbacks(self) -> None:
        await self.sandbox.drain()
        for notice in list(self.notices):
            await self.cashier.on_notice(notice)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    received: list[Notice] = []

    async def callback(request: web.Request) -> web.Response:
        received.append(parse_notice(request.content_type, await request.read()))
        return web.Response(text="OK")

    sandbox = Sandbox(SandboxConfig(approval_delay=0.05, payout_delay=0.05, callback_delay=0.0))
    app = web.Application()
    app.router.add_post("/ligdicash/callback", callback)
    app.add_subapp("/sandbox", sandbox.app)
    server = TestServer(app)
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        async with (
            Database.open(tmp_path / "cashier.sqlite3") as db,
            LigdicashClient(
                base_url=f"{base}/sandbox/pay/v01/",
                api_key=SecretStr(DEFAULT_API_KEY),
                api_token=SecretStr(DEFAULT_API_TOKEN),
                store_name="Boutique Test",
                store_website_url=base,
                total_timeout=2.0,
                confirm_retries=0,
            ) as client,
        ):
            stores = Stores.over(db)
            woken: list[int] = []
            cashier = Cashier(
                stores=stores,
                client=client,
                links=Links(base),
                admin_ids=(ADMIN,),
                wake_outbox=lambda: woken.append(1),
            )
            yield Rig(stores, sandbox, cashier, client, Links(base), received, woken)
    finally:
        await server.close()


async def outbox_keys(rig: Rig, chat_id: int) -> list[str]:
    return [message.dedup_key for message in await rig.stores.outbox.for_chat(chat_id)]


async def test_the_payin_is_recorded_before_ligdicash_is_called(rig: Rig) -> None:
    customer = await rig.customer()
    order = await rig.order(customer)
    started = await rig.cashier.start_link(order, customer)
    assert isinstance(started, PayinStarted)
    assert started.payin.state is PayinState.PENDING
    assert started.payin.payment_url
    (sandbox_tx,) = rig.sandbox.transactions()
    assert sandbox_tx.custom_data["transaction_id"] == started.payin.transaction_id
    assert sandbox_tx.token == started.payin.token
    assert sandbox_tx.amount == order.total == 5000


async def test_a_paid_link_pays_the_order_once_with_one_receipt(rig: Rig) -> None:
    customer = await rig.customer()
    order = await rig.order(customer)
    started = await rig.cashier.start_link(order, customer)
    assert isinstance(started, PayinStarted)
    assert started.payin.token
    await rig.sandbox.pay(started.payin.token)
    await rig.settle_callbacks()
    assert len(rig.notices) == 2  # the JSON and the form callback
    for notice in rig.notices:  # a replay changes nothing
        await rig.cashier.on_notice(notice)
    paid = await rig.paid_order(order.id)
    assert paid.state is OrderState.PAID
    assert paid.paid_amount == order.total
    keys = await outbox_keys(rig, customer.id)
    assert sorted(keys) == sorted(
        [
            f"payin:{started.payin.transaction_id}:completed:status",
            f"payin:{started.payin.transaction_id}:completed:receipt",
        ]
    )
    assert len(await outbox_keys(rig, ADMIN)) == 1


async def test_a_forged_completed_callback_pays_nothing(rig: Rig) -> None:
    customer = await rig.customer()
    order = await rig.order(customer)
    started = await rig.cashier.start_link(order, customer)
    assert isinstance(started, PayinStarted)
    forged = Notice(
        transaction_id=started.payin.transaction_id,
        status=Status.COMPLETED,
        amount=order.total,
        token="",
        operator_name="ORANGE BURKINA",
        operator_id="11",
        request_id=None,
        hash=None,
        custom_data={"transaction_id": started.payin.transaction_id},
        content_kind="json",
    )
    outcome = await rig.cashier.on_notice(forged)
    assert outcome == "state_pending"
    assert (await rig.paid_order(order.id)).state is OrderState.AWAITING_PAYMENT
    assert await outbox_keys(rig, customer.id) == []


async def test_a_callback_for_an_unknown_transaction_is_ignored(rig: Rig) -> None:
    notice = parse_notice(
        "application/json",
        b'{"status": "completed", "montant": "5000", "transaction_id": "not-ours"}',
    )
    assert await rig.cashier.on_notice(notice) == "unknown_transaction"


async def test_the_callback_pair_arriving_together_costs_one_confirm(rig: Rig) -> None:
    customer = await rig.customer()
    order = await rig.order(customer)
    started = await rig.cashier.start_link(order, customer)
    assert isinstance(started, PayinStarted)
    assert started.payin.token
    await rig.sandbox.pay(started.payin.token)
    await rig.sandbox.drain()
    before = rig.sandbox.request_count("payin_confirm")
    await asyncio.gather(*(rig.cashier.on_notice(notice) for notice in rig.notices))
    assert rig.sandbox.request_count("payin_confirm") - before == 1
    assert (await rig.paid_order(order.id)).state is OrderState.PAID


async def test_a_declined_payin_fails_and_the_order_can_be_paid_again(rig: Rig) -> None:
    customer = await rig.customer()
    order = await rig.order(customer)
    started = await rig.cashier.start_link(order, customer)
    assert isinstance(started, PayinStarted)
    assert started.payin.token
    await rig.sandbox.cancel(started.payin.token)
    await rig.settle_callbacks()
    failed = await rig.stores.payins.get(started.payin.transaction_id)
    assert failed is not None
    assert failed.state is PayinState.FAILED
    again = await rig.cashier.start_link(await rig.paid_order(order.id), customer)
    assert isinstance(again, PayinStarted)


async def test_a_wrong_otp_keeps_the_order_payable_and_the_right_one_pays(rig: Rig) -> None:
    customer = await rig.customer()
    order = await rig.order(customer)
    phone = parse_phone(ORANGE)
    wrong = await rig.cashier.start_orange(order, customer, phone, "000000")
    assert isinstance(wrong, PayinRefused)
    assert wrong.wrong_otp
    assert "Echec" not in wrong.message("fr")
    expired = await rig.cashier.start_orange(order, customer, phone, "999999")
    assert isinstance(expired, PayinRefused)
    assert expired.expired_otp
    right = await rig.cashier.start_orange(order, customer, phone, "123456")
    assert isinstance(right, PayinStarted)
    await rig.settle_callbacks()
    assert (await rig.paid_order(order.id)).state is OrderState.PAID


async def test_an_amount_below_the_operator_minimum_is_refused_before_any_request(
    rig: Rig,
) -> None:
    customer = await rig.customer()
    order = await rig.order(customer, price=50, quantity=1)
    refused = await rig.cashier.start_moov(order, customer, parse_phone(MOOV))
    assert isinstance(refused, PayinRefused)
    assert refused.reason == "below_operator_minimum"
    assert "100" in refused.message("fr")
    assert rig.sandbox.request_count("direct_payin") == 0


async def test_a_customer_cannot_open_more_than_three_payins(rig: Rig) -> None:
    customer = await rig.customer()
    for _ in range(3):
        order = await rig.order(customer)
        assert isinstance(await rig.cashier.start_link(order, customer), PayinStarted)
    fourth = await rig.cashier.start_link(await rig.order(customer), customer)
    assert isinstance(fourth, PayinRefused)
    assert fourth.reason == "too_many_open"
    assert rig.sandbox.request_count("hosted_payin") == 3


async def test_check_now_is_throttled_to_one_confirm_every_three_seconds(rig: Rig) -> None:
    customer = await rig.customer()
    order = await rig.order(customer)
    started = await rig.cashier.start_link(order, customer)
    assert isinstance(started, PayinStarted)
    first = await rig.cashier.check_now(started.payin.transaction_id)
    second = await rig.cashier.check_now(started.payin.transaction_id)
    assert not first.throttled
    assert second.throttled
    assert rig.sandbox.request_count("payin_confirm") == 1


async def test_reconciliation_pays_a_payin_whose_callbacks_were_lost(rig: Rig) -> None:
    rig.sandbox.faults.drop_callbacks = True
    customer = await rig.customer()
    order = await rig.order(customer)
    started = await rig.cashier.start_link(order, customer)
    assert isinstance(started, PayinStarted)
    assert started.payin.token
    await rig.sandbox.pay(started.payin.token)
    await rig.sandbox.drain()
    assert rig.notices == []
    payin = await rig.stores.payins.get(started.payin.transaction_id)
    assert payin is not None
    await rig.cashier.reconcile(payin)
    assert (await rig.paid_order(order.id)).state is OrderState.PAID


async def test_an_expired_payin_still_honours_a_late_payment(rig: Rig) -> None:
    customer = await rig.customer()
    order = await rig.order(customer)
    started = await rig.cashier.start_link(order, customer)
    assert isinstance(started, PayinStarted)
    assert started.payin.token
    impatient = Cashier(
        stores=rig.stores,
        client=rig.client,
        links=rig.links,
        admin_ids=(ADMIN,),
        wake_outbox=lambda: None,
        lifetimes={method: timedelta(0) for method in LIFETIME},
    )
    await impatient.reconcile(started.payin)
    expired = await rig.stores.payins.get(started.payin.transaction_id)
    assert expired is not None
    assert expired.state is PayinState.EXPIRED
    assert f"payin:{expired.transaction_id}:expired:status" in await outbox_keys(rig, customer.id)
    await rig.sandbox.pay(started.payin.token)
    await rig.settle_callbacks()
    assert (await rig.paid_order(order.id)).state is OrderState.PAID


@pytest.mark.parametrize(
    ("method", "phone", "expected"),
    [
        (PayinMethod.LINK, None, PayinState.FAILED),
        (PayinMethod.ORANGE_OTP, ORANGE, PayinState.UNKNOWN),
        (PayinMethod.MOOV_APPROVAL, MOOV, PayinState.UNKNOWN),
    ],
)
async def test_a_payin_left_creating_by_a_crash_is_failed_or_flagged(
    rig: Rig, method: PayinMethod, phone: str | None, expected: PayinState
) -> None:
    customer = await rig.customer()
    order = await rig.order(customer)
    created = await rig.stores.payins.create(order.id, method=method, actor="test", phone=phone)
    assert created.payin is not None
    await rig.cashier.reconcile(created.payin)
    after = await rig.stores.payins.get(created.payin.transaction_id)
    assert after is not None
    assert after.state is expected
    alerts = await outbox_keys(rig, ADMIN)
    assert bool(alerts) is (expected is PayinState.UNKNOWN)


async def test_a_direct_payin_lost_in_transit_becomes_unknown_and_alerts_admins(rig: Rig) -> None:
    rig.sandbox.faults.hang.add(Endpoint.DIRECT_PAYIN)
    customer = await rig.customer()
    order = await rig.order(customer)
    started = await rig.cashier.start_moov(order, customer, parse_phone(MOOV))
    assert isinstance(started, PayinStarted)
    assert started.payin.state is PayinState.UNKNOWN
    assert rig.sandbox.request_count("direct_payin") == 1
    assert len(await outbox_keys(rig, ADMIN)) == 1
    assert (await rig.paid_order(order.id)).state is OrderState.AWAITING_PAYMENT


async def test_cancelling_an_order_frees_its_place_among_open_payins(rig: Rig) -> None:
    customer = await rig.customer()
    orders = [await rig.order(customer) for _ in range(3)]
    for order in orders:
        assert isinstance(await rig.cashier.start_link(order, customer), PayinStarted)
    cancelled = await rig.cashier.cancel_order(orders[0].reference, customer)
    assert cancelled is not None
    assert cancelled.state is OrderState.CANCELLED
    fourth = await rig.cashier.start_link(await rig.order(customer), customer)
    assert isinstance(fourth, PayinStarted)


async def test_the_status_message_is_watched_before_ligdicash_answers(rig: Rig) -> None:
    customer = await rig.customer()
    order = await rig.order(customer)
    started = await rig.cashier.start_orange(
        order, customer, parse_phone(ORANGE), "123456", status_at=(customer.id, 77)
    )
    assert isinstance(started, PayinStarted)
    await rig.settle_callbacks()
    (status,) = [
        message
        for message in await rig.stores.outbox.for_chat(customer.id)
        if message.dedup_key.endswith(":status")
    ]
    assert status.kind == "edit"
    assert '"edit_message_id": 77' in status.payload
