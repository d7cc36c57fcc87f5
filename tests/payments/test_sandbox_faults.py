"""Fault switches, the /_sandbox control API, the state machine's guard, and shutting down."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from yarl import URL

from payments.sandbox import (
    Endpoint,
    Faults,
    Sandbox,
    SandboxConfig,
    SandboxEvent,
    SandboxStatus,
    serve,
)
from tests.payments.sandbox_harness import (
    API_HEADERS,
    CLIENT_PAYOUT,
    DIRECT,
    FAST,
    HOSTED,
    MOOV,
    PAYIN_CONFIRM,
    Api,
    Rig,
    open_rig,
    payin_body,
    payout_body,
    unused_port,
)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with open_rig() as opened:
        yield opened


async def raw_post(rig: Rig, path: str, body: object, limit: float = 5.0) -> tuple[int, str]:
    async with rig.session.post(
        rig.api.url(path),
        json=body,
        headers=API_HEADERS,
        timeout=aiohttp.ClientTimeout(total=limit),
    ) as response:
        return response.status, await response.text()


# Endpoint faults


async def test_a_failing_endpoint_answers_500_and_creates_nothing(rig: Rig) -> None:
    rig.sandbox.faults.fail.add(Endpoint.CLIENT_PAYOUT)
    status, _ = await raw_post(rig, CLIENT_PAYOUT, payout_body())
    assert status == 500
    assert rig.sandbox.transactions() == []
    assert rig.sandbox.request_count("client_payout") == 1
    assert (await rig.api.post(HOSTED, payin_body()))["response_code"] == "00"


@pytest.mark.parametrize("status", [200, 502])
async def test_a_garbage_endpoint_answers_html_instead_of_json(rig: Rig, status: int) -> None:
    rig.sandbox.faults.garbage[Endpoint.HOSTED_PAYIN] = status
    answer = await raw_post(rig, HOSTED, payin_body())
    assert answer == (status, "<html>502 Bad Gateway</html>")
    assert rig.sandbox.transactions() == []


async def test_a_hanging_endpoint_never_answers_and_creates_nothing(rig: Rig) -> None:
    rig.sandbox.faults.hang.add(Endpoint.HOSTED_PAYIN)
    with pytest.raises(TimeoutError):
        await raw_post(rig, HOSTED, payin_body(), limit=0.1)
    assert rig.sandbox.transactions() == []
    assert rig.sandbox.request_count(Endpoint.HOSTED_PAYIN) == 1


async def test_a_hang_ends_with_504_after_hang_seconds() -> None:
    async with open_rig(SandboxConfig(hang_seconds=0.05)) as rig:
        rig.sandbox.faults.hang.add(Endpoint.PAYIN_CONFIRM)
        async with rig.session.get(
            rig.api.url(PAYIN_CONFIRM), params={"invoiceToken": "t"}, headers=API_HEADERS
        ) as response:
            assert response.status == 504


async def test_latency_delays_the_answer_after_the_work_is_done(rig: Rig) -> None:
    rig.sandbox.faults.latency[Endpoint.CLIENT_PAYOUT] = 0.3
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await raw_post(rig, CLIENT_PAYOUT, payout_body(), limit=0.1)
    assert len(rig.sandbox.transactions()) == 1
    rig.sandbox.faults.latency[Endpoint.CLIENT_PAYOUT] = 0.05
    status, _ = await raw_post(rig, CLIENT_PAYOUT, payout_body())
    assert status == 200
    assert time.monotonic() - started >= 0.15


async def test_faults_on_one_endpoint_leave_the_others_alone(rig: Rig) -> None:
    rig.sandbox.faults.fail.add(Endpoint.PAYIN_CONFIRM)
    answer = await rig.api.post(HOSTED, payin_body())
    assert answer["response_code"] == "00"
    async with rig.session.get(
        rig.api.url(PAYIN_CONFIRM), params={"invoiceToken": answer["token"]}, headers=API_HEADERS
    ) as response:
        assert response.status == 500
    rig.sandbox.faults.clear()
    assert (await rig.api.confirm_payin(answer["token"]))["status"] == "pending"


def test_fault_updates_are_all_or_nothing() -> None:
    faults = Faults()
    faults.update({"fail": ["client_payout"], "latency": {"payin_confirm": 0.5}})
    assert faults.fail == {Endpoint.CLIENT_PAYOUT}
    assert faults.latency == {Endpoint.PAYIN_CONFIRM: 0.5}
    for bad in (
        {"hang": ["payin_confirm"], "fail": ["nope"]},
        {"latency": {"payin_confirm": -1}},
        {"latency": {"payin_confirm": "1"}},
        {"garbage": {"hosted_payin": 500}},
        {"drop_callbacks": "yes"},
        {"explode": True},
        {"fail": "client_payout"},
    ):
        with pytest.raises(ValueError):  # noqa: PT011 (each bad update has its own message)
            faults.update(bad)
        assert faults.to_json()["hang"] == []
        assert faults.fail == {Endpoint.CLIENT_PAYOUT}
    faults.clear()
    assert faults == Faults()


# The state machine's guard


async def test_a_final_status_never_changes(rig: Rig) -> None:
    paid = (await rig.api.post(HOSTED, payin_body()))["token"]
    cancelled = (await rig.api.post(HOSTED, payin_body()))["token"]
    assert await rig.sandbox.pay(paid, "orange")
    assert await rig.sandbox.cancel(cancelled)
    assert not await rig.sandbox.cancel(paid)
    assert not await rig.sandbox.settle(paid, "notcompleted")
    assert not await rig.sandbox.pay(cancelled, "orange")
    assert not await rig.sandbox.settle(cancelled, "completed")
    assert (await rig.api.confirm_payin(paid))["status"] == "completed"
    assert (await rig.api.confirm_payin(cancelled))["status"] == "notcompleted"


async def test_a_late_delayed_status_does_not_override_a_settled_one(rig: Rig) -> None:
    token = (await rig.api.post(DIRECT, payin_body(customer=MOOV)))["token"]
    assert await rig.sandbox.settle(token, "notcompleted")
    await rig.sandbox.drain()
    tx = rig.sandbox.transaction(token)
    assert tx is not None
    assert tx.status is SandboxStatus.NOTCOMPLETED


async def test_settle_accepts_final_words_only(rig: Rig) -> None:
    token = (await rig.api.post(CLIENT_PAYOUT, payout_body(customer="22670123498")))["token"]
    with pytest.raises(ValueError, match="final status"):
        await rig.sandbox.settle(token, "pending")
    with pytest.raises(KeyError):
        await rig.sandbox.settle("nope", "completed")
    with pytest.raises(ValueError, match="payins"):
        await rig.sandbox.pay(token)
    assert await rig.sandbox.settle(token, "nocompleted")
    assert (await rig.api.confirm_payout(token))["status"] == "notcompleted"


# The control API over HTTP


async def control(
    rig: Rig, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    async with rig.session.request(
        method,
        rig.api.root / "_sandbox" / path if path else rig.api.root / "_sandbox",
        json=body,
        headers=API_HEADERS if headers is None else headers,
    ) as response:
        return response.status, await response.json()


async def test_the_control_api_needs_the_credentials(rig: Rig) -> None:
    assert (await control(rig, "POST", "faults", {"drop_callbacks": True}, headers={}))[0] == 401
    assert not rig.sandbox.faults.drop_callbacks


async def test_faults_are_switched_over_http(rig: Rig) -> None:
    status, faults = await control(
        rig, "POST", "faults", {"hang": ["merchant_payout"], "garbage": {"payin_confirm": 502}}
    )
    assert status == 200
    assert faults["hang"] == ["merchant_payout"]
    assert rig.sandbox.faults.garbage == {Endpoint.PAYIN_CONFIRM: 502}
    assert (await control(rig, "POST", "faults", {"fail": ["nope"]}))[0] == 400
    assert (await control(rig, "POST", "faults", ["not an object"]))[0] == 400
    assert (await control(rig, "GET", "faults"))[1] == faults
    await control(rig, "DELETE", "faults")
    assert rig.sandbox.faults == Faults()


async def test_transactions_are_driven_over_http(rig: Rig) -> None:
    paid = (await rig.api.post(HOSTED, payin_body()))["token"]
    cancelled = (await rig.api.post(HOSTED, payin_body()))["token"]
    payout = (await rig.api.post(CLIENT_PAYOUT, payout_body(customer="22670123498")))["token"]
    status, answer = await control(rig, "POST", "pay", {"token": paid, "operator": "moov"})
    assert (status, answer["changed"], answer["transaction"]["status"]) == (200, True, "completed")
    assert answer["transaction"]["operator"] == "moov"
    assert (await control(rig, "POST", "cancel", {"token": cancelled}))[1]["changed"]
    settled = await control(rig, "POST", "settle", {"token": payout, "status": "notcompleted"})
    assert settled[1]["transaction"]["status"] == "notcompleted"
    assert (await control(rig, "POST", "settle", {"token": paid, "status": "notcompleted"}))[1][
        "changed"
    ] is False
    assert (await control(rig, "POST", "pay", {"token": "nope"}))[0] == 404
    assert (await control(rig, "POST", "settle", {"token": paid, "status": "maybe"}))[0] == 400
    assert (await control(rig, "POST", "pay", {"token": paid, "operator": 3}))[0] == 400
    _, listed = await control(rig, "GET", "transactions")
    assert [entry["token"] for entry in listed] == [paid, cancelled, payout]


async def test_counts_balance_and_events_over_http(rig: Rig) -> None:
    await rig.api.post(HOSTED, payin_body())
    _, counts = await control(rig, "GET", "counts")
    assert counts["hosted_payin"] == 1
    assert set(counts) == {endpoint.value for endpoint in Endpoint}
    _, reset = await control(rig, "DELETE", "counts")
    assert set(reset.values()) == {0}
    assert (await control(rig, "PUT", "balance", {"balance": 1_000}))[1] == {"balance": 1_000}
    assert (await control(rig, "PUT", "balance", {"balance": -1}))[0] == 400
    assert (await control(rig, "PUT", "balance", {"balance": "1"}))[0] == 400
    _, overview = await control(rig, "GET", "")
    assert (overview["balance"], overview["transactions"]) == (1_000, 1)
    _, events = await control(rig, "GET", "events")
    assert [event["kind"] for event in events] == ["request", "created"]
    assert events[0]["text"] == "hosted_payin: POST /pay/v01/redirect/checkout-invoice/create"


async def test_listeners_see_creations_statuses_and_callbacks(rig: Rig) -> None:
    seen: list[SandboxEvent] = []
    unsubscribe = rig.sandbox.subscribe(seen.append)
    body = payin_body(callback_url=rig.callback_url, transaction_id="tx-events")
    token = (await rig.api.post(HOSTED, body))["token"]
    await rig.sandbox.pay(token, "orange")
    await rig.sandbox.drain()
    unsubscribe()
    await rig.api.post(HOSTED, body)
    assert [event.kind for event in seen] == [
        "request",
        "created",
        "status",
        "callback",
        "callback",
    ]
    assert {event.transaction_id for event in seen[1:]} == {"tx-events"}
    assert all("s3cr3t" not in event.text for event in seen)


async def test_a_failing_listener_is_logged_and_ignored(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: SandboxEvent) -> None:
        raise RuntimeError(event.kind)

    rig.sandbox.subscribe(broken)
    assert (await rig.api.post(HOSTED, payin_body()))["response_code"] == "00"
    assert "sandbox event listener failed" in caplog.messages


# Closing


async def test_aclose_cancels_pending_work_and_leaves_statuses_alone() -> None:
    config = SandboxConfig(approval_delay=30.0, callback_delay=30.0)
    async with open_rig(config) as rig:
        token = (await rig.api.post(DIRECT, payin_body(customer=MOOV)))["token"]
        await rig.sandbox.aclose()
        await rig.sandbox.drain()
        tx = rig.sandbox.transaction(token)
        assert tx is not None
        assert tx.status is SandboxStatus.PENDING


async def test_shutting_the_server_down_releases_hung_requests() -> None:
    async with open_rig(SandboxConfig(hang_seconds=3600.0)) as rig:
        rig.sandbox.faults.hang.add(Endpoint.HOSTED_PAYIN)
        arrived = asyncio.Event()
        rig.sandbox.subscribe(lambda event: arrived.set())
        hung = asyncio.create_task(raw_post(rig, HOSTED, payin_body(), limit=10.0))
        await arrived.wait()
        started = time.monotonic()
        await rig.server.close()
        assert time.monotonic() - started < 2.0
        with contextlib.suppress(aiohttp.ClientError):
            await hung
        assert "closed=True" in repr(rig.sandbox)


async def test_the_sandbox_works_as_an_async_context_manager() -> None:
    async with Sandbox(FAST) as sandbox:
        assert sandbox.request_count(Endpoint.HOSTED_PAYIN) == 0
    assert "closed=True" in repr(sandbox)


def test_credentials_stay_out_of_reprs() -> None:
    config = SandboxConfig(api_key="k-secret", api_token="t-secret")
    assert "secret" not in repr(config)
    assert "secret" not in repr(Sandbox(config))


async def test_serve_runs_standalone_until_cancelled(capsys: pytest.CaptureFixture[str]) -> None:
    port = unused_port()
    server = asyncio.create_task(serve(FAST, "127.0.0.1", port))
    async with aiohttp.ClientSession() as session:
        api = Api(session, URL(f"http://127.0.0.1:{port}/"))
        for _ in range(200):
            with contextlib.suppress(aiohttp.ClientConnectionError):
                answer = await api.post(HOSTED, payin_body())
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the standalone sandbox never answered")
    assert answer["response_text"].startswith(f"http://127.0.0.1:{port}/checkout/")
    server.cancel()
    with pytest.raises(asyncio.CancelledError):
        await server
    printed = capsys.readouterr().out
    assert f"http://127.0.0.1:{port}/pay/v01/" in printed
    assert "sandbox-api-key" in printed
    assert "sandbox-api-token" in printed
