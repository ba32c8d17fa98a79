import uuid
from datetime import datetime
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict

from ecom.models import CustomerOrder, OrderStatus


class OrderItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    book_id: uuid.UUID
    title: str
    unit_price: Decimal
    quantity: int


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_id: uuid.UUID
    status: OrderStatus
    total: Decimal
    currency: str
    items: list[OrderItemRead]
    created_at: datetime
    cancelled_at: datetime | None = None

    @classmethod
    def from_order(cls, order: CustomerOrder) -> Self:
        return cls(
            order_id=order.id,
            status=OrderStatus(order.status),
            total=order.total,
            currency=order.currency,
            items=[OrderItemRead.model_validate(item) for item in order.items],
            created_at=order.created_at,
            cancelled_at=order.cancelled_at,
        )


class AdminOrderRead(OrderRead):
    user_id: str
    username: str | None

    @classmethod
    def from_order(cls, order: CustomerOrder) -> Self:
        return cls(**OrderRead.from_order(order).model_dump(), user_id=order.user_id, username=order.username)


class OrderPage(BaseModel):
    items: list[OrderRead]
    total: int
    page: int
    size: int


class AdminOrderPage(BaseModel):
    items: list[AdminOrderRead]
    total: int
    page: int
    size: int
