"""Rules for counting payins by method and state (what GET /metrics shows)."""

from __future__ import annotations

import pytest

from storage import Stores
from storage.models import PayinMethod, PayinState
from tests.storage.shop import order, pending_payin


async def seed_payins(stores: Stores) -> None:
    """Two pending links, a completed link, a failed Moov payin and an expired Orange one."""
    for customer in (1, 2):
        await pending_payin(stores, await order(stores, customer))
    paid = await pending_payin(stores, await order(stores, 3))
    await stores.payins.complete(paid.transaction_id, amount=paid.amount)
    moov = await pending_payin(stores, await order(stores, 4), PayinMethod.MOOV_APPROVAL)
    await stores.payins.fail(moov.transaction_id, detail="declined")
    orange = await pending_payin(stores, await order(stores, 5), PayinMethod.ORANGE_OTP)
    await stores.payins.expire(orange.transaction_id)


async def test_every_method_and_state_is_counted_even_at_zero(stores: Stores) -> None:
    counts = await stores.payins.count_by_method_and_state()
    assert set(counts) == {(method, state) for method in PayinMethod for state in PayinState}
    assert set(counts.values()) == {0}


@pytest.mark.parametrize("slice_ids", [1, 2, 3, 20_000])
async def test_counts_are_the_same_whatever_the_slice_size(stores: Stores, slice_ids: int) -> None:
    await seed_payins(stores)
    counts = await stores.payins.count_by_method_and_state(slice_ids)
    assert {key: n for key, n in counts.items() if n} == {
        (PayinMethod.LINK, PayinState.PENDING): 2,
        (PayinMethod.LINK, PayinState.COMPLETED): 1,
        (PayinMethod.MOOV_APPROVAL, PayinState.FAILED): 1,
        (PayinMethod.ORANGE_OTP, PayinState.EXPIRED): 1,
    }
