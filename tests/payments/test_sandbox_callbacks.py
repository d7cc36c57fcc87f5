"""Callbacks like Ligdicash's: two POSTs per final status, and the switches that spoil them."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator

import pytest
from yarl import URL

from payments.sandbox import SandboxConfig
from tests.payments.sandbox_harness import (
    CLIENT_PAYOUT,
    DIRECT,
    HOSTED,
    MERCHANT_PAYOUT,
    MOOV,
    ORANGE,
    Callback,
    Rig,
    open_rig,
    payin_body,
    payout_body,
    unused_port,
)

JSON_KEYS = {
    "date",
    "method",
    "response_code",
    "response_text",
    "token",
    "montant",
    "status",
    "custom_data",
    "operator_name",
    "operator_id",
    "transaction_id",
    "external_id",
    "url",
    "hash",
}


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with open_rig() as opened:
        yield opened


async def paid_hosted_payin(rig: Rig, transaction_id: str = "tx-0001") -> str:
    body = payin_body(callback_url=rig.callback_url, transaction_id=transaction_id)
    token: str = (await rig.api.post(HOSTED, body))["token"]
    await rig.sandbox.pay(token, "orange")
    return token


def form_custom_data(callback: Callback) -> dict[str, str]:
    """custom_data of a form callback, whichever of its two shapes it came in."""
    fields = callback.form()
    if "custom_data" in fields:
        entries = json.loads(fields["custom_data"])
        return {e["keyof_customdata"]: e["valueof_customdata"] for e in entries}
    return {
        key[len("custom_data[") : -1]: value
        for key, value in fields.items()
        if key.startswith("custom_data[")
    }


async def test_a_paid_payin_sends_one_json_then_one_form_callback(rig: Rig) -> None:
    await paid_hosted_payin(rig)
    await rig.sandbox.drain()
    first, second = rig.receiver.received
    assert first.is_json
    assert second.content_type == "application/x-www-form-urlencoded"
    body = first.json()
    assert set(body) == JSON_KEYS
    assert body["token"] == ""
    assert (body["status"], body["montant"], body["method"]) == ("completed", "40000", "post")
    assert (body["operator_name"], body["operator_id"]) == ("ORANGE BURKINA", "11")
    assert body["transaction_id"] == "tx-0001"
    assert body["url"] == rig.callback_url
    assert re.fullmatch(r"[0-9a-f]{40}", body["hash"])
    entries = {e["keyof_customdata"]: e["valueof_customdata"] for e in body["custom_data"]}
    assert entries["transaction_id"] == "tx-0001"
    assert re.fullmatch(r"[0-9a-f]{64}", entries["hash"])
    assert entries["logfile"].endswith(".log")
    form = second.form()
    assert form["token"] == ""
    assert (form["status"], form["montant"], form["response_text"]) == ("completed", "40000", "")
    assert form_custom_data(second) == entries


async def test_form_callbacks_alternate_flattened_and_json_string_custom_data(rig: Rig) -> None:
    await paid_hosted_payin(rig, "tx-A")
    await paid_hosted_payin(rig, "tx-B")
    await rig.sandbox.drain()
    forms = [callback.form() for callback in rig.receiver.received if not callback.is_json]
    flattened = [form for form in forms if "custom_data[transaction_id]" in form]
    as_string = [form for form in forms if "custom_data" in form]
    assert len(flattened) == len(as_string) == 1
    assert {flattened[0]["custom_data[transaction_id]"], as_string[0]["transaction_id"]} == {
        "tx-A",
        "tx-B",
    }


@pytest.mark.parametrize("path", [CLIENT_PAYOUT, MERCHANT_PAYOUT])
async def test_a_payout_callback_carries_a_new_token_and_the_amount(rig: Rig, path: str) -> None:
    created = await rig.api.post(path, payout_body(callback_url=rig.callback_url))
    json_callback, form_callback = await rig.receiver.wait_for(2)
    body = json_callback.json()
    assert body["token"] not in ("", created["token"])
    assert form_callback.form()["token"] == body["token"]
    assert (body["amount"], body["montant"], body["status"]) == (5_000, "5000", "completed")
    assert form_callback.form()["amount"] == "5000"
    tx = rig.sandbox.transaction(created["token"])
    assert tx is not None
    assert tx.callback_token == body["token"]
    confirm_by_callback_token = await rig.api.confirm_payout(body["token"])
    assert confirm_by_callback_token["response_text"] == "Echec (Code02)"


async def test_a_failed_payin_calls_back_with_notcompleted(rig: Rig) -> None:
    body = payin_body(customer="22670123499", callback_url=rig.callback_url)
    await rig.api.post(DIRECT, body)
    json_callback, form_callback = await rig.receiver.wait_for(2)
    assert json_callback.json()["status"] == "notcompleted"
    assert form_callback.form()["status"] == "notcompleted"
    assert json_callback.json()["operator_name"] == "MOOV AFRICA BURKINA"


async def test_the_old_nocompleted_spelling_can_be_switched_on(rig: Rig) -> None:
    rig.sandbox.faults.nocompleted_spelling = True
    body = payin_body(customer=ORANGE, otp="111111", callback_url=rig.callback_url)
    token = (await rig.api.post(DIRECT, body))["token"]
    json_callback, _ = await rig.receiver.wait_for(2)
    assert json_callback.json()["status"] == "nocompleted"
    assert (await rig.api.confirm_payin(token))["status"] == "nocompleted"


async def test_nothing_is_sent_without_a_callback_url(rig: Rig) -> None:
    token = (await rig.api.post(HOSTED, payin_body()))["token"]
    await rig.sandbox.pay(token, "orange")
    await rig.sandbox.drain()
    assert rig.receiver.received == []


async def test_a_pending_moov_payin_calls_back_only_once_approved() -> None:
    async with open_rig(SandboxConfig(approval_delay=0.3, callback_delay=0.01)) as rig:
        await rig.api.post(DIRECT, payin_body(customer=MOOV, callback_url=rig.callback_url))
        assert rig.receiver.received == []
        callbacks = await rig.receiver.wait_for(2)
    assert [c.json()["status"] for c in callbacks if c.is_json] == ["completed"]


async def test_dropped_callbacks_never_arrive(rig: Rig) -> None:
    rig.sandbox.faults.drop_callbacks = True
    token = await paid_hosted_payin(rig)
    await rig.sandbox.drain()
    assert rig.receiver.received == []
    assert (await rig.api.confirm_payin(token))["status"] == "completed"


async def test_duplicated_callbacks_send_each_pair_twice(rig: Rig) -> None:
    rig.sandbox.faults.duplicate_callbacks = True
    await paid_hosted_payin(rig)
    await rig.sandbox.drain()
    assert [c.is_json for c in rig.receiver.received] == [True, False, True, False]
    assert {c.json()["hash"] for c in rig.receiver.received if c.is_json} == {
        rig.receiver.received[0].json()["hash"]
    }


async def test_form_first_reverses_the_pair(rig: Rig) -> None:
    rig.sandbox.faults.form_first = True
    await paid_hosted_payin(rig)
    await rig.sandbox.drain()
    assert [c.is_json for c in rig.receiver.received] == [False, True]


async def test_a_stale_pending_callback_can_follow_the_final_pair(rig: Rig) -> None:
    rig.sandbox.faults.stale_pending_after = True
    await paid_hosted_payin(rig)
    await rig.sandbox.drain()
    statuses = [
        c.json()["status"] if c.is_json else c.form()["status"] for c in rig.receiver.received
    ]
    assert statuses == ["completed", "completed", "pending"]


async def test_an_unreachable_callback_url_is_logged_and_nothing_breaks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with open_rig() as rig:
        port = unused_port()
        body = payin_body(callback_url=str(URL(rig.callback_url).with_port(port)))
        token = (await rig.api.post(HOSTED, body))["token"]
        with caplog.at_level(logging.WARNING, logger="payments.sandbox"):
            await rig.sandbox.pay(token, "orange")
            await rig.sandbox.drain()
        assert (await rig.api.confirm_payin(token))["status"] == "completed"
    failures = [r.getMessage() for r in caplog.records if "callback" in r.getMessage()]
    assert len(failures) == 2
    assert all(f"http://127.0.0.1:{port}" in message for message in failures)
    assert not any("s3cr3t" in message for message in caplog.messages)


async def test_a_merchant_answering_500_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async with open_rig() as rig:
        rig.receiver.status = 500
        with caplog.at_level(logging.WARNING, logger="payments.sandbox"):
            await paid_hosted_payin(rig)
            await rig.sandbox.drain()
        assert len(rig.receiver.received) == 2
    assert sum("answered HTTP 500" in message for message in caplog.messages) == 2


async def test_callbacks_wait_for_the_callback_delay() -> None:
    config = SandboxConfig(callback_delay=0.3)
    async with open_rig(config) as rig:
        await paid_hosted_payin(rig)
        assert rig.receiver.received == []
        assert len(await rig.receiver.wait_for(2)) == 2
