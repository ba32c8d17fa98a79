import uuid
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

MAX_QUANTITY = 99


class CartAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    book_id: uuid.UUID
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)


class CartQuantity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class CartLine(BaseModel):
    book_id: uuid.UUID
    title: str
    author: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal
    cover_url: str
    # False once an admin removed the book: the line stays visible but cannot be bought.
    available: bool


class CartRead(BaseModel):
    items: list[CartLine]
    total: Decimal
    item_count: int
    guest: bool
