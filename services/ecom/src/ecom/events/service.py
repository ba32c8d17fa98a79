import uuid

import asyncpg

from ecom.events.schemas import ORDER_CANCELLED, ORDER_CREATED, order_cancelled, order_created
from ecom.models import CustomerOrder
from ecom.outbox import repository as outbox
from servicekit.outbox import OutboxMessage

PAYLOADS = {ORDER_CREATED: order_created, ORDER_CANCELLED: order_cancelled}


def order_event(event_type: str, order: CustomerOrder) -> OutboxMessage:
    """An order.* event for the order, as its outbox row."""
    event_id = uuid.uuid4()
    return OutboxMessage(
        id=event_id,
        aggregatetype="order",
        aggregateid=str(order.id),
        type=event_type,
        payload=PAYLOADS[event_type](event_id, order),
    )


async def add_order_event(connection: asyncpg.Connection, event_type: str, order: CustomerOrder) -> None:
    """Write an order.* event for the order in the transaction of `connection` (published once that commits)."""
    await outbox.add(connection, order_event(event_type, order))
