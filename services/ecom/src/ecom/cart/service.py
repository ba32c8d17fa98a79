"""Carts for guests (Redis) and customers (ecom-db), one set of rules for both."""

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from ecom.cart import repository
from ecom.cart.exceptions import CartFull, NotInCart, QuantityLimit
from ecom.cart.guest import GuestCarts
from ecom.cart.schemas import MAX_QUANTITY, CartLine, CartRead
from ecom.catalog.exceptions import BookNotFound
from ecom.catalog.schemas import cover_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CartOwner:
    """Whose cart: a signed-in user (by subject) or else a guest (by cookie id, None before the first visit)."""

    user_id: str | None = None
    guest: str | None = None


async def _lines(connection: asyncpg.Connection, guests: GuestCarts, owner: CartOwner) -> list[repository.PricedLine]:
    if owner.user_id is not None:
        _, lines = await repository.priced_lines(connection, owner.user_id)
        return lines
    return await repository.price(connection, await guests.items(owner.guest)) if owner.guest else []


def render(lines: list[repository.PricedLine], *, guest: bool) -> CartRead:
    items = [
        CartLine(
            book_id=line.book_id,
            title=line.title,
            author=line.author,
            unit_price=line.price,
            quantity=line.quantity,
            line_total=line.price * line.quantity,
            cover_url=cover_url(line.book_id),
            available=line.active,
        )
        for line in lines
    ]
    total = sum((item.line_total for item in items if item.available), Decimal("0.00"))
    return CartRead(
        items=items, total=total, item_count=sum(item.quantity for item in items if item.available), guest=guest
    )


async def get_cart(connection: asyncpg.Connection, guests: GuestCarts, owner: CartOwner) -> CartRead:
    """The caller's cart with current catalog prices (one statement: a plain connection will do)."""
    return render(await _lines(connection, guests, owner), guest=owner.user_id is None)


async def add_item(
    connection: asyncpg.Connection,
    guests: GuestCarts,
    owner: CartOwner,
    book_id: uuid.UUID,
    quantity: int,
    *,
    max_lines: int,
) -> CartRead:
    """Add copies of an active book (quantities add up, at most 99 per line)."""
    if owner.user_id is not None:
        cart = await repository.open_cart_for(connection, owner.user_id, book_id)
        if cart is None:
            raise BookNotFound(book_id)
        current, lines = await repository.line_state(connection, cart, book_id)
        if current is None and lines >= max_lines:
            raise CartFull(max_lines)
        if (current or 0) + quantity > MAX_QUANTITY:
            raise QuantityLimit(MAX_QUANTITY)
        await repository.set_line(connection, cart, book_id, (current or 0) + quantity)
    else:
        assert owner.guest is not None
        if not await repository.on_sale(connection, book_id):
            raise BookNotFound(book_id)
        result = await guests.add(owner.guest, book_id, quantity, max_quantity=MAX_QUANTITY, max_lines=max_lines)
        if result == -1:
            raise QuantityLimit(MAX_QUANTITY)
        if result == -2:
            raise CartFull(max_lines)
    return await get_cart(connection, guests, owner)


async def set_quantity(
    connection: asyncpg.Connection, guests: GuestCarts, owner: CartOwner, book_id: uuid.UUID, quantity: int
) -> CartRead:
    """Change the number of copies of a book already in the cart."""
    if owner.user_id is not None:
        # A cart opened here for a customer who had none is rolled back with the 404.
        cart = await repository.open_cart(connection, owner.user_id)
        current, _ = await repository.line_state(connection, cart, book_id)
        if current is None:
            raise NotInCart(book_id)
        await repository.set_line(connection, cart, book_id, quantity)
    elif owner.guest is None or not await guests.set(owner.guest, book_id, quantity):
        raise NotInCart(book_id)
    return await get_cart(connection, guests, owner)


async def remove_item(
    connection: asyncpg.Connection, guests: GuestCarts, owner: CartOwner, book_id: uuid.UUID
) -> CartRead:
    """Take a book out of the cart."""
    if owner.user_id is not None:
        cart = await repository.find_cart(connection, owner.user_id)
        if cart is None or not await repository.remove(connection, cart, book_id):
            raise NotInCart(book_id)
    elif owner.guest is None or not await guests.remove(owner.guest, book_id):
        raise NotInCart(book_id)
    return await get_cart(connection, guests, owner)


async def merge(connection: asyncpg.Connection, guests: GuestCarts, user_id: str, guest: str | None) -> CartRead:
    """Move a guest cart into the user's cart: quantities add up (capped at 99); removed books are dropped."""
    taken = await guests.take(guest) if guest else {}
    try:
        if taken:
            cart = await repository.open_cart(connection, user_id)
            current = await repository.items(connection, cart)
            for line in await repository.price(connection, taken):
                if line.active:
                    quantity = min(current.get(line.book_id, 0) + line.quantity, MAX_QUANTITY)
                    await repository.set_line(connection, cart, line.book_id, quantity)
            logger.info("guest cart merged", extra={"lines": len(taken), "user_id": user_id})
        return await get_cart(connection, guests, CartOwner(user_id=user_id))
    except BaseException:
        # The guest cart was already deleted from Redis: put it back so nothing is lost.
        if guest:
            await guests.restore(guest, taken)
        raise
