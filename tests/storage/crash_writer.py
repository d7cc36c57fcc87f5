"""A child process for the crash test: sells, pays and refunds in a loop until it is killed.

Run as `python -m tests.storage.crash_writer <database>`; prints one line per finished cycle.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from pathlib import Path

from storage import Database, Stores
from storage.models import NewMessage, Outcome, PayinMethod, PayoutKind


async def cycle(stores: Stores, rng: random.Random, customer: int) -> None:
    """Run one customer's purchase to a random end, as the bot would."""
    await stores.customers.seen(customer, first_name="Crash", language="fr")
    item = await stores.products.add(
        name="Item", price=rng.randrange(100, 10_000), stock=rng.choice([None, 1, 2]), actor="t"
    )
    await stores.carts.add(customer, item.id, rng.randint(1, 2))
    created = await stores.orders.create_from_cart(
        customer, first_name="C", last_name="", email=None, actor="t"
    )
    if created.order is None:
        return
    payin = await stores.payins.create(created.order.id, method=PayinMethod.LINK, actor="t")
    assert payin.payin is not None
    tx = payin.payin.transaction_id
    await stores.payins.mark_pending(tx, token="tok")
    ending = rng.random()
    if ending < 0.15:
        await stores.payins.fail(tx, detail="notcompleted")
        return
    if ending < 0.25:
        await stores.payins.expire(tx)
        return
    receipt = NewMessage(customer, "receipt", json.dumps({"tx": tx}), f"payin:{tx}:completed")
    done = await stores.payins.complete(tx, amount=payin.payin.amount, messages=[receipt])
    assert done.order is not None
    if rng.random() < 0.5:
        intent = await stores.payouts.request(
            order_id=done.order.id,
            amount=rng.randint(1, done.order.paid_amount),
            phone="22670000000",
            kind=PayoutKind.MERCHANT,
            requested_by=1,
            reason="crash test",
            allow_concurrent=True,
        )
        if intent.payout is None:
            return
        ptx = intent.payout.transaction_id
        if (await stores.payouts.claim(ptx, actor="admin:1")).outcome is Outcome.APPLIED:
            await stores.payouts.mark_pending(ptx, token="ptok")
            await stores.payouts.complete(ptx, amount=intent.payout.amount)


async def main(path: Path, seed: int) -> None:
    """Run cycles on four coroutines forever, reporting progress on stdout."""
    rng = random.Random(seed)
    async with Database.open(path) as db:
        stores = Stores.over(db)
        count = 0
        base = seed * 1_000_000
        while True:
            await asyncio.gather(*(cycle(stores, rng, base + count + k) for k in range(4)))
            count += 4
            print(count, flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
