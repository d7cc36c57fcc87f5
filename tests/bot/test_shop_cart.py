"""The cart: lines, totals, changing quantities, removing, emptying, and surviving a restart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import Runtime, Tuning, running
from bot.demo import seed_demo_catalog
from bot.emulator import ChatMessage, TelegramEmulator
from bot.i18n import money
from bot.messages import shop as say
from bot.messages.shop import TEXT
from bot.settings import Settings
from storage import audit
from storage.models import Product
from tests.bot.shop_support import Shopper, button_for, named, shop_errors, text


@pytest.fixture(autouse=True)
def _every_update_is_handled(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    assert shop_errors(caplog) == []


async def cart_of(bot: Runtime, shopper: Shopper, *items: tuple[Product, int]) -> ChatMessage:
    """Fill the shopper's cart through the store, then open it with /cart."""
    await bot.stores.customers.seen(shopper.id, first_name="Awa", language="fr")
    for product, quantity in items:
        await bot.stores.carts.add(shopper.id, product.id, quantity)
    return await shopper.say("/cart", expect="Votre panier")


def line(product: Product, quantity: int) -> str:
    """How a cart line reads."""
    return (
        f"{product.name}\n     {quantity} × {money(product.price, 'fr')}"
        f" = {money(product.price * quantity, 'fr')}"
    )


async def quantities(bot: Runtime, shopper: Shopper) -> dict[str, int]:
    cart = await bot.stores.carts.get(shopper.id)
    return {item.product.name: item.quantity for item in cart.lines}


async def test_the_cart_lists_lines_subtotals_the_total_and_a_checkout_button(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel, cafe = named(catalog, "Miel"), named(catalog, "Café")
    awa = Shopper.create(emulator)
    view = await cart_of(bot, awa, (miel, 2), (cafe, 1))
    assert f"1. {line(miel, 2)}" in view.content
    assert f"2. {line(cafe, 1)}" in view.content
    assert text("fr", "cart_total", total=money(8500, "fr")) in view.content
    checkout = view.button(f"✅ Commander ({money(8500, 'fr')})")
    assert checkout["callback_data"] == "co:start"
    assert "🛍 Continuer mes achats" in view.button_texts()


async def test_plus_minus_and_remove_change_the_line_in_place(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel, cafe = named(catalog, "Miel"), named(catalog, "Café")
    awa = Shopper.create(emulator)
    view = await cart_of(bot, awa, (miel, 2), (cafe, 1))
    view, _ = await awa.tap(view, data=f"{say.CART_SET}{miel.id}:3", expect=line(miel, 3))
    view, _ = await awa.tap(view, data=f"{say.CART_SET}{miel.id}:2", expect=line(miel, 2))
    view, answer = await awa.tap(view, data=f"{say.CART_SET}{cafe.id}:0", expect=money(7000, "fr"))
    assert answer.text == TEXT("fr", "line_removed", name=cafe.name)
    assert cafe.name not in view.content
    assert await quantities(bot, awa) == {miel.name: 2}
    view, _ = await awa.tap(view, data=f"{say.CART_SET}{miel.id}:1", expect=line(miel, 1))
    emptied, _ = await awa.tap(
        view, data=f"{say.CART_SET}{miel.id}:0", expect=text("fr", "cart_empty")
    )
    assert emptied.message_id == view.message_id
    assert await quantities(bot, awa) == {}


async def test_plus_beyond_the_stock_is_refused_and_the_cart_kept(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    chapeau = named(catalog, "Chapeau")  # 5 in stock
    awa = Shopper.create(emulator)
    view = await cart_of(bot, awa, (chapeau, 5))
    answer = await awa.tap_for_answer(view, data=f"{say.CART_SET}{chapeau.id}:6")
    assert answer.text == TEXT("fr", "quantity_max_stock", count=5)
    assert answer.show_alert
    assert await quantities(bot, awa) == {chapeau.name: 5}


async def test_lines_the_shop_can_no_longer_supply_are_flagged_and_can_be_lowered(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    chapeau, pagne = named(catalog, "Chapeau"), named(catalog, "Pagne")
    awa = Shopper.create(emulator)
    await bot.stores.customers.seen(awa.id, first_name="Awa", language="fr")
    await bot.stores.carts.add(awa.id, chapeau.id, 4)
    await bot.stores.carts.add(awa.id, pagne.id, 1)
    await bot.stores.products.update(chapeau.id, stock=2, actor=audit.SYSTEM)
    await bot.stores.products.update(pagne.id, active=False, actor=audit.SYSTEM)
    view = await awa.say("/cart", expect="Votre panier")
    assert text("fr", "cart_line_short", stock=2) in view.content
    assert text("fr", "cart_line_gone") in view.content
    # Lowering toward what is left is always allowed, even while still above it.
    await awa.tap(view, data=f"{say.CART_SET}{chapeau.id}:3", expect=line(chapeau, 3))
    refused = await awa.tap_for_answer(view, data=f"{say.CART_SET}{pagne.id}:2")
    assert refused.text == TEXT("fr", "sold_out")


async def test_emptying_the_cart_asks_first(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel = named(catalog, "Miel")
    awa = Shopper.create(emulator)
    view = await cart_of(bot, awa, (miel, 3))
    ask, _ = await awa.tap(
        view, text="🗑 Vider le panier", expect=TEXT("fr", "confirm_empty", count=3)
    )
    kept, _ = await awa.tap(ask, text="◀ Non, garder", expect=line(miel, 3))
    ask, _ = await awa.tap(
        kept, text="🗑 Vider le panier", expect=TEXT("fr", "confirm_empty", count=3)
    )
    done, answer = await awa.tap(ask, text="🗑 Oui, vider", expect=text("fr", "cart_empty"))
    assert answer.text == TEXT("fr", "cart_emptied")
    assert done.message_id == view.message_id
    assert (await bot.stores.carts.get(awa.id)).is_empty


async def test_an_empty_cart_points_to_the_catalog(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    awa = Shopper.create(emulator)
    view = await awa.say("/cart", expect=text("fr", "cart_empty"))
    shelves, _ = await awa.tap(view, text="🛍 Catalogue", expect=text("fr", "categories"))
    assert shelves.message_id == view.message_id


async def test_a_button_for_a_line_already_gone_shows_the_cart_as_it_is(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel = named(catalog, "Miel")
    awa = Shopper.create(emulator)
    view = await cart_of(bot, awa, (miel, 2))
    await bot.stores.carts.clear(awa.id)
    shown, answer = await awa.tap(
        view, data=f"{say.CART_SET}{miel.id}:3", expect=text("fr", "cart_empty")
    )
    assert answer.text == TEXT("fr", "stale_button")
    assert shown.message_id == view.message_id
    assert (await bot.stores.carts.get(awa.id)).is_empty


async def test_the_cart_survives_a_restart(
    bot_settings: Settings, tuning: Tuning, emulator: TelegramEmulator
) -> None:
    awa = Shopper.create(emulator)
    async with running(bot_settings, tuning) as first:
        catalog = await seed_demo_catalog(first.stores)
        miel = named(catalog, "Miel")
        card = await awa.say(f"/start p_{miel.id}", expect=miel.name)
        card, _ = await awa.tap(card, text="➕", expect="Quantité : 2")
        await awa.tap(card, data=button_for(card, say.ADD), expect=TEXT("fr", "in_cart", count=2))
    async with running(bot_settings, tuning):
        view = await awa.say("/cart", expect="Votre panier")
        assert line(miel, 2) in view.content


async def test_the_cart_speaks_english_to_an_english_customer(
    bot: Runtime, emulator: TelegramEmulator, catalog: list[Product]
) -> None:
    miel = named(catalog, "Miel")
    john = Shopper.create(emulator, "John", language_code="en")
    await john.say("/start", expect="Welcome")
    await bot.stores.carts.add(john.id, miel.id, 2)
    view = await john.say("/cart", expect="Your cart")
    assert text("en", "cart_total", total=money(7000, "en")) in view.content
    assert f"✅ Checkout ({money(7000, 'en')})" in view.button_texts()
