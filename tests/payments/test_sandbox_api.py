"""The sandbox's Ligdicash endpoints, called with bare aiohttp over loopback."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from payments.sandbox import Kind, Sandbox, SandboxConfig, SandboxStatus
from tests.payments.sandbox_harness import (
    API_HEADERS,
    CLIENT_PAYOUT,
    DIRECT,
    FAST,
    HOSTED,
    MERCHANT_PAYOUT,
    MOOV,
    ORANGE,
    PAYIN_CONFIRM,
    STRAIGHT_PAYOUT_CONFIRM,
    TELECEL,
    WITHDRAWAL_CONFIRM,
    Api,
    Rig,
    item,
    open_rig,
    payin_body,
    payout_body,
)

DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00")


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with open_rig() as opened:
        yield opened


def refused_with(answer: dict[str, Any], code: str) -> bool:
    return bool(
        answer["response_code"] == "01"
        and answer["response_text"] == f"Echec (Code{code})"
        and answer["token"] == ""
        and answer["wiki"].startswith("https://")
    )


# Hosted payin


async def test_hosted_payin_answers_a_token_and_the_payment_page_url(rig: Rig) -> None:
    answer = await rig.api.post(HOSTED, payin_body())
    assert answer["response_code"] == "00"
    assert answer["response_text"].startswith(f"{rig.api.root}checkout/")
    assert answer["description"] == "Commande Telegram"
    assert answer["custom_data"] == {"transaction_id": "tx-0001", "order_id": "42"}
    assert answer["wiki"] == "https://client.ligdicash.com/wiki/createInvoice"
    assert rig.sandbox.transaction(answer["token"]) is not None


async def test_confirm_returns_the_documented_fields_with_the_amount_as_a_string(rig: Rig) -> None:
    token = (await rig.api.post(HOSTED, payin_body()))["token"]
    confirm = await rig.api.confirm_payin(token)
    assert DATE.fullmatch(confirm["date"])
    assert confirm["response_code"] == "00"
    assert confirm["response_text"] is None
    assert confirm["token"] == token
    assert confirm["amount"] == "40000"
    assert confirm["status"] == "pending"
    assert confirm["operator_name"] == confirm["operator_id"] == ""
    assert confirm["customer"] == ""
    assert confirm["transaction_id"] == "tx-0001"
    assert confirm["external_id"] is None
    assert re.fullmatch(r"P\d{13}", confirm["request_id"])
    entries = confirm["custom_data"]
    assert [(e["keyof_customdata"], e["valueof_customdata"]) for e in entries] == [
        ("transaction_id", "tx-0001"),
        ("order_id", "42"),
    ]
    assert len({e["id_invoice"] for e in entries}) == 1
    assert isinstance(entries[0]["id_invoice"], int)


async def test_a_final_confirm_adds_ligdicash_entries_to_custom_data(rig: Rig) -> None:
    token = (await rig.api.post(HOSTED, payin_body()))["token"]
    await rig.sandbox.pay(token, "orange")
    confirm = await rig.api.confirm_payin(token)
    extra = {e["keyof_customdata"]: e["valueof_customdata"] for e in confirm["custom_data"]}
    assert re.fullmatch(r"[0-9a-f]{64}", extra["hash"])
    assert extra["logfile"].endswith(".log")
    assert (confirm["status"], confirm["operator_name"], confirm["operator_id"]) == (
        "completed",
        "ORANGE BURKINA",
        "11",
    )


@pytest.mark.parametrize(
    "currency", ["XOF", "xof", " Xof ", None], ids=["upper", "lower", "mixed", "missing"]
)
async def test_currency_is_xof_in_any_case_or_missing(rig: Rig, currency: str | None) -> None:
    body = payin_body()
    if currency is None:
        del body["commande"]["invoice"]["devise"]
    else:
        body["commande"]["invoice"]["devise"] = currency
    assert (await rig.api.post(HOSTED, body))["response_code"] == "00"


@pytest.mark.parametrize("amount", [9, 2_000_000])
async def test_payin_amount_limits_are_inclusive(rig: Rig, amount: int) -> None:
    body = payin_body(items=[item("Bonbon", 1, amount)])
    assert (await rig.api.post(HOSTED, body))["response_code"] == "00"


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for key in parents:
            target = target[key]
        del target[last]

    return change


def _lines(*lines: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        invoice = body["commande"]["invoice"]
        invoice["items"] = list(lines)
        invoice["total_amount"] = sum(line["total_price"] for line in lines)

    return change


INVOICE = "commande.invoice"
HOSTED_REFUSALS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("amount below 9", _lines(item("Bonbon", 1, 8)), "02"),
    ("amount above 2M", _lines(item("Moto", 1, 1_000_000), item("Vélo", 1, 1_000_001)), "02"),
    ("total is not the sum", _set(f"{INVOICE}.total_amount", 39_999), "08"),
    ("line total is wrong", _set(f"{INVOICE}.items.0.total_price", 1), "08"),
    ("quantity below 1", _lines(item(quantity=0)), "08"),
    ("negative price", _lines(item(unit_price=-5)), "08"),
    ("empty item name", _set(f"{INVOICE}.items.0.name", " "), "08"),
    ("no items", _lines(), "08"),
    ("amount as a string", _set(f"{INVOICE}.total_amount", "40000"), "08"),
    ("amount as a float", _set(f"{INVOICE}.items.0.unit_price", 15000.0), "08"),
    ("another currency", _set(f"{INVOICE}.devise", "EUR"), "08"),
    ("no commande", _drop("commande"), "08"),
    ("no invoice", _drop("commande.invoice"), "08"),
    ("custom_data as a list", _set("commande.custom_data", ["tx-0001"]), "08"),
    ("nested custom_data", _set("commande.custom_data", {"a": {"b": 1}}), "08"),
    ("javascript return_url", _set("commande.actions.return_url", "javascript:alert(1)"), "08"),
    ("relative callback_url", _set("commande.actions.callback_url", "/callback"), "08"),
    ("store name not text", _set("commande.store.name", 12), "08"),
]


@pytest.mark.parametrize(
    ("change", "code"),
    [(change, code) for _, change, code in HOSTED_REFUSALS],
    ids=[name for name, _, _ in HOSTED_REFUSALS],
)
async def test_hosted_payin_refuses_bad_bodies_with_the_documented_code(
    rig: Rig, change: Callable[[dict[str, Any]], None], code: str
) -> None:
    body = payin_body()
    change(body)
    answer = await rig.api.post(HOSTED, body)
    assert refused_with(answer, code)
    assert rig.sandbox.transactions() == []


async def test_a_refusal_echoes_custom_data_and_says_why_in_french(rig: Rig) -> None:
    body = payin_body()
    body["commande"]["invoice"]["total_amount"] = 1
    answer = await rig.api.post(HOSTED, body)
    assert answer["custom_data"] == {"transaction_id": "tx-0001", "order_id": "42"}
    assert answer["description"] == "Données envoyées invalides"


async def test_the_currency_typos_are_not_the_currency_key(rig: Rig) -> None:
    body = payin_body()
    del body["commande"]["invoice"]["devise"]
    body["commande"]["invoice"]["devises"] = "EUR"
    assert (await rig.api.post(HOSTED, body))["response_code"] == "00"


async def test_a_body_that_is_not_json_is_bad_input(rig: Rig) -> None:
    async with rig.session.post(
        rig.api.url(HOSTED), data=b"{not json", headers=API_HEADERS
    ) as response:
        assert refused_with(await response.json(), "08")


# Authentication

API_CALLS: list[tuple[str, str, object]] = [
    ("POST", HOSTED, payin_body()),
    ("POST", DIRECT, payin_body(customer=ORANGE, otp="123456")),
    ("GET", PAYIN_CONFIRM, None),
    ("POST", CLIENT_PAYOUT, payout_body()),
    ("POST", MERCHANT_PAYOUT, payout_body()),
    ("GET", WITHDRAWAL_CONFIRM, None),
    ("GET", STRAIGHT_PAYOUT_CONFIRM, None),
]
BAD_HEADERS = {
    "wrong key": {**API_HEADERS, "Apikey": "sandbox-api-kez"},
    "wrong token": {**API_HEADERS, "Authorization": "Bearer sandbox-api-tokem"},
    "no Bearer scheme": {**API_HEADERS, "Authorization": "sandbox-api-token"},
    "Basic scheme": {**API_HEADERS, "Authorization": "Basic sandbox-api-token"},
    "no headers": {},
}


@pytest.mark.parametrize(("method", "path", "body"), API_CALLS, ids=[c[1] for c in API_CALLS])
@pytest.mark.parametrize("headers", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
async def test_every_endpoint_refuses_bad_credentials_with_code00(
    rig: Rig, method: str, path: str, body: object, headers: dict[str, str]
) -> None:
    async with rig.session.request(
        method, rig.api.url(path), json=body, params={"invoiceToken": "x"}, headers=headers
    ) as response:
        assert response.status == 200
        assert refused_with(await response.json(), "00")
    assert rig.sandbox.transactions() == []


async def test_the_bearer_scheme_and_header_names_are_case_insensitive(rig: Rig) -> None:
    headers = {"APIKEY": API_HEADERS["Apikey"], "authorization": "bearer sandbox-api-token"}
    assert (await rig.api.post(HOSTED, payin_body(), headers=headers))["response_code"] == "00"


async def test_configured_credentials_replace_the_published_ones() -> None:
    config = SandboxConfig(api_key="k-123", api_token="t-456")
    async with open_rig(config) as opened:
        refused = await opened.api.post(HOSTED, payin_body())
        headers = {"Apikey": "k-123", "Authorization": "Bearer t-456"}
        accepted = await opened.api.post(HOSTED, payin_body(), headers=headers)
    assert refused_with(refused, "00")
    assert accepted["response_code"] == "00"


# Direct payin: the magic values

DIRECT_CASES = [
    # (customer, otp, amount, answer code ("00" or sub-code), final status after drain)
    ("orange otp completes", ORANGE, "123456", 40_000, "00", SandboxStatus.COMPLETED),
    ("orange 4-digit otp", ORANGE, "1234", 40_000, "00", SandboxStatus.COMPLETED),
    ("orange declined", ORANGE, "111111", 40_000, "00", SandboxStatus.NOTCOMPLETED),
    ("orange wrong otp", ORANGE, "000000", 40_000, "15", None),
    ("orange expired otp", ORANGE, "999999", 40_000, "16", None),
    ("orange without otp", ORANGE, "", 40_000, "15", None),
    ("orange letters otp", ORANGE, "12ab56", 40_000, "15", None),
    ("orange 3-digit otp", ORANGE, "123", 40_000, "15", None),
    ("orange below 10", ORANGE, "123456", 9, "02", None),
    ("orange minimum", ORANGE, "123456", 10, "00", SandboxStatus.COMPLETED),
    ("moov approves", MOOV, "", 40_000, "00", SandboxStatus.COMPLETED),
    ("moov declines (99)", "22670123499", "", 40_000, "00", SandboxStatus.NOTCOMPLETED),
    ("moov never confirms (98)", "22670123498", "", 40_000, "00", SandboxStatus.PENDING),
    ("moov ignores an otp", MOOV, "123456", 40_000, "00", SandboxStatus.COMPLETED),
    ("moov below 100", MOOV, "", 99, "02", None),
    ("moov minimum", MOOV, "", 100, "00", SandboxStatus.COMPLETED),
    ("telecel not enabled", TELECEL, "123456", 40_000, "07", None),
    ("local number", "70123456", "", 40_000, "08", None),
    ("plus sign", "+22670123456", "", 40_000, "08", None),
]


@pytest.mark.parametrize(
    ("customer", "otp", "amount", "code", "final"),
    [case[1:] for case in DIRECT_CASES],
    ids=[case[0] for case in DIRECT_CASES],
)
async def test_direct_payin_magic_values(
    rig: Rig,
    customer: str,
    otp: str,
    amount: int,
    code: str,
    final: SandboxStatus | None,
) -> None:
    body = payin_body(items=[item("Article", 1, amount)], customer=customer, otp=otp)
    answer = await rig.api.post(DIRECT, body)
    if final is None:
        assert refused_with(answer, code)
        assert rig.sandbox.transactions() == []
        return
    assert answer["response_code"] == "00"
    await rig.sandbox.drain()
    confirm = await rig.api.confirm_payin(answer["token"])
    assert confirm["status"] == final.value
    assert confirm["customer"] == customer


async def test_an_orange_otp_payin_is_final_when_the_answer_arrives(rig: Rig) -> None:
    answer = await rig.api.post(DIRECT, payin_body(customer=ORANGE, otp="123456"))
    confirm = await rig.api.confirm_payin(answer["token"])
    assert (confirm["status"], confirm["operator_name"], confirm["operator_id"]) == (
        "completed",
        "ORANGE BURKINA",
        "11",
    )
    assert answer["response_text"] == ""


async def test_a_moov_payin_stays_pending_until_the_approval_delay() -> None:
    async with open_rig(SandboxConfig(approval_delay=0.3, callback_delay=0.01)) as rig:
        answer = await rig.api.post(DIRECT, payin_body(customer=MOOV))
        assert "Moov" in answer["response_text"]
        pending = await rig.api.confirm_payin(answer["token"])
        assert (pending["status"], pending["operator_name"], pending["operator_id"]) == (
            "pending",
            "MOOV AFRICA BURKINA",
            "12",
        )
        await rig.sandbox.drain()
        assert (await rig.api.confirm_payin(answer["token"]))["status"] == "completed"


async def test_a_wrong_otp_can_be_retried_with_the_right_one(rig: Rig) -> None:
    wrong = await rig.api.post(DIRECT, payin_body(customer=ORANGE, otp="000000"))
    right = await rig.api.post(DIRECT, payin_body(customer=ORANGE, otp="246810"))
    assert refused_with(wrong, "15")
    assert (await rig.api.confirm_payin(right["token"]))["status"] == "completed"


# Payouts

PAYOUTS = [
    pytest.param(CLIENT_PAYOUT, Kind.CLIENT_PAYOUT, id="withdrawal/create"),
    pytest.param(MERCHANT_PAYOUT, Kind.MERCHANT_PAYOUT, id="straight/payout"),
]


@pytest.mark.parametrize(("path", "kind"), PAYOUTS)
@pytest.mark.parametrize(
    ("customer", "final"),
    [
        (MOOV, SandboxStatus.COMPLETED),
        (ORANGE, SandboxStatus.COMPLETED),
        ("22670123499", SandboxStatus.NOTCOMPLETED),
        ("22676123498", SandboxStatus.PENDING),
    ],
    ids=["moov completes", "orange completes", "99 declines", "98 never confirms"],
)
async def test_payout_magic_numbers(
    rig: Rig, path: str, kind: Kind, customer: str, final: SandboxStatus
) -> None:
    answer = await rig.api.post(path, payout_body(customer=customer))
    assert answer["response_code"] == "00"
    assert answer["response_text"] == ""
    assert answer["custom_data"] == {"transaction_id": "refund-0001"}
    tx = rig.sandbox.transaction(answer["token"])
    assert tx is not None
    assert tx.kind is kind
    await rig.sandbox.drain()
    confirm = await rig.api.confirm_payout(answer["token"])
    assert confirm["status"] == final.value
    assert confirm["amount"] == "5000"
    assert confirm["customer"] == customer


async def test_a_payout_is_pending_until_the_payout_delay() -> None:
    async with open_rig(SandboxConfig(payout_delay=0.3, callback_delay=0.01)) as rig:
        token = (await rig.api.post(MERCHANT_PAYOUT, payout_body()))["token"]
        assert (await rig.api.confirm_payout(token))["status"] == "pending"
        await rig.sandbox.drain()
        assert (await rig.api.confirm_payout(token))["status"] == "completed"


PAYOUT_REFUSALS = [
    # (name, body changes, code on withdrawal/create, code on straight/payout)
    ("below 500", {"amount": 499}, "05", "02"),
    ("above 2M", {"amount": 2_000_001}, "05", "02"),
    ("amount as a string", {"amount": "5000"}, "09", "10"),
    ("local number", {"customer": "70123456"}, "09", "10"),
    ("another currency", {"devise": "GHS"}, "09", "10"),
    ("callback not a URL", {"callback_url": "ftp://x"}, "09", "10"),
]


@pytest.mark.parametrize(
    ("changes", "client_code", "merchant_code"),
    [case[1:] for case in PAYOUT_REFUSALS],
    ids=[case[0] for case in PAYOUT_REFUSALS],
)
async def test_payouts_refuse_with_their_own_codes(
    rig: Rig, changes: dict[str, object], client_code: str, merchant_code: str
) -> None:
    for path, code in ((CLIENT_PAYOUT, client_code), (MERCHANT_PAYOUT, merchant_code)):
        body = payout_body()
        body["commande"].update(changes)
        assert refused_with(await rig.api.post(path, body), code), path
    assert rig.sandbox.transactions() == []


@pytest.mark.parametrize("top_up_wallet", [None, 2, "1", True], ids=["missing", "2", "str", "bool"])
async def test_withdrawal_needs_top_up_wallet_0_or_1(rig: Rig, top_up_wallet: object) -> None:
    body = payout_body(top_up_wallet=None)
    if top_up_wallet is not None:
        body["commande"]["top_up_wallet"] = top_up_wallet
    assert refused_with(await rig.api.post(CLIENT_PAYOUT, body), "09")
    ok = await rig.api.post(CLIENT_PAYOUT, payout_body(top_up_wallet=1))
    assert (await rig.api.confirm_payout(ok["token"]))["top_up_wallet"] == 1


async def test_merchant_payout_needs_a_known_operator(rig: Rig) -> None:
    refused = await rig.api.post(MERCHANT_PAYOUT, payout_body(customer=TELECEL))
    wallet = await rig.api.post(CLIENT_PAYOUT, payout_body(customer=TELECEL))
    assert refused_with(refused, "05")
    assert wallet["response_code"] == "00"


async def test_payouts_above_the_balance_are_refused(rig: Rig) -> None:
    rig.sandbox.set_balance(4_999)
    client = await rig.api.post(CLIENT_PAYOUT, payout_body(amount=5_000))
    merchant = await rig.api.post(MERCHANT_PAYOUT, payout_body(amount=5_000))
    assert refused_with(client, "04")
    assert refused_with(merchant, "08")


async def test_the_balance_follows_payins_and_payouts(rig: Rig) -> None:
    start = rig.sandbox.balance
    assert start == 10_000_000
    await rig.api.post(MERCHANT_PAYOUT, payout_body(amount=5_000))
    assert rig.sandbox.balance == start - 5_000
    await rig.api.post(MERCHANT_PAYOUT, payout_body(amount=7_000, customer="22670123499"))
    await rig.api.post(DIRECT, payin_body(customer=ORANGE, otp="123456"))
    await rig.sandbox.drain()
    assert rig.sandbox.balance == start - 5_000 + 40_000


@pytest.mark.parametrize(
    ("path", "param"),
    [(WITHDRAWAL_CONFIRM, "withdrawalToken"), (STRAIGHT_PAYOUT_CONFIRM, "payoutToken")],
)
async def test_both_payout_confirm_paths_answer_for_both_payout_kinds(
    rig: Rig, path: str, param: str
) -> None:
    for create in (CLIENT_PAYOUT, MERCHANT_PAYOUT):
        token = (await rig.api.post(create, payout_body()))["token"]
        confirm = await rig.api.get(path, {param: token})
        assert (confirm["response_code"], confirm["token"]) == ("00", token)
        assert confirm["transaction_id"] == "refund-0001"


async def test_confirm_refuses_unknown_crossed_and_missing_tokens(rig: Rig) -> None:
    payin = (await rig.api.post(HOSTED, payin_body()))["token"]
    payout = (await rig.api.post(CLIENT_PAYOUT, payout_body()))["token"]
    assert refused_with(await rig.api.confirm_payin(payout), "02")
    assert refused_with(await rig.api.confirm_payout(payin), "02")
    assert refused_with(await rig.api.confirm_payin(payin[:-2] + "xx"), "02")
    assert refused_with(await rig.api.get(PAYIN_CONFIRM, {}), "04")
    assert refused_with(await rig.api.get(WITHDRAWAL_CONFIRM, {"withdrawalToken": ""}), "04")


async def test_the_hanging_payout_is_recorded_and_completes_although_unanswered() -> None:
    async with open_rig(FAST) as rig:
        body = payout_body(customer="22670123497")
        with pytest.raises(TimeoutError):
            async with rig.session.post(
                rig.api.url(MERCHANT_PAYOUT),
                json=body,
                headers=API_HEADERS,
                timeout=aiohttp.ClientTimeout(total=0.2),
            ):
                pytest.fail("the magic 97 number must not be answered")
        [tx] = rig.sandbox.transactions()
        await rig.sandbox.drain()
        assert (await rig.api.confirm_payout(tx.token))["status"] == "completed"
        assert rig.sandbox.request_count("merchant_payout") == 1


async def test_the_hanging_payout_is_answered_after_hang_seconds() -> None:
    config = SandboxConfig(payout_delay=0.01, callback_delay=0.01, hang_seconds=0.05)
    async with open_rig(config) as rig:
        answer = await rig.api.post(CLIENT_PAYOUT, payout_body(customer="22670123497"))
    assert answer["response_code"] == "00"


# Tokens


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


async def test_tokens_look_like_ligdicash_jwts_and_never_repeat(rig: Rig) -> None:
    tokens = [(await rig.api.post(HOSTED, payin_body()))["token"] for _ in range(40)]
    tokens += [(await rig.api.post(CLIENT_PAYOUT, payout_body()))["token"] for _ in range(10)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert 200 <= len(token) <= 400
        header, claims, signature = token.split(".")
        assert json.loads(_b64(header)) == {"typ": "JWT", "alg": "HS256"}
        assert len(_b64(signature)) == 32
        assert re.fullmatch(r"[0-9a-f]{32}", json.loads(_b64(claims))["jti"])


async def test_tokens_of_two_sandboxes_differ_even_when_requests_match() -> None:
    async with open_rig() as first, open_rig() as second:
        a = (await first.api.post(HOSTED, payin_body()))["token"]
        b = (await second.api.post(HOSTED, payin_body()))["token"]
        assert a.split(".")[2] != b.split(".")[2]
        assert refused_with(await first.api.confirm_payin(b), "02")


# Mounting and counters


async def test_the_sandbox_mounts_under_a_prefix_of_another_app() -> None:
    sandbox = Sandbox(FAST)
    parent = web.Application()
    parent.add_subapp("/sandbox", sandbox.app)
    async with TestServer(parent, host="127.0.0.1") as server, aiohttp.ClientSession() as session:
        api = Api(session, server.make_url("/sandbox/"))
        answer = await api.post(HOSTED, payin_body())
        assert answer["response_text"].startswith(str(server.make_url("/sandbox/checkout/")))
        async with session.get(answer["response_text"]) as page:
            assert page.status == 200
    assert sandbox.transaction(answer["token"]) is not None


async def test_a_configured_public_url_builds_the_payment_url() -> None:
    config = SandboxConfig(public_url="https://pay.example.bf/sandbox/", callback_delay=0.01)
    async with open_rig(config) as rig:
        answer = await rig.api.post(HOSTED, payin_body())
    assert answer["response_text"].startswith("https://pay.example.bf/sandbox/checkout/")


async def test_requests_are_counted_per_endpoint(rig: Rig) -> None:
    token = (await rig.api.post(HOSTED, payin_body()))["token"]
    await rig.api.confirm_payin(token)
    await rig.api.confirm_payin(token)
    payout = (await rig.api.post(CLIENT_PAYOUT, payout_body()))["token"]
    await rig.api.get(WITHDRAWAL_CONFIRM, {"withdrawalToken": payout})
    await rig.api.get(STRAIGHT_PAYOUT_CONFIRM, {"payoutToken": payout})
    counts = rig.sandbox.request_counts()
    assert counts == {
        "hosted_payin": 1,
        "direct_payin": 0,
        "payin_confirm": 2,
        "client_payout": 1,
        "merchant_payout": 0,
        "payout_confirm": 2,
        "checkout_page": 0,
    }
    rig.sandbox.reset_counts()
    assert rig.sandbox.request_count("payin_confirm") == 0
