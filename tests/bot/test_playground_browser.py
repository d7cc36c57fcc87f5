"""The playground page in a real headless Chromium: buy three ways, then refund as the admin.

Each test runs a whole playground (bot, emulator, sandbox, page) and drives the page the way a
person would: typing, pressing inline and keyboard buttons, sharing a number, paying on the
sandbox's payment page in a new tab. A screenshot of each end state lands in tests/artifacts/.

Needs Debian's `chromium` package and the `playwright` Python package (Playwright's own browser
download is not used); the tests skip only when no Chromium binary can be found.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, Locator, Page, async_playwright, expect

from bot.playground import ADMIN_ID, Playground, PlaygroundOptions, open_playground
from bot.playground.cast import DEFAULT_CAST
from storage.models import OrderState
from tests.bot.conftest import FAST_SANDBOX

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REFERENCE = re.compile(r"LB-[A-Z0-9]{6}")
WAIT_MS = 10_000


def find_chromium() -> str | None:
    """Debian's Chromium (or $CHROMIUM), if installed."""
    candidates = (
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    )
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium binary found (install Debian's `chromium` package or set $CHROMIUM):"
        " the playground's browser tests need one",
    ),
    pytest.mark.slow,
    # One event loop for the module, so one Chromium serves every test (it takes 2 s to start).
    pytest.mark.asyncio(loop_scope="module"),
]


@pytest_asyncio.fixture(loop_scope="module")
async def playground(tmp_path: Path) -> AsyncIterator[Playground]:
    """A running playground with a fast sandbox."""
    options = PlaygroundOptions(
        port=0,
        keep=tmp_path / "playground.sqlite3",
        sandbox=FAST_SANDBOX,
        reconcile_tick=0.1,
        audit_poll_seconds=0.1,
    )
    async with open_playground(options) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chromium(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BrowserContext]:
    """Headless Chromium with a throwaway profile, shared by the module's tests."""
    assert CHROMIUM is not None
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        context.set_default_timeout(WAIT_MS)
        yield context
        await context.close()


@pytest_asyncio.fixture(loop_scope="module")
async def browser(chromium: BrowserContext) -> AsyncIterator[BrowserContext]:
    """The shared browser; the tabs a test opened are closed after it."""
    before = set(chromium.pages)
    yield chromium
    for page in chromium.pages:
        if page not in before:
            await page.close()


class ChatPage:
    """The playground page, used the way a person uses it."""

    def __init__(self, page: Page) -> None:
        self.page = page

    @classmethod
    async def open(cls, browser: BrowserContext, playground: Playground, person: int) -> ChatPage:
        """Open the page on someone's chat and wait for the live stream."""
        page = await browser.new_page()
        await page.goto(f"{playground.page_url}#chat={person}")
        await expect(page.locator("#live")).to_have_attribute("data-live", "yes")
        return cls(page)

    async def speak_as(self, name: str) -> None:
        """Switch to someone's chat in the sidebar."""
        await self.page.locator(".person", has_text=name).click()
        await expect(self.page.locator(".person.active")).to_contain_text(name)

    async def say(self, text: str) -> None:
        """Type a message and press Enter."""
        await self.page.locator("#text").fill(text)
        await self.page.locator("#text").press("Enter")

    async def sees(self, text: str) -> Locator:
        """The latest bot message showing `text`, once it is there."""
        message = self.page.locator(".msg.from-bot", has_text=text).last
        await expect(message).to_be_visible()
        return message

    async def tap(self, text: str, *, exact: bool = False) -> None:
        """Press the latest inline button showing `text`."""
        buttons = self.page.locator(".msg.from-bot .inline-button")
        if exact:
            button = buttons.filter(has_text=re.compile(f"^{re.escape(text)}$")).last
        else:
            button = buttons.filter(has_text=text).last
        await button.click()

    async def key(self, text: str) -> None:
        """Press a button of the bot's reply keyboard."""
        await self.page.locator("#reply-keyboard .reply-button", has_text=text).click()

    async def share_number(self, number: str | None = None) -> None:
        """Share a contact from the dialog (the persona's own number unless `number`)."""
        dialog = self.page.locator("#contact-dialog")
        await expect(dialog).to_be_visible()
        if number is not None:
            await dialog.locator(".phone-choice", has_text=number).click()
        await dialog.locator("#contact-share").click()
        await expect(dialog).to_be_hidden()

    async def hood_shows(self, source: str, text: str) -> None:
        """The "under the hood" panel has a line from `source` containing `text`."""
        line = self.page.locator(f"#hood-lines .line.source-{source}", has_text=text).first
        await expect(line).to_be_attached()

    async def cart_then_checkout(self, category: str, product: str, lang: str = "fr") -> None:
        """From the menu: put one product in the cart and go to the payment choice."""
        words = {
            "fr": (
                "Catalogue",
                "Ajouter au panier",
                "Voir le panier",
                "Commander",
                "Oui",
                "Passer",
            ),
            "en": ("Catalog", "Add to cart", "View cart", "Checkout", "Yes", "Skip"),
        }[lang]
        catalog, add, view, order, yes, skip = words
        await self.tap(catalog)
        await self.tap(category)
        await self.tap(product)
        await self.tap(add)
        # The bot's answer to the press shows as a toast, as on a phone.
        await expect(self.page.locator("#toast")).to_contain_text(product)
        await self.tap(view)
        await self.tap(order)
        await self.tap(yes)
        await self.tap(skip)

    async def screenshot(self, name: str) -> None:
        """Save the page as tests/artifacts/<name>.png."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


async def reference_in(message: Locator) -> str:
    """The order reference a message shows."""
    found = REFERENCE.search(await message.inner_text())
    assert found is not None
    return found.group(0)


async def test_a_customer_buys_with_the_payment_link_and_pays_on_the_sandbox_page(
    playground: Playground, browser: BrowserContext
) -> None:
    awa = DEFAULT_CAST[1][0]
    chat = await ChatPage.open(browser, playground, awa)
    await chat.say("/start")
    await chat.sees("Bienvenue")
    await chat.cart_then_checkout("Alimentation", "Miel du Sahel")
    reference = await reference_in(await chat.sees("Comment voulez-vous payer"))
    await chat.tap("Lien de paiement")
    status = await chat.sees("Vérifier le paiement")
    pay_button = status.locator("a.url-button")
    await expect(pay_button).to_have_attribute("target", "_blank")

    async with browser.expect_page() as opened:
        await pay_button.click()
    payment_page = await opened.value
    await expect(payment_page.get_by_text("Sandbox Ligdicash")).to_be_visible()
    await expect(payment_page.locator("tfoot")).to_contain_text("3 500")
    await payment_page.get_by_label("Orange Money").check()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await payment_page.screenshot(path=str(ARTIFACTS / "playground-link-payment-page.png"))
    await payment_page.get_by_role("button", name="Payer").click()
    await expect(payment_page.get_by_text("Merci")).to_be_visible()
    await payment_page.close()

    await chat.sees("Paiement reçu")
    await chat.sees("Reçu — commande")
    await chat.hood_shows("ligdicash", "callback (completed)")
    await chat.hood_shows("state", f"order {reference}: awaiting_payment → paid")
    await chat.screenshot("playground-link-paid")
    order = await playground.runtime.stores.orders.by_reference(reference)
    assert order is not None
    assert order.state is OrderState.PAID


async def test_a_customer_pays_with_orange_after_a_wrong_otp(
    playground: Playground, browser: BrowserContext
) -> None:
    john = DEFAULT_CAST[3][0]
    chat = await ChatPage.open(browser, playground, john)
    await chat.say("/start")
    await chat.sees("Welcome")
    await chat.cart_then_checkout("Alimentation", "Café Touba", lang="en")
    reference = await reference_in(await chat.sees("How would you like to pay"))
    await chat.tap("Orange Money")
    await chat.key("Share my number")
    await chat.share_number()
    await chat.sees("*144*4*6*1500#")
    await expect(chat.page.locator("#reply-keyboard")).to_be_hidden()

    for _ in range(6):
        await chat.tap("0", exact=True)
    await chat.sees("●●●●●●")
    await chat.tap("✅", exact=True)
    await chat.sees("Wrong code")
    await chat.say("123456")

    await chat.sees("Payment received")
    await chat.sees("Receipt — order")
    await chat.hood_shows("ligdicash", "direct_payin")
    await chat.screenshot("playground-otp-paid")
    # A page opened afterwards, on a phone-sized screen, shows the same chat from the snapshot.
    phone = await browser.new_page()
    await phone.set_viewport_size({"width": 390, "height": 844})
    await phone.goto(f"{playground.page_url}#chat={john}")
    await expect(phone.locator(".msg.from-bot", has_text="Receipt — order").last).to_be_visible()
    await expect(phone.locator("#people")).not_to_be_in_viewport()
    await expect(phone.locator("#hood")).not_to_be_in_viewport()
    await ChatPage(phone).screenshot("playground-otp-paid-phone")
    order = await playground.runtime.stores.orders.by_reference(reference)
    assert order is not None
    assert order.state is OrderState.PAID
    payins = await playground.runtime.stores.payins.for_order(order.id)
    assert [payin.state.value for payin in payins] == ["failed", "completed"]


async def test_the_admin_refunds_a_moov_payment_and_sees_the_chart_and_the_csv(
    playground: Playground, browser: BrowserContext
) -> None:
    moussa = DEFAULT_CAST[2][0]
    chat = await ChatPage.open(browser, playground, moussa)
    await chat.say("/start")
    await chat.sees("Bienvenue")
    await chat.cart_then_checkout("Artisanat", "Chapeau de Saponé")
    reference = await reference_in(await chat.sees("Comment voulez-vous payer"))
    await chat.tap("Moov Money")
    await chat.key("Partager mon numéro")
    await chat.share_number("22670123456")
    await chat.sees("Confirmez le paiement sur votre téléphone")
    await chat.sees("Reçu — commande")

    await chat.speak_as("Admin")
    await chat.sees(f"{reference} payée")
    await chat.say(f"/refund {reference}")
    review = await chat.sees(f"Remboursement de la commande {reference}")
    await expect(review).to_contain_text("226 70 XX XX 56")
    await chat.tap("Envoyer")
    await chat.sees("Paiement sortant effectué")
    await chat.hood_shows("ligdicash", "merchant_payout")
    await chat.say("/stats")
    chart = chat.page.locator(".msg.from-bot img.photo").last
    await expect(chart).to_be_visible()
    assert await chart.evaluate("img => img.complete && img.naturalWidth > 0")
    await chat.say("/export")
    document = chat.page.locator(".msg.from-bot a.document", has_text="orders_").last
    await expect(document).to_be_visible()
    async with chat.page.expect_download() as download:
        await document.click()
    saved = Path(await (await download.value).path())
    csv = await asyncio.to_thread(saved.read_text, encoding="utf-8")
    assert reference in csv
    await chat.screenshot("playground-admin-refund")

    await chat.speak_as("Moussa")
    await chat.sees("est arrivé")
    await chat.screenshot("playground-refund-customer")
    order = await playground.runtime.stores.orders.by_reference(reference)
    assert order is not None
    assert order.state is OrderState.REFUNDED
    assert playground.runtime.settings.admin_ids == (ADMIN_ID,)


async def test_bot_formatting_is_rendered_safely_and_edits_and_deletions_apply_in_place(
    playground: Playground, browser: BrowserContext
) -> None:
    awa = DEFAULT_CAST[1][0]
    bot = playground.runtime.application.bot
    chat = await ChatPage.open(browser, playground, awa)
    sent = await bot.send_message(
        awa,
        '<b>Gras</b> <i>italique</i> <code>code</code> <a href="https://example.com/x">lien</a>'
        " <tg-spoiler>secret</tg-spoiler> &lt;script&gt;alert(1)&lt;/script&gt; /aide",
        parse_mode="HTML",
    )
    bubble = chat.page.locator(f'[data-message-id="{sent.message_id}"] .bubble')
    await expect(bubble.locator("strong")).to_have_text("Gras")
    await expect(bubble.locator("em")).to_have_text("italique")
    await expect(bubble.locator("code")).to_have_text("code")
    link = bubble.locator("a", has_text="lien")
    await expect(link).to_have_attribute("href", "https://example.com/x")
    await expect(link).to_have_attribute("target", "_blank")
    await expect(bubble.locator(".spoiler")).to_have_text("secret")
    await expect(bubble).to_contain_text("<script>alert(1)</script>")
    await expect(bubble.locator("script")).to_have_count(0)
    await expect(bubble.locator("a.command")).to_have_text("/aide")

    await bot.edit_message_text(
        "<b>Modifié</b>", chat_id=awa, message_id=sent.message_id, parse_mode="HTML"
    )
    await expect(bubble.locator("strong")).to_have_text("Modifié")
    await expect(bubble.locator(".edited")).to_be_visible()
    await expect(chat.page.locator(f'[data-message-id="{sent.message_id}"]')).to_have_count(1)

    await bot.delete_message(awa, sent.message_id)
    await expect(chat.page.locator(f'[data-message-id="{sent.message_id}"]')).to_have_count(0)
