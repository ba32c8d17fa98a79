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
        {"book_id": str(item.book_id), "quantity": item.quantity, "unit_price": _money(item.unit_price)}
        for item in sorted(order.items, key=lambda i: str(i.book_id))
    ]


def order_created(event_id: uuid.UUID, order: CustomerOrder) -> dict[str, Any]:
    return {
        "event_id": str(event_id),
        "order_id": str(order.id),
        "user_id": order.user_id,
        "items": _items(order),
        "total": _money(order.total),
        "currency": order.currency,
        "created_at": _iso(order.created_at),
    }


def order_cancelled(event_id: uuid.UUID, order: CustomerOrder) -> dict[str, Any]:
    assert order.cancelled_at is not None
    return {
        "event_id": str(event_id),
        "order_id": str(order.id),
        "user_id": order.user_id,
        "items": _items(order),
        "total": _money(order.total),
        "currency": order.currency,
        "cancelled_at": _iso(order.cancelled_at),
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
