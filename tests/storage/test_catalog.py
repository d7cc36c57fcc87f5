"""Catalog, cart and customer rules."""

from __future__ import annotations

import json

import pytest

from storage import Stores
from storage.models import NewMessage, RestockSubscriber
from tests.storage.shop import ADMIN_ACTOR, ManualClock, order, product


def restock_message(subscriber: RestockSubscriber) -> NewMessage:
    """Build the restock message the bot would send."""
    return NewMessage(
        chat_id=subscriber.customer_id,
        kind="restock",
        payload=json.dumps({"product": subscriber.product.id, "lang": subscriber.language}),
        dedup_key=f"restock:{subscriber.product.id}:{subscriber.customer_id}",
    )


async def test_categories_are_listed_in_display_order(stores: Stores) -> None:
    drinks = await stores.products.add_category("Boissons", position=2, actor=ADMIN_ACTOR)
    food = await stores.products.add_category("Plats", position=1, actor=ADMIN_ACTOR)
    hidden = await stores.products.add_category("Old", actor=ADMIN_ACTOR)
    await stores.products.update_category(hidden.id, active=False, actor=ADMIN_ACTOR)
    assert [c.id for c in await stores.products.categories()] == [food.id, drinks.id]
    assert len(await stores.products.categories(include_hidden=True)) == 3
    renamed = await stores.products.update_category(drinks.id, name="Jus", actor=ADMIN_ACTOR)
    assert renamed is not None
    assert renamed.name == "Jus"
    assert await stores.products.get_category(food.id) == food
    assert await stores.products.delete_category(food.id, actor=ADMIN_ACTOR)
    assert await stores.products.get_category(food.id) is None


async def test_products_are_paged_within_their_category(stores: Stores) -> None:
    shelf = await stores.products.add_category("Tissus", actor=ADMIN_ACTOR)
    made = [
        await stores.products.add(
            name=f"Pagne {n}", price=1000 + n, category_id=shelf.id, position=n, actor=ADMIN_ACTOR
        )
        for n in range(5)
    ]
    await product(stores)
    await stores.products.update(made[0].id, active=False, actor=ADMIN_ACTOR)
    page = await stores.products.page(shelf.id, offset=1, limit=2)
    assert page.total == 4
    assert [p.id for p in page.products] == [made[2].id, made[3].id]
    assert (await stores.products.page(include_hidden=True)).total == 6


async def test_update_keeps_fields_not_named(stores: Stores) -> None:
    item = await stores.products.add(
        name="Sac", price=3000, description="cuir", stock=4, actor=ADMIN_ACTOR
    )
    changed = await stores.products.update(
        item.id, price=3500, photo_file_id="AgAD", actor=ADMIN_ACTOR
    )
    assert changed is not None
    assert (changed.name, changed.description, changed.stock) == ("Sac", "cuir", 4)
    assert (changed.price, changed.photo_file_id) == (3500, "AgAD")
    unlimited = await stores.products.update(item.id, stock=None, actor=ADMIN_ACTOR)
    assert unlimited is not None
    assert unlimited.stock is None
    assert unlimited.available
    assert await stores.products.update(999, price=1, actor=ADMIN_ACTOR) is None


async def test_customers_who_asked_get_one_restock_message(stores: Stores) -> None:
    item = await product(stores, stock=0)
    for user, language in ((1, "fr"), (2, "en"), (3, "fr")):
        await stores.customers.seen(user, first_name="U", language=language)
        assert await stores.products.request_restock(item.id, user)
    assert not await stores.products.request_restock(item.id, 1)
    assert await stores.products.cancel_restock_request(item.id, 3)
    restocked = await stores.products.restock(
        item.id, 5, actor=ADMIN_ACTOR, restock_message=restock_message
    )
    assert restocked is not None
    assert restocked.stock == 5
    queued = await stores.outbox.claim_due()
    assert sorted((m.chat_id, json.loads(m.payload)["lang"]) for m in queued) == [
        (1, "fr"),
        (2, "en"),
    ]
    assert not await stores.products.restock_requested(item.id, 1)
    await stores.products.restock(item.id, 5, actor=ADMIN_ACTOR, restock_message=restock_message)
    assert await stores.outbox.backlog() == 2


async def test_showing_a_hidden_product_tells_who_asked(stores: Stores) -> None:
    item = await product(stores)
    await stores.products.update(item.id, active=False, actor=ADMIN_ACTOR)
    await stores.customers.seen(1, first_name="U", language="fr")
    await stores.products.request_restock(item.id, 1)
    await stores.products.update(
        item.id, active=True, actor=ADMIN_ACTOR, restock_message=restock_message
    )
    assert await stores.outbox.backlog() == 1


async def test_restock_must_add_something(stores: Stores) -> None:
    item = await product(stores, stock=1)
    with pytest.raises(ValueError, match="positive"):
        await stores.products.restock(item.id, 0, actor=ADMIN_ACTOR)


async def test_ordered_products_are_hidden_not_deleted(stores: Stores) -> None:
    ordered = (await order(stores)).lines[0].product_id
    spare = await product(stores, price=100)
    assert not await stores.products.delete(ordered, actor=ADMIN_ACTOR)
    assert await stores.products.delete(spare.id, actor=ADMIN_ACTOR)
    assert await stores.products.get(spare.id) is None
    assert await stores.products.get(ordered) is not None


async def test_cart_survives_and_adds_up(stores: Stores) -> None:
    await stores.customers.seen(1, first_name="A", language="fr")
    tee = await product(stores, price=5000)
    cap = await product(stores, price=1500)
    await stores.carts.add(1, tee.id)
    await stores.carts.add(1, tee.id, 2)
    cart = await stores.carts.add(1, cap.id)
    assert [(line.product.id, line.quantity) for line in cart.lines] == [(tee.id, 3), (cap.id, 1)]
    assert (cart.total, cart.item_count) == (16_500, 4)
    cart = await stores.carts.set_quantity(1, tee.id, 1)
    assert cart.total == 6500
    cart = await stores.carts.remove(1, cap.id)
    assert [line.product.id for line in cart.lines] == [tee.id]
    assert (await stores.carts.clear(1)).is_empty


async def test_cart_quantities_stay_within_bounds(stores: Stores) -> None:
    await stores.customers.seen(1, first_name="A", language="fr")
    tee = await product(stores)
    cart = await stores.carts.add(1, tee.id, 5000)
    assert cart.lines[0].quantity == 999
    with pytest.raises(ValueError, match="between"):
        await stores.carts.set_quantity(1, tee.id, 1000)
    with pytest.raises(ValueError, match="positive"):
        await stores.carts.add(1, tee.id, 0)


async def test_cancelled_order_can_refill_the_cart(stores: Stores) -> None:
    item = await product(stores, price=800)
    the_order = await order(stores, items=[(item, 3)])
    await stores.orders.cancel(the_order.id, actor="customer:1", why="edit")
    cart = await stores.carts.refill_from_order(1, the_order.id)
    assert [(line.product.id, line.quantity) for line in cart.lines] == [(item.id, 3)]
    assert (await stores.carts.refill_from_order(2, the_order.id)).is_empty


async def test_customer_keeps_chosen_language_and_numbers(stores: Stores) -> None:
    created = await stores.customers.seen(5, first_name="Awa", username="awa", language="fr")
    assert created.display_name == "Awa"
    assert created.language == "fr"
    await stores.customers.set_language(5, "en")
    again = await stores.customers.seen(5, first_name="Awa", last_name="K", language="fr")
    assert again.language == "en"
    assert again.display_name == "Awa K"
    await stores.customers.add_phone(5, "22670000001")
    await stores.customers.add_phone(5, "22660000002")
    assert set(await stores.customers.phones(5)) == {"22670000001", "22660000002"}
    assert await stores.customers.set_email(5, "awa@example.com")
    customer = await stores.customers.get(5)
    assert customer is not None
    assert customer.email == "awa@example.com"
    assert "awa@example.com" not in repr(customer)
    assert not await stores.customers.set_language(404, "fr")
    assert await stores.customers.count() == 1
    assert await stores.customers.count(reachable_only=True) == 1


async def test_seeing_a_customer_again_soon_costs_no_write(
    stores: Stores, clock: ManualClock
) -> None:
    first = await stores.customers.seen(5, first_name="Awa", language="fr")
    clock.advance(minutes=4)
    assert await stores.customers.seen(5, first_name="Awa", language="fr") == first
    clock.advance(minutes=2)
    later = await stores.customers.seen(5, first_name="Awa", language="fr")
    assert later.last_seen_at == clock.now
