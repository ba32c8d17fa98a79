from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from inventory.stock.schemas import StockRead
from servicekit.validation import NoNul


class StockSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    available: int = Field(ge=0, le=1_000_000)


class StockAdjust(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    delta: int = Field(ge=-100_000, le=100_000, description="Non-zero change of the available count")
    reason: Annotated[str, Field(min_length=1, max_length=200), NoNul]

    @field_validator("delta")
    @classmethod
    def _non_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("delta must not be zero")
        return value


class StockPage(BaseModel):
    items: list[StockRead]
    total: int
    page: int
    size: int
