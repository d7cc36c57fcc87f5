"""The catalog: categories, products with optional stock, and restock requests.

Stock is only taken when an order is paid (storage.payins), atomically and never below zero.
A customer may ask to be told when a product is back: when a product becomes available again
(stock from 0 to more, or shown again), a message per request is queued in the same transaction
through the `restock_message` function the bot passes, and the requests are consumed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from typing import Final

from storage import audit
from storage.database import Database, Queryable, Row, Transaction
from storage.models import (
    Category,
    NewMessage,
    OrderLine,
    Product,
    ProductPage,
    RestockSubscriber,
    from_ms,
)
from storage.outbox import insert_messages

RestockMessage = Callable[[RestockSubscriber], NewMessage]


class Keep(Enum):
    """Marks a field an update leaves as it is (None is a value for some fields)."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP
_MAX_PAGE = 100


def _category(row: Row) -> Category:
    return Category(
        id=row["id"],
        name=row["name"],
        position=row["position"],
        active=bool(row["active"]),
        created_at=from_ms(row["created_at"]),
    )


def product_from_row(row: Row) -> Product:
    """Return the product record of a products row."""
    return Product(
        id=row["id"],
        category_id=row["category_id"],
        name=row["name"],
        description=row["description"],
        price=row["price"],
        photo_file_id=row["photo_file_id"],
        stock=row["stock"],
        active=bool(row["active"]),
        position=row["position"],
        created_at=from_ms(row["created_at"]),
        updated_at=from_ms(row["updated_at"]),
    )


async def load_product(reader: Queryable, product_id: int) -> Product | None:
    """Return one product by id."""
    row = await reader.fetch_one("SELECT * FROM products WHERE id = ?", (product_id,))
    return None if row is None else product_from_row(row)


async def take_stock(tx: Transaction, lines: Iterable[OrderLine]) -> bool:
    """Take a paid order's items from stock, never below zero; return True if any fell short."""
    wanted: dict[int, int] = {}
    for line in lines:
        wanted[line.product_id] = wanted.get(line.product_id, 0) + line.quantity
    if not wanted:
        return False
    marks = ",".join("?" * len(wanted))
    rows = await tx.fetch_all(
        f"SELECT id, stock FROM products WHERE id IN ({marks}) AND stock IS NOT NULL",  # noqa: S608
        list(wanted),
    )
    short = any(row["stock"] < wanted[row["id"]] for row in rows)
    if rows:
        await tx.execute_many(
            "UPDATE products SET stock = max(stock - ?, 0), updated_at = ? WHERE id = ?",
            [(wanted[row["id"]], tx.now_ms, row["id"]) for row in rows],
        )
    return short


class ProductStore:
    """Keeps the catalog and the restock requests."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_category(self, name: str, *, actor: str, position: int = 0) -> Category:
        """Create a category."""
        async with self._db.transaction() as tx:
            category_id = await tx.insert(
                "INSERT INTO categories (name, position, created_at) VALUES (?, ?, ?)",
                (name, position, tx.now_ms),
            )
            audit.record(
                tx, entity="category", entity_id=category_id, actor=actor, why=f"added {name!r}"
            )
            row = await tx.fetch_one("SELECT * FROM categories WHERE id = ?", (category_id,))
        assert row is not None
        return _category(row)

    async def update_category(
        self,
        category_id: int,
        *,
        actor: str,
        name: str | Keep = KEEP,
        position: int | Keep = KEEP,
        active: bool | Keep = KEEP,
    ) -> Category | None:
        """Change a category's fields; return it, or None if there is no such category."""
        changes: dict[str, object] = {}
        if not isinstance(name, Keep):
            changes["name"] = name
        if not isinstance(position, Keep):
            changes["position"] = position
        if not isinstance(active, Keep):
            changes["active"] = int(active)
        async with self._db.transaction() as tx:
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                changed = await tx.execute(
                    f"UPDATE categories SET {assignments} WHERE id = ?",  # noqa: S608
                    [*changes.values(), category_id],
                )
                if changed:
                    audit.record(
                        tx,
                        entity="category",
                        entity_id=category_id,
                        actor=actor,
                        why="changed " + ", ".join(changes),
                    )
            row = await tx.fetch_one("SELECT * FROM categories WHERE id = ?", (category_id,))
        return None if row is None else _category(row)

    async def delete_category(self, category_id: int, *, actor: str) -> bool:
        """Delete a category; its products stay, without a category."""
        async with self._db.transaction() as tx:
            changed = await tx.execute("DELETE FROM categories WHERE id = ?", (category_id,))
            if changed:
                audit.record(
                    tx, entity="category", entity_id=category_id, actor=actor, why="deleted"
                )
        return changed == 1

    async def get_category(self, category_id: int) -> Category | None:
        """Return one category."""
        row = await self._db.fetch_one("SELECT * FROM categories WHERE id = ?", (category_id,))
        return None if row is None else _category(row)

    async def categories(self, *, include_hidden: bool = False) -> tuple[Category, ...]:
        """Return categories in display order."""
        hidden = "" if include_hidden else "WHERE active = 1"
        rows = await self._db.fetch_all(
            f"SELECT * FROM categories {hidden} ORDER BY position, id"  # noqa: S608
        )
        return tuple(_category(row) for row in rows)

    async def add(
        self,
        *,
        name: str,
        price: int,
        actor: str,
        description: str = "",
        category_id: int | None = None,
        photo_file_id: str | None = None,
        stock: int | None = None,
        active: bool = True,
        position: int = 0,
    ) -> Product:
        """Create a product (stock None: unlimited)."""
        async with self._db.transaction() as tx:
            product_id = await tx.insert(
                "INSERT INTO products (category_id, name, description, price, photo_file_id,"
                " stock, active, position, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    category_id,
                    name,
                    description,
                    price,
                    photo_file_id,
                    stock,
                    int(active),
                    position,
                    tx.now_ms,
                    tx.now_ms,
                ),
            )
            audit.record(
                tx,
                entity="product",
                entity_id=product_id,
                actor=actor,
                why=f"added {name!r} at {price}",
            )
            product = await load_product(tx, product_id)
        assert product is not None
        return product

    async def update(
        self,
        product_id: int,
        *,
        actor: str,
        name: str | Keep = KEEP,
        description: str | Keep = KEEP,
        price: int | Keep = KEEP,
        photo_file_id: str | Keep | None = KEEP,
        category_id: int | Keep | None = KEEP,
        stock: int | Keep | None = KEEP,
        active: bool | Keep = KEEP,
        position: int | Keep = KEEP,
        restock_message: RestockMessage | None = None,
    ) -> Product | None:
        """Change a product's fields; return it, or None if there is no such product.

        When the change makes the product available again and `restock_message` is given,
        every customer who asked is sent one message and their requests are consumed.
        """
        fields: dict[str, object | Keep] = {
            "name": name,
            "description": description,
            "price": price,
            "photo_file_id": photo_file_id,
            "category_id": category_id,
            "stock": stock,
            "active": int(active) if isinstance(active, bool) else active,
            "position": position,
        }
        changes = {key: value for key, value in fields.items() if not isinstance(value, Keep)}
        async with self._db.transaction() as tx:
            before = await load_product(tx, product_id)
            if before is None:
                return None
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                await tx.execute(
                    f"UPDATE products SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608
                    [*changes.values(), tx.now_ms, product_id],
                )
                audit.record(
                    tx,
                    entity="product",
                    entity_id=product_id,
                    actor=actor,
                    why="changed " + ", ".join(changes),
                )
            return await self._after_change(tx, before, restock_message)

    async def restock(
        self,
        product_id: int,
        quantity: int,
        *,
        actor: str,
        restock_message: RestockMessage | None = None,
    ) -> Product | None:
        """Add `quantity` to a product's stock (unlimited stays unlimited); see `update`."""
        if quantity <= 0:
            raise ValueError("restock quantity must be positive")
        async with self._db.transaction() as tx:
            before = await load_product(tx, product_id)
            if before is None:
                return None
            await tx.execute(
                "UPDATE products SET stock = stock + ?, updated_at = ?"
                " WHERE id = ? AND stock IS NOT NULL",
                (quantity, tx.now_ms, product_id),
            )
            audit.record(
                tx, entity="product", entity_id=product_id, actor=actor, why=f"restock +{quantity}"
            )
            return await self._after_change(tx, before, restock_message)

    @staticmethod
    async def _after_change(
        tx: Transaction, before: Product, restock_message: RestockMessage | None
    ) -> Product:
        after = await load_product(tx, before.id)
        assert after is not None
        if restock_message is not None and after.available and not before.available:
            rows = await tx.fetch_all(
                "SELECT r.customer_id, c.language FROM restock_requests AS r"
                " JOIN customers AS c ON c.id = r.customer_id"
                " WHERE r.product_id = ? AND c.blocked = 0 ORDER BY r.created_at",
                (after.id,),
            )
            await insert_messages(
                tx,
                [
                    restock_message(RestockSubscriber(row["customer_id"], row["language"], after))
                    for row in rows
                ],
            )
            await tx.execute("DELETE FROM restock_requests WHERE product_id = ?", (after.id,))
        return after

    async def delete(self, product_id: int, *, actor: str) -> bool:
        """Delete a product that was never ordered; return False otherwise (hide it instead)."""
        async with self._db.transaction() as tx:
            ordered = await tx.fetch_one(
                "SELECT 1 FROM order_lines WHERE product_id = ? LIMIT 1", (product_id,)
            )
            if ordered is not None:
                return False
            changed = await tx.execute("DELETE FROM products WHERE id = ?", (product_id,))
            if changed:
                audit.record(tx, entity="product", entity_id=product_id, actor=actor, why="deleted")
        return changed == 1

    async def get(self, product_id: int) -> Product | None:
        """Return one product."""
        return await load_product(self._db, product_id)

    async def page(
        self,
        category_id: int | None = None,
        *,
        include_hidden: bool = False,
        offset: int = 0,
        limit: int = 10,
    ) -> ProductPage:
        """Return a page of products in display order (of one category, or of all)."""
        limit = max(1, min(limit, _MAX_PAGE))
        where: list[str] = []
        params: list[object] = []
        if category_id is not None:
            where.append("category_id = ?")
            params.append(category_id)
        if not include_hidden:
            where.append("active = 1")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        total = await self._db.fetch_int(
            f"SELECT count(*) FROM products {clause}",  # noqa: S608
            params,
        )
        rows = await self._db.fetch_all(
            f"SELECT * FROM products {clause} ORDER BY position, id LIMIT ? OFFSET ?",  # noqa: S608
            [*params, limit, max(0, offset)],
        )
        return ProductPage(products=tuple(product_from_row(row) for row in rows), total=total)

    async def request_restock(self, product_id: int, customer_id: int) -> bool:
        """Remember that a customer wants to know when a product is back; False if known."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "INSERT INTO restock_requests (product_id, customer_id, created_at)"
                " VALUES (?, ?, ?) ON CONFLICT (product_id, customer_id) DO NOTHING",
                (product_id, customer_id, tx.now_ms),
            )
        return changed == 1

    async def cancel_restock_request(self, product_id: int, customer_id: int) -> bool:
        """Forget a restock request; False if there was none."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "DELETE FROM restock_requests WHERE product_id = ? AND customer_id = ?",
                (product_id, customer_id),
            )
        return changed == 1

    async def restock_requested(self, product_id: int, customer_id: int) -> bool:
        """Return whether a customer is waiting for a product."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM restock_requests WHERE product_id = ? AND customer_id = ?",
            (product_id, customer_id),
        )
        return row is not None
