"""Payouts that do not simply succeed: timeouts, 5xx, refusals, lost callbacks, endless pending.

The bot's Ligdicash client times out after half a second here, and the bot's clock can be moved
forward so reconciliation sees payouts as due without waiting for Ligdicash's 45-second pace.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.app import Runtime, Tuning
from bot.emulator import TelegramEmulator
from bot.messages import refunds as words
from bot.settings import Settings
from bot.treasury import CHECK_INTERVAL, MAX_CHECKS
from payments.sandbox import Endpoint, Sandbox
from storage.models import OrderState, PayoutState, Product
from tests.bot.checkout_support import Clock, eventually
from tests.bot.conftest import ADMIN_ID, FAST_SANDBOX
from tests.bot.refunds_support import (
    Admin,
    fragment,
    paid_order,
    payout_in,
    settled_outbox,
    transaction_of,
)

CLIENT_TIMEOUT = 0.5
HANGS = "70 12 34 97"  # the sandbox records the payout but answers after hang_seconds
NEVER_CONFIRMED = "70123498"
PAST_A_CHECK = CHECK_INTERVAL + timedelta(seconds=1)


@pytest.fixture
def clock() -> Clock:
    """The bot's clock, moved forward to make payouts due."""
    return Clock()


@pytest.fixture
def tuning(clock: Clock) -> Tuning:
    """Fast sandbox, a 50 ms reconciliation tick and a clock the tests move."""
    return Tuning(sandbox=FAST_SANDBOX, reconcile_tick=0.05, clock=clock)


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    """A client that gives up on Ligdicash after half a second."""
    return bot_settings.model_copy(update={"ligdicash_timeout": CLIENT_TIMEOUT})


@pytest.fixture
def admin(bot: Runtime, emulator: TelegramEmulator) -> Admin:
    """The admin, in French."""
    emulator.create_user("Admin", user_id=ADMIN_ID)
    return Admin(bot, emulator, ADMIN_ID)


def sandbox_of(bot: Runtime) -> Sandbox:
    """The running bot's embedded sandbox."""
    assert bot.sandbox is not None
    return bot.sandbox


async def reconcile_passes(bot: Runtime, clock: Clock, passes: int = 3) -> None:
    """Move time on past a check and run reconciliation passes."""
    for _ in range(passes):
        clock.advance(timedelta(minutes=10))
        await bot.reconciler.run_once()


async def test_a_refund_whose_request_times_out_is_unknown_and_never_sent_again(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], admin: Admin, clock: Clock
) -> None:
    sandbox = sandbox_of(bot)
    customer, order = await paid_order(bot, emulator, catalog)
    await admin.say(f"/refund {order.reference}", expect="Le numéro qui a payé n'est pas connu")
    last = admin.last_id()
    await emulator.inject_text(ADMIN_ID, HANGS)
    review = await admin.wait_review(after=last)
    tx = transaction_of(review)

    shown = await admin.confirm(review)

    assert "Issue INCONNUE" in shown.content
    assert "finissant par 97" in shown.content
    assert tx in shown.content
    assert "le bot ne le renverra PAS" in shown.content
    assert set(shown.callback_data()) == {
        words.CHECK + tx,
        f"{words.MARK_ASK}{tx}:c",
        f"{words.MARK_ASK}{tx}:f",
    }
    payout = await payout_in(bot, tx, PayoutState.UNKNOWN)
    assert payout.token is None
    assert sandbox.request_count("merchant_payout") == 1
    # The sandbox did record it, so Ligdicash's callback comes: it is reported to admins (in
    # the unknown alert if it came while the request hung, else on its own), never trusted.
    await sandbox.drain()
    told = fragment("fr", "callback_unverified")
    await admin.emulator.wait_until(
        lambda: any(
            told in m.content or "a callback said 'completed'" in m.content
            for m in emulator.messages(ADMIN_ID)
        ),
        what="admins told about the unverifiable callback",
    )

    await reconcile_passes(bot, clock)

    assert sandbox.request_count("merchant_payout") == 1
    assert sandbox.request_count("payout_confirm") == 0
    assert (await payout_in(bot, tx, PayoutState.UNKNOWN)).next_check_at is None
    again = await admin.say(f"/refund {order.reference}", expect=order.reference)
    assert "déjà en cours" in again.content
    assert fragment("fr", "state_unknown") in again.content
    await settled_outbox(bot)
    assert customer.count("remboursement") == 0

    await admin.press(shown, f"{words.MARK_ASK}{tx}:c")
    ask = await admin.wait_text(fragment("fr", "mark_ask_completed"), after=shown.message_id)
    await admin.press(ask, f"{words.MARK}{tx}:c")

    await admin.wait_text("est maintenant versé", after=shown.message_id)
    done = await payout_in(bot, tx, PayoutState.COMPLETED)
    assert done.detail is not None
    assert f"by admin {ADMIN_ID}" in done.detail
    await emulator.wait_for_message(customer.uid, contains="est arrivé")
    after = await bot.stores.orders.get(order.id)
    assert after is not None
    assert after.state is OrderState.REFUNDED
    trail = await bot.stores.audit.for_entity("payout", tx)
    assert [(e.to_state, e.actor) for e in trail][-1] == ("completed", f"admin:{ADMIN_ID}")
    assert sandbox.request_count("merchant_payout") == 1


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(lambda s: s.faults.hang.add(Endpoint.MERCHANT_PAYOUT), id="no-answer"),
        pytest.param(lambda s: s.faults.fail.add(Endpoint.MERCHANT_PAYOUT), id="http-500"),
        pytest.param(
            lambda s: s.faults.garbage.__setitem__(Endpoint.MERCHANT_PAYOUT, 200), id="html-200"
        ),
        pytest.param(
            lambda s: s.faults.garbage.__setitem__(Endpoint.MERCHANT_PAYOUT, 502), id="html-502"
        ),
    ],
)
async def test_an_ambiguous_answer_to_a_payout_makes_it_unknown_with_one_request(
    bot: Runtime, admin: Admin, clock: Clock, fault: Callable[[Sandbox], object]
) -> None:
    sandbox = sandbox_of(bot)
    fault(sandbox)
    review = await admin.review("/payout 70123456 5000 lot de la tombola")

    shown = await admin.confirm(review)

    assert "Issue INCONNUE" in shown.content
    payout = await payout_in(bot, transaction_of(review), PayoutState.UNKNOWN)
    assert payout.token is None
    await reconcile_passes(bot, clock)
    assert sandbox.request_count("merchant_payout") == 1
    assert (await payout_in(bot, payout.transaction_id, PayoutState.UNKNOWN)).attempts == 0


async def test_a_balance_too_low_fails_the_payout_and_tells_admins_the_fix(
    bot: Runtime, admin: Admin
) -> None:
    sandbox = sandbox_of(bot)
    sandbox.set_balance(1000)
    review = await admin.review("/payout 70123456 5000 lot de la tombola")

    shown = await admin.confirm(review)

    assert fragment("fr", "outcome_failed") in shown.content
    assert "balance_too_low" in shown.content
    alert = await admin.wait_text("Le solde marchand Ligdicash est trop bas")
    assert "rechargez le solde" in alert.content
    payout = await payout_in(bot, transaction_of(review), PayoutState.FAILED)
    assert payout.token is None
    sandbox.set_balance(1_000_000)
    retry = await admin.review("/payout 70123456 5000 lot de la tombola")
    await admin.confirm(retry)
    await payout_in(bot, transaction_of(retry), PayoutState.COMPLETED)
    assert sandbox.request_count("merchant_payout") == 2


async def test_a_payout_left_pending_is_checked_on_ligdicash_schedule_then_flagged_not_expired(
    bot: Runtime, admin: Admin, clock: Clock
) -> None:
    sandbox = sandbox_of(bot)
    review = await admin.review(f"/payout {NEVER_CONFIRMED} 5000 avance fournisseur")
    await admin.confirm(review)
    tx = transaction_of(review)
    await payout_in(bot, tx, PayoutState.PENDING)

    for checks in range(1, MAX_CHECKS + 1):
        clock.advance(PAST_A_CHECK)

        async def checked(count: int = checks) -> bool:
            payout = await bot.stores.payouts.get(tx)
            return payout is not None and payout.attempts == count

        await eventually(checked, what=f"check {checks}")

    flag = await admin.wait_text(f"toujours en attente après {MAX_CHECKS} vérifications")
    assert tx in flag.content
    assert sandbox.request_count("payout_confirm") == MAX_CHECKS
    clock.advance(PAST_A_CHECK)
    await bot.reconciler.run_once()
    assert sandbox.request_count("payout_confirm") == MAX_CHECKS
    clock.advance(timedelta(hours=1))
    await bot.reconciler.run_once()
    assert sandbox.request_count("payout_confirm") == MAX_CHECKS + 1
    assert (await payout_in(bot, tx, PayoutState.PENDING)).token is not None
    assert sandbox.request_count("merchant_payout") == 1


async def test_lost_callbacks_are_made_up_for_by_a_confirm_on_schedule(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product], admin: Admin, clock: Clock
) -> None:
    sandbox = sandbox_of(bot)
    customer, order = await paid_order(bot, emulator, catalog, moov_number="70 12 34 56")
    sandbox.faults.drop_callbacks = True
    review = await admin.review(f"/refund {order.reference}")
    await admin.confirm(review)
    tx = transaction_of(review)
    await sandbox.drain()
    assert (await payout_in(bot, tx, PayoutState.PENDING)).attempts == 0

    clock.advance(PAST_A_CHECK)

    await payout_in(bot, tx, PayoutState.COMPLETED)
    await emulator.wait_for_message(customer.uid, contains="est arrivé")
    assert sandbox.request_count("payout_confirm") == 1
    after = await bot.stores.orders.get(order.id)
    assert after is not None
    assert after.refunded_amount == after.paid_amount


async def test_a_payout_callback_is_confirmed_with_the_creation_token_never_its_own(
    bot: Runtime, admin: Admin
) -> None:
    sandbox = sandbox_of(bot)
    review = await admin.review("/payout 70123456 5000 lot de la tombola")
    await admin.confirm(review)
    tx = transaction_of(review)

    payout = await payout_in(bot, tx, PayoutState.COMPLETED)

    [created] = [t for t in sandbox.transactions() if t.transaction_id == tx]
    assert payout.token == created.token
    assert created.callback_token
    assert created.callback_token != payout.token
    await sandbox.drain()
    assert sandbox.request_count("payout_confirm") >= 1
    # The callback pair shared one confirm, and the completed payout wrote one alert (delivered
    # by the outbox after the transition: wait for it, then make sure no second one follows).
    await admin.emulator.wait_for_message(ADMIN_ID, contains="Paiement sortant effectué")
    assert (
        sum("Paiement sortant effectué" in m.content for m in admin.emulator.messages(ADMIN_ID))
        == 1
    )


async def test_a_confirmation_older_than_its_lifetime_sends_nothing(
    bot: Runtime, admin: Admin, clock: Clock
) -> None:
    sandbox = sandbox_of(bot)
    review = await admin.review("/payout 70123456 5000 lot de la tombola")
    clock.advance(timedelta(minutes=16))

    await admin.press(review, words.CONFIRM + transaction_of(review))

    await admin.wait_text("plus de 15 minutes", after=review.message_id - 1)
    await payout_in(bot, transaction_of(review), PayoutState.CANCELLED)
    assert sandbox.request_count("merchant_payout") == 0
