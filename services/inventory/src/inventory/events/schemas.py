"""The events inventory publishes and consumes (contracts/events/*.schema.json)."""

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from inventory.stock.schemas import StockChangeReason


class InventoryUpdated(BaseModel):
    """Payload of an `inventory.updated` event (contracts/events/inventory.updated.schema.json)."""

    event_id: uuid.UUID
    book_id: uuid.UUID
    previous_available: int
    new_available: int
    delta: int
    reason: StockChangeReason
    order_id: uuid.UUID | None
    occurred_at: datetime


class OrderLine(BaseModel):
    book_id: uuid.UUID
    quantity: int = Field(ge=1, le=1000)
    unit_price: Decimal = Field(ge=0)


class OrderCreated(BaseModel):
    """The `order.created` contract (contracts/events/order.created.schema.json)."""

    model_config = ConfigDict(extra="ignore")

    event_id: uuid.UUID
    order_id: uuid.UUID
    user_id: str = Field(min_length=1)
    items: list[OrderLine] = Field(min_length=1, max_length=100)
    total: Decimal = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    created_at: datetime
