"""A small demo catalog, so a fresh shop (sandbox, playground, tests) has something to sell."""

from __future__ import annotations

from storage import audit
from storage.models import Product
from storage.stores import Stores

# (category, [(name, description, price XOF, stock or None for unlimited)])
DEMO_CATALOG: tuple[tuple[str, tuple[tuple[str, str, int, int | None], ...]], ...] = (
    (
        "Alimentation",
        (
            ("Beurre de karité 250 g", "Beurre de karité pur, pressé à froid à Bobo.", 2500, None),
            ("Miel du Sahel 500 g", "Miel naturel récolté près de Dori.", 3500, 40),
            ("Café Touba 250 g", "Café épicé au poivre de Sélim.", 1500, None),
            ("Soumbala 100 g", "Condiment traditionnel de néré fermenté.", 500, None),
        ),
    ),
    (
        "Artisanat",
        (
            ("Pagne Faso Dan Fani", "Pagne tissé à la main, 2 mètres.", 12000, 15),
            ("Chapeau de Saponé", "Chapeau en paille tressée et cuir.", 8000, 5),
            ("Statuette en bronze", "Bronze coulé à Ouagadougou, 20 cm.", 25000, 0),
        ),
    ),
)


async def seed_demo_catalog(stores: Stores) -> list[Product]:
    """Add the demo catalog when the shop has no product yet; return what was added."""
    if (await stores.products.page(include_hidden=True, limit=1)).total:
        return []
    added: list[Product] = []
    for position, (category_name, products) in enumerate(DEMO_CATALOG):
        category = await stores.products.add_category(
            category_name, actor=audit.SYSTEM, position=position
        )
        for index, (name, description, price, stock) in enumerate(products):
            added.append(
                await stores.products.add(
                    name=name,
                    description=description,
                    price=price,
                    stock=stock,
                    category_id=category.id,
                    position=index,
                    actor=audit.SYSTEM,
                )
            )
    return added
