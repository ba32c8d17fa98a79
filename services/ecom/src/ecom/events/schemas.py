"""The events ecom publishes (contracts/events/order.*.schema.json)."""

import uuid
from datetime import datetime
from typing import Any

from ecom.models import CustomerOrder

ORDER_CREATED = "order.created"
ORDER_CANCELLED = "order.cancelled"


def _money(value: Any) -> str:
    return f"{value:.2f}"


def _items(order: CustomerOrder) -> list[dict[str, Any]]:
    return [
        {
            "book_id": str(item.book_id),
            "title": item.title,
            "quantity": item.quantity,
            "unit_price": _money(item.unit_price),
        }
        for item in sorted(order.items, key=lambda i: str(i.book_id))
    ]


def _order(event_id: uuid.UUID, order: CustomerOrder) -> dict[str, Any]:
    """The fields both order events carry."""
    return {
        "event_id": str(event_id),
        "order_id": str(order.id),
        "user_id": order.user_id,
        "email": order.email,
        "items": _items(order),
        "total": _money(order.total),
        "currency": order.currency,
    }


def order_created(event_id: uuid.UUID, order: CustomerOrder) -> dict[str, Any]:
    return _order(event_id, order) | {"created_at": _iso(order.created_at)}


def order_cancelled(event_id: uuid.UUID, order: CustomerOrder) -> dict[str, Any]:
    assert order.cancelled_at is not None
    return _order(event_id, order) | {"cancelled_at": _iso(order.cancelled_at)}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
