import uuid

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ecom.models import Book, Cart, CartItem


async def cart_id(session: AsyncSession, user_id: str, *, create: bool) -> uuid.UUID | None:
    if create:
        await session.execute(
            insert(Cart).values(id=uuid.uuid4(), user_id=user_id).on_conflict_do_nothing(index_elements=[Cart.user_id])
        )
    found: uuid.UUID | None = await session.scalar(select(Cart.id).where(Cart.user_id == user_id))
    return found


async def lock_cart(session: AsyncSession, cart: uuid.UUID) -> None:
    """Serialise changes to one cart (concurrent adds from two tabs, a checkout emptying it)."""
    await session.execute(select(Cart.id).where(Cart.id == cart).with_for_update())


async def items(session: AsyncSession, cart: uuid.UUID) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(CartItem.book_id, CartItem.quantity).where(CartItem.cart_id == cart).order_by(CartItem.added_at)
    )
    return {book_id: quantity for book_id, quantity in rows.all()}


async def line_count(session: AsyncSession, cart: uuid.UUID) -> int:
    return await session.scalar(select(func.count()).where(CartItem.cart_id == cart)) or 0


async def quantity(session: AsyncSession, cart: uuid.UUID, book_id: uuid.UUID) -> int | None:
    found: int | None = await session.scalar(
        select(CartItem.quantity).where(CartItem.cart_id == cart, CartItem.book_id == book_id)
    )
    return found


async def upsert(session: AsyncSession, cart: uuid.UUID, book_id: uuid.UUID, new_quantity: int) -> None:
    await session.execute(
        insert(CartItem)
        .values(cart_id=cart, book_id=book_id, quantity=new_quantity)
        .on_conflict_do_update(index_elements=[CartItem.cart_id, CartItem.book_id], set_={"quantity": new_quantity})
    )
    await session.execute(update(Cart).where(Cart.id == cart).values(updated_at=func.now()))


async def remove(session: AsyncSession, cart: uuid.UUID, book_id: uuid.UUID) -> bool:
    result = await session.execute(
        delete(CartItem).where(CartItem.cart_id == cart, CartItem.book_id == book_id).returning(CartItem.book_id)
    )
    return result.first() is not None


async def remove_lines(session: AsyncSession, cart: uuid.UUID, lines: dict[uuid.UUID, int]) -> None:
    """Delete exactly these (book, quantity) lines: a line changed meanwhile in another tab stays."""
    if lines:
        await session.execute(
            delete(CartItem).where(
                CartItem.cart_id == cart,
                tuple_(CartItem.book_id, CartItem.quantity).in_(list(lines.items())),
            )
        )


async def priced_lines(
    session: AsyncSession, user_id: str
) -> tuple[uuid.UUID | None, list[tuple[uuid.UUID, int, Book | None]]]:
    """The customer's cart and its lines (book, quantity, the book as the catalog has it now, None if it is gone),
    oldest first: one round trip."""
    rows = (
        await session.execute(
            select(Cart.id, CartItem.book_id, CartItem.quantity, Book)
            .outerjoin(CartItem, CartItem.cart_id == Cart.id)
            .outerjoin(Book, Book.id == CartItem.book_id)
            .where(Cart.user_id == user_id)
            .order_by(CartItem.added_at)
        )
    ).all()
    cart = rows[0][0] if rows else None
    return cart, [(book_id, quantity, book) for _, book_id, quantity, book in rows if book_id is not None]
