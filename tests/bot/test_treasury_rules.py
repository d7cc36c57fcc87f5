"""The treasurer's rules that need no Telegram: a request that never left, amounts, texts."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.cashier import Links
from bot.i18n import LANGUAGES
from bot.messages import refunds as words
from bot.refunds import parse_amount
from bot.treasury import REFUSALS, PayoutRefused, Prepared, Treasurer
from payments.client import LigdicashClient
from payments.errors import (
    CLIENT_PAYOUT_CODES,
    CONFIRM_CODES,
    MERCHANT_PAYOUT_CODES,
    MerchantSetupError,
    Reason,
    TransportError,
)
from payments.phone import parse_phone
from storage.database import Database
from storage.models import PayoutKind, PayoutState
from storage.stores import Stores

ADMIN = 900_001


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[Stores]:
    """Real stores on a fresh SQLite file."""
    async with Database.open(tmp_path / "shop.sqlite3") as db:
        yield Stores.over(db)


@pytest.fixture
async def treasurer(stores: Stores) -> AsyncIterator[Treasurer]:
    """A treasurer whose Ligdicash cannot be reached at all."""
    async with LigdicashClient(
        base_url=f"http://127.0.0.1:{closed_port()}/pay/v01/",
        api_key=SecretStr("key"),
        api_token=SecretStr("token"),
        store_name="Boutique Test",
        store_website_url="https://shop.example",
    ) as client:
        yield Treasurer(
            stores=stores,
            client=client,
            links=Links("https://shop.example"),
            admin_ids=(ADMIN,),
            wake_outbox=lambda: None,
            top_up_wallet=False,
            store_name="Boutique Test",
        )


async def test_a_payout_request_that_never_left_fails_and_may_be_asked_again(
    stores: Stores, treasurer: Treasurer
) -> None:
    phone = parse_phone("70123456")
    prepared = await treasurer.prepare(
        amount=5000, phone=phone, kind=PayoutKind.MERCHANT, admin_id=ADMIN, reason="lot"
    )
    assert isinstance(prepared, Prepared)

    sent = await treasurer.send(prepared.payout.transaction_id, ADMIN)

    assert sent.claimed
    assert isinstance(sent.error, TransportError)
    assert not sent.error.maybe_delivered
    assert sent.payout is not None
    assert sent.payout.state is PayoutState.FAILED
    assert (sent.payout.detail or "").startswith("not sent:")
    again = await treasurer.send(prepared.payout.transaction_id, ADMIN)
    assert not again.claimed  # a row is sent once, ever; a retry is a new request
    retry = await treasurer.prepare(
        amount=5000, phone=phone, kind=PayoutKind.MERCHANT, admin_id=ADMIN, reason="lot"
    )
    assert isinstance(retry, Prepared)
    assert retry.payout.transaction_id != prepared.payout.transaction_id


@pytest.mark.parametrize(
    ("amount", "number", "kind", "reason"),
    [
        (0, "70123456", PayoutKind.MERCHANT, "bad_amount"),
        (-5, "70123456", PayoutKind.MERCHANT, "bad_amount"),
        (499, "70123456", PayoutKind.MERCHANT, "below_minimum"),
        (2_000_001, "70123456", PayoutKind.MERCHANT, "above_maximum"),
        (5000, "58123456", PayoutKind.MERCHANT, "operator_not_supported"),
    ],
)
async def test_a_payout_outside_ligdicash_rules_is_refused_before_anything_is_recorded(
    stores: Stores, treasurer: Treasurer, amount: int, number: str, kind: PayoutKind, reason: str
) -> None:
    refused = await treasurer.prepare(
        amount=amount, phone=parse_phone(number), kind=kind, admin_id=ADMIN, reason="x"
    )

    assert isinstance(refused, PayoutRefused)
    assert refused.reason == reason
    assert await stores.payouts.recent() == ()


async def test_a_telecel_number_can_be_paid_to_the_ligdicash_wallet(
    treasurer: Treasurer,
) -> None:
    prepared = await treasurer.prepare(
        amount=5000,
        phone=parse_phone("58123456"),
        kind=PayoutKind.CLIENT,
        admin_id=ADMIN,
        reason="x",
    )

    assert isinstance(prepared, Prepared)
    assert prepared.payout.kind is PayoutKind.CLIENT


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("5000", 5000),
        ("5 000", 5000),
        ("5.000", 5000),
        ("5,000", 5000),
        ("1_250_000", 1_250_000),
        ("00500", 500),
        ("0", None),
        ("000", None),
        ("-5", None),
        ("+5", None),
        ("abc", None),
        ("5,5", None),
        ("5000F", None),
        ("1e3", None),
        ("", None),
        ("9" * 40, None),
    ],
)
def test_an_amount_is_a_positive_whole_number_of_francs(typed: str, amount: int | None) -> None:
    assert parse_amount(typed) == amount


def test_every_refusal_and_state_has_a_text_in_every_language() -> None:
    for lang in LANGUAGES:
        for reason in REFUSALS:
            assert reason in words.TEXT.tables[lang], (lang, reason)
        for state in PayoutState:
            assert words.state_name(lang, state)


MERCHANT_SETUP_REASONS = sorted(
    {
        reason
        for table in (MERCHANT_PAYOUT_CODES, CLIENT_PAYOUT_CODES, CONFIRM_CODES)
        for cls, reason in table.values()
        if cls is MerchantSetupError
    }
)


@pytest.mark.parametrize("reason", MERCHANT_SETUP_REASONS)
def test_every_merchant_setup_refusal_alerts_admins_with_a_fix(reason: Reason) -> None:
    for lang in LANGUAGES:
        alert = words.setup_alert(lang, reason, 5000, reason.value)
        assert reason.value in alert.text
        assert "Ligdicash" in alert.text


@pytest.mark.parametrize(
    ("reason", "fix"),
    [
        (Reason.AUTHENTICATION, "LIGDICASH_API_KEY"),
        (Reason.APP_AUTHENTICATION, "LIGDICASH_API_TOKEN"),
        (Reason.IP_NOT_WHITELISTED, "whitelist"),
        (Reason.BALANCE_TOO_LOW, "top up"),
    ],
)
def test_auth_ip_and_balance_refusals_name_their_own_fix(reason: Reason, fix: str) -> None:
    assert fix in words.setup_alert("en", reason, 5000, "").text
    assert set(words.SETUP_FIXES) == {
        Reason.AUTHENTICATION,
        Reason.APP_AUTHENTICATION,
        Reason.IP_NOT_WHITELISTED,
        Reason.BALANCE_TOO_LOW,
    }
