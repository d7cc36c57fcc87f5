"""Key-value space, audit trail and callback log."""

from __future__ import annotations

import json

import pytest

from storage import Stores
from storage.callbacks import BODY_LIMIT, mask_phone, mask_text
from tests.storage.shop import ADMIN_ACTOR, order, pending_payin


async def test_kv_stores_json_texts_by_namespace(stores: Stores) -> None:
    await stores.kv.set("conversations:checkout", "[1, 2]", json.dumps("ASK_EMAIL"))
    await stores.kv.set("user_data", "1", json.dumps({"lang": "fr"}))
    assert await stores.kv.get("conversations:checkout", "[1, 2]") == '"ASK_EMAIL"'
    assert await stores.kv.items("user_data") == {"1": '{"lang": "fr"}'}
    await stores.kv.set_many("user_data", {"1": None, "2": "{}", "3": "[]"})
    assert await stores.kv.items("user_data") == {"2": "{}", "3": "[]"}
    assert await stores.kv.delete("user_data", "2")
    assert not await stores.kv.delete("user_data", "2")
    assert await stores.kv.clear("user_data") == 1
    assert await stores.kv.get("user_data", "3") is None


async def test_kv_refuses_what_is_not_json(stores: Stores) -> None:
    with pytest.raises(Exception, match="CHECK constraint failed"):
        await stores.kv.set("bot_data", "x", "{not json")


async def test_every_transition_leaves_an_audit_entry(stores: Stores) -> None:
    the_order = await order(stores)
    payin = await pending_payin(stores, the_order)
    await stores.payins.complete(payin.transaction_id, amount=payin.amount)
    trail = await stores.audit.for_order(the_order.id)
    assert [(e.entity, e.from_state, e.to_state) for e in trail] == [
        ("order", None, "awaiting_payment"),
        ("payin", None, "creating"),
        ("payin", "creating", "pending"),
        ("payin", "pending", "completed"),
        ("order", "awaiting_payment", "paid"),
    ]
    assert [e.actor for e in trail][-1] == "ligdicash"
    payin_trail = await stores.audit.for_entity("payin", payin.transaction_id)
    assert len(payin_trail) == 3


async def test_admin_actions_are_recorded(stores: Stores) -> None:
    await stores.audit.record_action(
        actor=ADMIN_ACTOR, entity="export", entity_id="2026-03", why="exported orders"
    )
    (entry,) = await stores.audit.recent(1)
    assert (entry.actor, entry.entity, entry.why) == (ADMIN_ACTOR, "export", "exported orders")


@pytest.mark.parametrize(
    ("text", "hidden", "kept"),
    [
        ('{"customer": "22670123456"}', "22670123456", "226XXXXXX56"),
        ("customer=22670123456&amount=100", "22670123456", "amount=100"),
        ('{"customer": "+22670123456"}', "22670123456", "+226XXXXXX56"),
        ('{"token": "eyJhbGciOi.eyJzdWIi.sig"}', "eyJhbGciOi", '"token": "***"'),
        ("custom_data[hash]=ab12cd34&x=1", "ab12cd34", "custom_data[hash]=***"),
        ('{"otp": "123456"}', "123456", '"otp": "***"'),
        ('{"customer_email": "awa.k@example.com"}', "awa.k@", "a***@example.com"),
        ('{"request_id": "P2777636082026"}', "XXXX", "P2777636082026"),
        ('{"amount": "2000000"}', "XXX", "2000000"),
    ],
)
def test_callback_bodies_are_masked(text: str, hidden: str, kept: str) -> None:
    masked = mask_text(text)
    assert hidden not in masked
    assert kept in masked


def test_phone_masking_keeps_prefix_and_last_digits() -> None:
    assert mask_phone("22670123456") == "226XXXXXX56"
    assert mask_phone("1234") == "XXXX"


async def test_callbacks_are_logged_masked_with_their_outcome(stores: Stores) -> None:
    body = json.dumps({"customer": "22670123456", "custom_data": {"transaction_id": "abc"}})
    callback_id = await stores.callbacks.record(
        body=body + " " * BODY_LIMIT, content_type="application/json", transaction_id="abc"
    )
    assert await stores.callbacks.set_outcome(callback_id, "applied")
    (record,) = await stores.callbacks.for_transaction("abc")
    assert record.outcome == "applied"
    assert "22670123456" not in record.body
    assert len(record.body) == BODY_LIMIT
    assert [r.id for r in await stores.callbacks.recent()] == [callback_id]
