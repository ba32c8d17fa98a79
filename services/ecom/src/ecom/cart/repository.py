"""Customers' carts in ecom-db. Every add to a cart and every checkout passes here, so each function is one
plain SQL statement on an asyncpg connection: the request's transaction (servicekit.db.driver_connection) for
changes, a plain pooled connection for reads. No ORM compilation, no identity map."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

_OPEN = """
INSERT INTO cart (id, user_id) VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE SET updated_at = now() RETURNING id"""
# A customer's add: the cart opened (as _OPEN) and the book looked up (as _ON_SALE) in one round trip.
_OPEN_FOR = f"""
WITH opened AS ({_OPEN.strip()})
SELECT (SELECT id FROM opened) AS cart, EXISTS (SELECT 1 FROM book WHERE id = $3 AND active) AS on_sale"""  # noqa: S608
_FIND = "SELECT id FROM cart WHERE user_id = $1"
_LINE_STATE = """
SELECT (SELECT quantity FROM cart_item WHERE cart_id = $1 AND book_id = $2) AS quantity,
       (SELECT count(*) FROM cart_item WHERE cart_id = $1) AS lines"""
_SET_LINE = """
INSERT INTO cart_item (cart_id, book_id, quantity) VALUES ($1, $2, $3)
ON CONFLICT (cart_id, book_id) DO UPDATE SET quantity = excluded.quantity"""
_REMOVE = "DELETE FROM cart_item WHERE cart_id = $1 AND book_id = $2 RETURNING book_id"
_ITEMS = "SELECT book_id, quantity FROM cart_item WHERE cart_id = $1 ORDER BY added_at"
# The cart row even when it has no lines (LEFT JOIN), its lines with their books as the catalog has them now.
# $1 is the customer. PRICED_ROWS is unordered (the checkout's claim reads it inside a statement of its own).
PRICED_ROWS = """
SELECT c.id AS cart_id, i.book_id, i.quantity, i.title, i.author, i.price, i.active, i.added_at
FROM cart c LEFT JOIN (
  SELECT ci.cart_id, ci.book_id, ci.quantity, ci.added_at, b.title, b.author, b.price, b.active
  FROM cart_item ci JOIN book b ON b.id = ci.book_id
) AS i ON i.cart_id = c.id
WHERE c.user_id = $1"""
_PRICED = f"{PRICED_ROWS} ORDER BY i.added_at"
_BOOKS = "SELECT id, title, author, price, active FROM book WHERE id = ANY($1::uuid[])"
_ON_SALE = "SELECT EXISTS (SELECT 1 FROM book WHERE id = $1 AND active)"


@dataclass(frozen=True)
class PricedLine:
    """A cart line with its book as the catalog has it now (`active` False once an admin removed it)."""

    book_id: uuid.UUID
    quantity: int
    title: str
    author: str
    price: Decimal
    active: bool


async def open_cart(connection: asyncpg.Connection, user_id: str) -> uuid.UUID:
    """The customer's cart, created on first use, row-locked and marked updated: changes to one cart (adds from
    two tabs, a checkout emptying it) take turns."""
    cart: uuid.UUID = await connection.fetchval(_OPEN, uuid.uuid4(), user_id)
    return cart


async def open_cart_for(connection: asyncpg.Connection, user_id: str, book_id: uuid.UUID) -> uuid.UUID | None:
    """`open_cart` for adding `book_id`, in one statement with `on_sale`: the cart, or None if the book is not on
    sale (the caller rolls back the cart's opening with its 404)."""
    row = await connection.fetchrow(_OPEN_FOR, uuid.uuid4(), user_id, book_id)
    assert row is not None
    cart: uuid.UUID = row["cart"]
    return cart if row["on_sale"] else None


async def find_cart(connection: asyncpg.Connection, user_id: str) -> uuid.UUID | None:
    cart: uuid.UUID | None = await connection.fetchval(_FIND, user_id)
    return cart


async def line_state(connection: asyncpg.Connection, cart: uuid.UUID, book_id: uuid.UUID) -> tuple[int | None, int]:
    """The book's quantity in the cart (None if it has no line) and the cart's number of lines."""
    row = await connection.fetchrow(_LINE_STATE, cart, book_id)
    assert row is not None
    return row["quantity"], row["lines"]


async def set_line(connection: asyncpg.Connection, cart: uuid.UUID, book_id: uuid.UUID, quantity: int) -> None:
    await connection.execute(_SET_LINE, cart, book_id, quantity)


async def remove(connection: asyncpg.Connection, cart: uuid.UUID, book_id: uuid.UUID) -> bool:
    return await connection.fetchval(_REMOVE, cart, book_id) is not None


async def items(connection: asyncpg.Connection, cart: uuid.UUID) -> dict[uuid.UUID, int]:
    return {row["book_id"]: row["quantity"] for row in await connection.fetch(_ITEMS, cart)}


async def priced_lines(connection: asyncpg.Connection, user_id: str) -> tuple[uuid.UUID | None, list[PricedLine]]:
    """The customer's cart (None if there is none) and its lines, oldest first: one round trip."""
    return priced(await connection.fetch(_PRICED, user_id))


def priced(rows: Sequence[asyncpg.Record]) -> tuple[uuid.UUID | None, list[PricedLine]]:
    """`priced_lines`' answer from rows of `PRICED_ROWS` in the cart's order."""
    cart = rows[0]["cart_id"] if rows else None
    lines = [
        PricedLine(row["book_id"], row["quantity"], row["title"], row["author"], row["price"], row["active"])
        for row in rows
        if row["book_id"] is not None
    ]
    return cart, lines


async def price(connection: asyncpg.Connection, items: dict[uuid.UUID, int]) -> list[PricedLine]:
    """A guest cart's lines (held in Redis) with their books, in the cart's order; unknown ids are left out."""
    if not items:
        return []
    books = {row["id"]: row for row in await connection.fetch(_BOOKS, list(items))}
    return [
        PricedLine(book_id, quantity, book["title"], book["author"], book["price"], book["active"])
        for book_id, quantity in items.items()
        if (book := books.get(book_id)) is not None
    ]


async def on_sale(connection: asyncpg.Connection, book_id: uuid.UUID) -> bool:
    """Whether the catalog has the book and it is not removed."""
    return bool(await connection.fetchval(_ON_SALE, book_id))
