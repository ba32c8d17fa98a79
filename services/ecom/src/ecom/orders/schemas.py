import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from ecom.models import OrderStatus


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


class AdminOrderRead(OrderRead):
    user_id: str
    username: str | None


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
