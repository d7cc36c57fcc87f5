"""Carts: what each customer intends to buy, kept in the database so it survives restarts."""

from __future__ import annotations

from storage.database import Database, Queryable
from storage.models import Cart, CartLine
from storage.orders import load_order
from storage.products import product_from_row

MAX_QUANTITY = 999


async def load_cart(reader: Queryable, customer_id: int) -> Cart:
    """Return a customer's cart with today's product records."""
    rows = await reader.fetch_all(
        "SELECT p.*, c.quantity AS cart_quantity FROM cart_lines AS c"
        " JOIN products AS p ON p.id = c.product_id"
        " WHERE c.customer_id = ? ORDER BY c.added_at, c.product_id",
        (customer_id,),
    )
    return Cart(
        customer_id=customer_id,
        lines=tuple(CartLine(product_from_row(row), row["cart_quantity"]) for row in rows),
    )


class CartStore:
    """Changes carts; every method returns the cart as it is afterwards."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, customer_id: int) -> Cart:
        """Return a customer's cart (empty if they never added anything)."""
        return await load_cart(self._db, customer_id)

    async def add(self, customer_id: int, product_id: int, quantity: int = 1) -> Cart:
        """Add items of a product (capped at 999 per line)."""
        if quantity <= 0:
            raise ValueError("quantity to add must be positive")
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO cart_lines (customer_id, product_id, quantity, added_at)"
                " VALUES (?, ?, min(?, ?), ?) ON CONFLICT (customer_id, product_id)"
                " DO UPDATE SET quantity = min(quantity + excluded.quantity, ?)",
                (customer_id, product_id, quantity, MAX_QUANTITY, tx.now_ms, MAX_QUANTITY),
            )
            return await load_cart(tx, customer_id)

    async def set_quantity(self, customer_id: int, product_id: int, quantity: int) -> Cart:
        """Set a line's quantity; 0 removes it."""
        if quantity < 0 or quantity > MAX_QUANTITY:
            raise ValueError(f"quantity must be between 0 and {MAX_QUANTITY}")
        async with self._db.transaction() as tx:
            if quantity == 0:
                await tx.execute(
                    "DELETE FROM cart_lines WHERE customer_id = ? AND product_id = ?",
                    (customer_id, product_id),
                )
            else:
                await tx.execute(
                    "INSERT INTO cart_lines (customer_id, product_id, quantity, added_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (customer_id, product_id)"
                    " DO UPDATE SET quantity = excluded.quantity",
                    (customer_id, product_id, quantity, tx.now_ms),
                )
            return await load_cart(tx, customer_id)

    async def remove(self, customer_id: int, product_id: int) -> Cart:
        """Remove a product from the cart."""
        return await self.set_quantity(customer_id, product_id, 0)

    async def clear(self, customer_id: int) -> Cart:
        """Empty the cart."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM cart_lines WHERE customer_id = ?", (customer_id,))
            return await load_cart(tx, customer_id)

    async def refill_from_order(self, customer_id: int, order_id: int) -> Cart:
        """Put an order's products back in its customer's cart (after cancelling it, say)."""
        async with self._db.transaction() as tx:
            order = await load_order(tx, order_id)
            if order is not None and order.customer_id == customer_id:
                await tx.execute_many(
                    "INSERT INTO cart_lines (customer_id, product_id, quantity, added_at)"
                    " SELECT ?, id, ?, ? FROM products WHERE id = ?"
                    " ON CONFLICT (customer_id, product_id)"
                    " DO UPDATE SET quantity = min(quantity + excluded.quantity, ?)",
                    [
                        (customer_id, line.quantity, tx.now_ms, line.product_id, MAX_QUANTITY)
                        for line in order.lines
                    ],
                )
            return await load_cart(tx, customer_id)
