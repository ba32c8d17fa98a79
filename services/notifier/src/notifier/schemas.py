"""The order events the notifier reads (contracts/events/order.*.schema.json); unknown fields are ignored."""

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class Line(BaseModel):
    model_config = ConfigDict(extra="ignore")

    book_id: uuid.UUID
    title: str | None = Field(default=None, min_length=1, max_length=300)  # absent in events before 0002
    quantity: int = Field(ge=1, le=1000)
    unit_price: Decimal = Field(ge=0, decimal_places=2)


class OrderEvent(BaseModel):
    """order.created or order.cancelled (the record's topic says which)."""

    model_config = ConfigDict(extra="ignore")

    event_id: uuid.UUID
    order_id: uuid.UUID
    email: str | None = Field(default=None, max_length=320)
    items: list[Line] = Field(min_length=1, max_length=100)
    total: Decimal = Field(ge=0, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    created_at: datetime | None = None
    cancelled_at: datetime | None = None
