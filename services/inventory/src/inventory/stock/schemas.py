import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class StockRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    book_id: uuid.UUID
    available: int
    reserved: int
    updated_at: datetime


class StockLevel(BaseModel):
    available: int
    reserved: int


class StockChangeReason(StrEnum):
    RESERVE = "reserve"
    RELEASE = "release"
    EXPIRE = "expire"
    CANCEL = "cancel"
    ADMIN_SET = "admin_set"
    ADMIN_ADJUST = "admin_adjust"


class ShortLine(BaseModel):
    book_id: uuid.UUID
    requested: int
    available: int


class StockConflictResponse(BaseModel):
    """A 409: `insufficient_stock` names every short line in `lines`; other conflicts carry none."""

    error: str
    detail: str
    lines: list[ShortLine] | None = None
