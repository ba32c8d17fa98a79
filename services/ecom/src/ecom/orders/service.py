import logging
import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ecom.clients.inventory import InventoryClient, InventoryUnavailable
from ecom.events.schemas import ORDER_CANCELLED
from ecom.events.service import add_order_event
from ecom.models import CustomerOrder, OrderStatus
from ecom.orders import repository
from ecom.orders.exceptions import InventoryDown, OrderNotCancellable, OrderNotFound
from ecom.orders.schemas import AdminOrderPage, AdminOrderRead, OrderPage, OrderRead
from servicekit.db import driver_connection

logger = logging.getLogger(__name__)


async def list_own(session: AsyncSession, user_id: str, *, page: int, size: int) -> OrderPage:
    """The user's orders, newest first."""
    orders, total = await repository.page(session, user_id=user_id, status=None, offset=(page - 1) * size, limit=size)
    return OrderPage(items=[OrderRead.from_order(o) for o in orders], total=total, page=page, size=size)


async def list_all(session: AsyncSession, *, status: OrderStatus | None, page: int, size: int) -> AdminOrderPage:
    """Every order (admin), newest first, optionally with one status."""
    orders, total = await repository.page(session, user_id=None, status=status, offset=(page - 1) * size, limit=size)
    return AdminOrderPage(items=[AdminOrderRead.from_order(o) for o in orders], total=total, page=page, size=size)


async def get_own(session: AsyncSession, user_id: str, order_id: uuid.UUID) -> CustomerOrder:
    """One of the user's orders; someone else's order is reported as missing, not as forbidden."""
    order = await repository.get(session, order_id, user_id=user_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


async def cancel(session: AsyncSession, inventory: InventoryClient, user_id: str, order_id: uuid.UUID) -> CustomerOrder:
    """Cancel a CONFIRMED order: inventory takes the stock back, then the order and an order.cancelled
    event are written in this request's transaction.

    The order row stays locked across the inventory call, so two cancels cannot both pass the check;
    inventory's cancel is idempotent, so a retry after a failed commit is harmless."""
    order = await repository.get(session, order_id, user_id=user_id, for_update=True)
    if order is None:
        raise OrderNotFound(order_id)
    if order.status != OrderStatus.CONFIRMED:
        raise OrderNotCancellable(order_id, order.status)
    try:
        await inventory.cancel(order_id)
    except InventoryUnavailable as exc:
        logger.warning("order cancel: inventory unavailable", extra={"order_id": str(order_id), "error": str(exc)})
        raise InventoryDown("the order was not cancelled") from exc
    now = await session.scalar(select(func.now()))
    assert now is not None
    await repository.mark_cancelled(session, order_id, now)
    order = await repository.get(session, order_id)
    assert order is not None
    await add_order_event(await driver_connection(session), ORDER_CANCELLED, order)
    logger.info("order cancelled", extra={"order_id": str(order_id)})
    return order
