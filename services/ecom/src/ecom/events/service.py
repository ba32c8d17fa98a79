import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from ecom.events.schemas import ORDER_CANCELLED, ORDER_CREATED, order_cancelled, order_created
from ecom.models import CustomerOrder
from ecom.outbox import repository as outbox
from servicekit.outbox import OutboxMessage

PAYLOADS = {ORDER_CREATED: order_created, ORDER_CANCELLED: order_cancelled}


async def add_order_event(session: AsyncSession, event_type: str, order: CustomerOrder) -> None:
    """Write an order.* event for the order in the caller's transaction (published once that commits)."""
    event_id = uuid.uuid4()
    await outbox.add(
        session,
        OutboxMessage(
            id=event_id,
            aggregatetype="order",
            aggregateid=str(order.id),
            type=event_type,
            payload=PAYLOADS[event_type](event_id, order),
        ),
    )
