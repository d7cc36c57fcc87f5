"""The hosted payment page: what a person sees, and what Pay and Cancel do."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from payments.sandbox import SandboxStatus
from payments.sandbox.page import format_xof
from tests.payments.sandbox_harness import HOSTED, Rig, item, open_rig, payin_body

RETURN = "https://boutique.example/retour?order=42"
CANCEL = "https://boutique.example/annule"


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with open_rig() as opened:
        yield opened


def readable(text: str) -> str:
    """Babel separates thousands with narrow no-break spaces: compare with plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


async def open_payin(rig: Rig, **changes: object) -> tuple[str, str]:
    """Create a hosted payin; return its token and payment URL."""
    body = payin_body(return_url=RETURN, cancel_url=CANCEL)
    body["commande"]["invoice"].update(changes)
    answer = await rig.api.post(HOSTED, body)
    return answer["token"], answer["response_text"]


async def get_page(rig: Rig, url: str) -> tuple[int, str]:
    async with rig.session.get(url) as response:
        assert response.content_type == "text/html"
        return response.status, await response.text()


async def submit(rig: Rig, url: str, **form: str) -> tuple[int, str, str]:
    """POST the page's form without following the redirect: status, Location, body."""
    async with rig.session.post(url, data=form, allow_redirects=False) as response:
        return response.status, response.headers.get("Location", ""), await response.text()


def test_amounts_read_like_in_burkina_faso() -> None:
    assert readable(format_xof(40_000)) == "40 000 F CFA"
    assert readable(format_xof(1_500_000)) == "1 500 000 F CFA"


async def test_the_page_shows_store_items_total_and_both_operators(rig: Rig) -> None:
    _, url = await open_payin(rig)
    status, page = await get_page(rig, url)
    text = readable(page)
    assert status == 200
    assert '<html lang="fr">' in page
    assert 'name="viewport"' in page
    assert "Boutique Wend-Kuuni" in page
    assert "Sac de riz 25 kg" in page
    assert "2 × 15 000 F CFA" in text
    assert "Huile 5 L" in page
    assert "Payer 40 000 F CFA" in text
    assert 'value="orange"' in page
    assert 'value="moov"' in page
    assert 'value="cancel"' in page
    assert rig.sandbox.request_count("checkout_page") == 1


async def test_the_page_escapes_everything_the_merchant_sent(rig: Rig) -> None:
    evil = '<script>alert("x")</script>'
    body = payin_body(
        items=[item(evil, 1, 1_000), item("Pack $total & ${rows}", 1, 500)],
        store_name=f"<b>{evil}</b>",
        return_url=RETURN,
    )
    body["commande"]["invoice"]["description"] = evil
    body["commande"]["invoice"]["items"][0]["description"] = '"><img src=x onerror=alert(1)>'
    answer = await rig.api.post(HOSTED, body)
    _, page = await get_page(rig, answer["response_text"])
    assert "<script>" not in page
    assert "<img" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "Pack $total &amp; ${rows}" in page


async def test_pay_completes_the_payin_and_redirects_to_return_url(rig: Rig) -> None:
    token, url = await open_payin(rig)
    status, location, _ = await submit(rig, url, action="pay", operator="moov")
    assert (status, location) == (303, RETURN)
    confirm = await rig.api.confirm_payin(token)
    assert (confirm["status"], confirm["operator_name"]) == ("completed", "MOOV AFRICA BURKINA")


async def test_cancel_ends_the_payin_and_redirects_to_cancel_url(rig: Rig) -> None:
    token, url = await open_payin(rig)
    status, location, _ = await submit(rig, url, action="cancel")
    assert (status, location) == (303, CANCEL)
    assert (await rig.api.confirm_payin(token))["status"] == "notcompleted"


@pytest.mark.parametrize(
    ("action", "heading"),
    [("pay", "Paiement effectué"), ("cancel", "Paiement non effectué")],
)
async def test_without_return_urls_the_page_says_to_go_back_to_the_app(
    rig: Rig, action: str, heading: str
) -> None:
    answer = await rig.api.post(HOSTED, payin_body())
    status, location, page = await submit(
        rig, answer["response_text"], action=action, operator="orange"
    )
    assert (status, location) == (200, "")
    assert heading in page
    assert "retourner dans l&#x27;application" in page


async def test_a_final_payin_shows_its_status_instead_of_the_buttons(rig: Rig) -> None:
    token, url = await open_payin(rig)
    await rig.sandbox.pay(token, "orange")
    _, page = await get_page(rig, url)
    assert "Paiement effectué" in page
    assert "<form" not in page
    assert f'href="{RETURN}"' in page


async def test_paying_a_cancelled_payin_changes_nothing(rig: Rig) -> None:
    token, url = await open_payin(rig)
    await submit(rig, url, action="cancel")
    status, location, _ = await submit(rig, url, action="pay", operator="orange")
    assert (status, location) == (303, CANCEL)
    tx = rig.sandbox.transaction(token)
    assert tx is not None
    assert tx.status is SandboxStatus.NOTCOMPLETED


async def test_an_operator_below_its_minimum_is_disabled_and_refused(rig: Rig) -> None:
    body = payin_body(items=[item("Bonbon", 1, 50)], return_url=RETURN)
    answer = await rig.api.post(HOSTED, body)
    _, page = await get_page(rig, answer["response_text"])
    assert 'value="moov" required disabled' in page
    assert "minimum 100 F CFA" in readable(page)
    status, _, refused_page = await submit(
        rig, answer["response_text"], action="pay", operator="moov"
    )
    assert status == 400
    assert "Moov Money accepte les paiements à partir de 100 F CFA" in readable(refused_page)
    assert (await rig.api.confirm_payin(answer["token"]))["status"] == "pending"
    with pytest.raises(ValueError, match="Moov"):
        await rig.sandbox.pay(answer["token"], "moov")


@pytest.mark.parametrize(
    "form",
    [{"action": "pay"}, {"action": "pay", "operator": "telecel"}, {"action": "refund"}],
    ids=["no operator", "unknown operator", "unknown action"],
)
async def test_an_incomplete_form_is_shown_again_with_an_error(
    rig: Rig, form: dict[str, str]
) -> None:
    token, url = await open_payin(rig)
    status, _, page = await submit(rig, url, **form)
    assert status == 400
    assert 'class="error"' in page
    assert (await rig.api.confirm_payin(token))["status"] == "pending"


async def test_an_unknown_payment_link_is_not_found(rig: Rig) -> None:
    status, page = await get_page(rig, str(rig.api.root / "checkout" / "nope"))
    assert status == 404
    assert "Facture introuvable" in page
    async with rig.session.post(
        rig.api.root / "checkout" / "nope", data={"action": "pay"}
    ) as response:
        assert response.status == 404
