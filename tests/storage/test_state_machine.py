"""Hypothesis drives one order through random payin and refund events; a plain model checks it."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from storage import Database, Stores
from storage.models import NewMessage, Order, PayinMethod, PayoutKind
from tests.storage.shop import ManualClock

T = TypeVar("T")
FINAL_PAYIN = {"completed", "failed"}


@dataclass
class ModelPayin:
    """What a payin should be, by the rules written out plainly."""

    transaction_id: str
    state: str = "pending"


@dataclass
class ModelRefund:
    """What a refund should be."""

    transaction_id: str
    amount: int
    state: str = "intent"


@dataclass
class Model:
    """The order as the rules say it must be."""

    total: int
    state: str = "awaiting_payment"
    paid: int = 0
    refunded: int = 0
    payins: list[ModelPayin] = field(default_factory=list)
    refunds: list[ModelRefund] = field(default_factory=list)
    messages: int = 0


class PaymentMachine(RuleBasedStateMachine):
    """Random payin/refund events against a real database and the model."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp(prefix="ligdibot-sm-"))
        self.clock = ManualClock()
        self.db = Database(self.folder / "sm.sqlite3", clock=self.clock)
        self.run(self.db.connect())
        self.stores = Stores.over(self.db)
        self.order = self.run(self._order())
        self.model = Model(total=self.order.total)
        # Every run starts with a payin waiting, so money moves within the first few steps.
        self.start_payin()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run one step's coroutine on the machine's own event loop."""
        self.clock.advance(seconds=1)
        return self.loop.run_until_complete(coroutine)

    async def _order(self) -> Order:
        await self.stores.customers.seen(1, first_name="H", language="fr")
        item = await self.stores.products.add(name="Pagne", price=4000, stock=None, actor="t")
        await self.stores.carts.add(1, item.id, 2)
        created = await self.stores.orders.create_from_cart(
            1, first_name="H", last_name="", email=None, actor="t"
        )
        assert created.order is not None
        return created.order

    def teardown(self) -> None:
        self.run(self.db.close())
        self.loop.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _money_state(self) -> str:
        if self.model.paid == 0:
            return self.model.state
        if self.model.refunded == 0:
            return "paid"
        return "refunded" if self.model.refunded >= self.model.paid else "partially_refunded"

    @rule()
    def start_payin(self) -> None:
        created = self.run(
            self.stores.payins.create(self.order.id, method=PayinMethod.LINK, actor="t")
        )
        if self.model.state != "awaiting_payment" or self.model.paid:
            assert created.payin is None
            return
        assert created.payin is not None
        self.run(self.stores.payins.mark_pending(created.payin.transaction_id, token="tok"))
        self.model.payins.append(ModelPayin(created.payin.transaction_id))

    @precondition(lambda self: self.model.payins)
    @rule(index=st.integers(0, 9), right_amount=st.booleans())
    def confirm_completed(self, index: int, right_amount: bool) -> None:
        payin = self.model.payins[index % len(self.model.payins)]
        amount = self.model.total if right_amount else self.model.total + 1
        receipt = NewMessage(1, "receipt", json.dumps({}), f"payin:{payin.transaction_id}:done")
        self.run(
            self.stores.payins.complete(payin.transaction_id, amount=amount, messages=[receipt])
        )
        if payin.state in FINAL_PAYIN:
            return
        if not right_amount:
            if payin.state == "pending":
                payin.state = "unknown"
            return
        payin.state = "completed"
        self.model.paid += self.model.total
        self.model.messages += 1
        self.model.state = self._money_state()

    @precondition(lambda self: self.model.payins)
    @rule(index=st.integers(0, 9))
    def confirm_failed(self, index: int) -> None:
        payin = self.model.payins[index % len(self.model.payins)]
        self.run(self.stores.payins.fail(payin.transaction_id, detail="notcompleted"))
        if payin.state not in FINAL_PAYIN:
            payin.state = "failed"

    @precondition(lambda self: self.model.payins)
    @rule(index=st.integers(0, 9))
    def give_up_waiting(self, index: int) -> None:
        payin = self.model.payins[index % len(self.model.payins)]
        self.run(self.stores.payins.expire(payin.transaction_id))
        if payin.state in ("pending", "unknown"):
            payin.state = "expired"

    @rule()
    def cancel_order(self) -> None:
        self.run(self.stores.orders.cancel(self.order.id, actor="t", why="random"))
        if self.model.state == "awaiting_payment":
            self.model.state = "cancelled"

    @rule(amount=st.sampled_from([1, 3000, 4000, 5000, 8000, 8001]), concurrent=st.booleans())
    def ask_refund(self, amount: int, concurrent: bool) -> None:
        result = self.run(
            self.stores.payouts.request(
                order_id=self.order.id,
                amount=amount,
                phone="22670000000",
                kind=PayoutKind.MERCHANT,
                requested_by=1,
                reason="random",
                allow_concurrent=concurrent,
            )
        )
        reserved = sum(r.amount for r in self.model.refunds if r.state not in ("failed",))
        active = any(r.state in ("intent", "sending", "pending") for r in self.model.refunds)
        allowed = (
            self.model.paid > 0
            and (concurrent or not active)
            and reserved + amount <= self.model.paid
        )
        assert (result.outcome.value == "applied") == allowed
        if allowed:
            assert result.payout is not None
            self.model.refunds.append(ModelRefund(result.payout.transaction_id, amount))

    @precondition(lambda self: self.model.refunds)
    @rule(index=st.integers(0, 9), succeed=st.booleans())
    def send_refund(self, index: int, succeed: bool) -> None:
        refund = self.model.refunds[index % len(self.model.refunds)]
        tx = refund.transaction_id
        self.run(self.stores.payouts.claim(tx, actor="admin:1"))
        self.run(self.stores.payouts.mark_pending(tx, token="ptok"))
        if succeed:
            self.run(self.stores.payouts.complete(tx, amount=refund.amount))
        else:
            self.run(self.stores.payouts.fail(tx, detail="notcompleted"))
        if refund.state != "intent":
            return
        refund.state = "completed" if succeed else "failed"
        if succeed:
            self.model.refunded += refund.amount
            self.model.state = self._money_state()

    @invariant()
    def database_matches_the_model(self) -> None:
        order = self.run(self.stores.orders.get(self.order.id))
        assert order is not None
        assert (order.state.value, order.paid_amount, order.refunded_amount) == (
            self.model.state,
            self.model.paid,
            self.model.refunded,
        )
        payins = self.run(self.stores.payins.for_order(self.order.id))
        assert [p.state.value for p in payins] == [p.state for p in self.model.payins]
        refunds = self.run(self.stores.payouts.for_order(self.order.id))
        assert [r.state.value for r in refunds] == [r.state for r in self.model.refunds]
        assert self.run(self.stores.outbox.backlog()) == self.model.messages
        assert order.refunded_amount <= order.paid_amount


TestPaymentMachine = PaymentMachine.TestCase
TestPaymentMachine.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
