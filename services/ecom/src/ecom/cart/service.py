"""Carts for guests (Redis) and customers (ecom-db), one set of rules for both."""

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from ecom.cart import repository
from ecom.cart.exceptions import CartFull, NotInCart, QuantityLimit
from ecom.cart.guest import GuestCarts
from ecom.cart.schemas import MAX_QUANTITY, CartLine, CartRead
from ecom.catalog import repository as books
from ecom.catalog.exceptions import BookNotFound
from ecom.catalog.schemas import BookRead

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CartOwner:
    """Whose cart: a signed-in user (by subject) or else a guest (by cookie id, None before the first visit)."""

    user_id: str | None = None
    guest: str | None = None


async def _items(session: AsyncSession, guests: GuestCarts, owner: CartOwner) -> dict[uuid.UUID, int]:
    if owner.user_id is not None:
        cart = await repository.cart_id(session, owner.user_id, create=False)
        return await repository.items(session, cart) if cart else {}
    return await guests.items(owner.guest) if owner.guest else {}


async def render(session: AsyncSession, items: dict[uuid.UUID, int], *, guest: bool) -> CartRead:
    found = await books.get_many(session, list(items))
    lines = []
    for book_id, quantity in items.items():
        book = found.get(book_id)
        if book is None:  # unknown id (only a hand-made guest cart could hold one)
            continue
        read = BookRead.model_validate(book)
        lines.append(
            CartLine(
                book_id=book_id,
                title=book.title,
                author=book.author,
                unit_price=book.price,
                quantity=quantity,
                line_total=book.price * quantity,
                cover_url=read.cover_url,
                available=book.active,
            )
        )
    total = sum((line.line_total for line in lines if line.available), Decimal("0.00"))
    return CartRead(
        items=lines, total=total, item_count=sum(line.quantity for line in lines if line.available), guest=guest
    )


async def get_cart(session: AsyncSession, guests: GuestCarts, owner: CartOwner) -> CartRead:
    """The caller's cart with current catalog prices."""
    return await render(session, await _items(session, guests, owner), guest=owner.user_id is None)


async def add_item(
    session: AsyncSession, guests: GuestCarts, owner: CartOwner, book_id: uuid.UUID, quantity: int, *, max_lines: int
) -> CartRead:
    """Add copies of an active book (quantities add up, at most 99 per line)."""
    if await books.get(session, book_id) is None:
        raise BookNotFound(book_id)
    if owner.user_id is not None:
        cart = await repository.cart_id(session, owner.user_id, create=True)
        assert cart is not None
        await repository.lock_cart(session, cart)
        current = await repository.quantity(session, cart, book_id)
        if current is None and await repository.line_count(session, cart) >= max_lines:
            raise CartFull(max_lines)
        if (current or 0) + quantity > MAX_QUANTITY:
            raise QuantityLimit(MAX_QUANTITY)
        await repository.upsert(session, cart, book_id, (current or 0) + quantity)
    else:
        assert owner.guest is not None
        result = await guests.add(owner.guest, book_id, quantity, max_quantity=MAX_QUANTITY, max_lines=max_lines)
        if result == -1:
            raise QuantityLimit(MAX_QUANTITY)
        if result == -2:
            raise CartFull(max_lines)
    return await get_cart(session, guests, owner)


async def set_quantity(
    session: AsyncSession, guests: GuestCarts, owner: CartOwner, book_id: uuid.UUID, quantity: int
) -> CartRead:
    """Change the number of copies of a book already in the cart."""
    if owner.user_id is not None:
        cart = await repository.cart_id(session, owner.user_id, create=False)
        if cart is None or await repository.quantity(session, cart, book_id) is None:
            raise NotInCart(book_id)
        await repository.upsert(session, cart, book_id, quantity)
    elif owner.guest is None or not await guests.set(owner.guest, book_id, quantity):
        raise NotInCart(book_id)
    return await get_cart(session, guests, owner)


async def remove_item(session: AsyncSession, guests: GuestCarts, owner: CartOwner, book_id: uuid.UUID) -> CartRead:
    """Take a book out of the cart."""
    if owner.user_id is not None:
        cart = await repository.cart_id(session, owner.user_id, create=False)
        if cart is None or not await repository.remove(session, cart, book_id):
            raise NotInCart(book_id)
    elif owner.guest is None or not await guests.remove(owner.guest, book_id):
        raise NotInCart(book_id)
    return await get_cart(session, guests, owner)


async def merge(session: AsyncSession, guests: GuestCarts, user_id: str, guest: str | None) -> CartRead:
    """Move a guest cart into the user's cart: quantities add up (capped at 99); removed books are dropped."""
    taken = await guests.take(guest) if guest else {}
    try:
        if taken:
            cart = await repository.cart_id(session, user_id, create=True)
            assert cart is not None
            await repository.lock_cart(session, cart)
            current = await repository.items(session, cart)
            active = {b.id for b in (await books.get_many(session, list(taken))).values() if b.active}
            for book_id, quantity in taken.items():
                if book_id in active:
                    await repository.upsert(
                        session, cart, book_id, min(current.get(book_id, 0) + quantity, MAX_QUANTITY)
                    )
            await session.flush()
            logger.info("guest cart merged", extra={"lines": len(taken), "user_id": user_id})
        return await get_cart(session, guests, CartOwner(user_id=user_id))
    except BaseException:
        # The guest cart was already deleted from Redis: put it back so nothing is lost.
        if guest:
            await guests.restore(guest, taken)
        raise
