import uuid
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, computed_field

from ecom.config import API_PREFIX
from servicekit.catalog import is_valid_isbn13
from servicekit.validation import NoNul

Text300 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), NoNul]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
Genre = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NoNul]


def _isbn13(value: str) -> str:
    digits = value.replace("-", "").replace(" ", "")
    if not is_valid_isbn13(digits):
        raise ValueError("not a valid ISBN-13 (13 digits with a correct check digit)")
    return digits


def _year(value: int) -> int:
    if value > date.today().year + 1:
        raise ValueError("publication year lies in the future")
    return value


# The list and search parameters' limits: the routes declare them, the fast path (catalog.fast) checks the same.
MAX_PAGE = 100_000
MAX_SIZE = 100
MAX_GENRE = 50
MAX_AUTHOR = 200
MAX_QUERY = 200


def cover_url(book_id: uuid.UUID) -> str:
    return f"{API_PREFIX}/books/{book_id}/cover.svg"


class SortOrder(StrEnum):
    TITLE = "title"
    TITLE_DESC = "-title"
    AUTHOR = "author"
    AUTHOR_DESC = "-author"
    PRICE = "price"
    PRICE_DESC = "-price"
    YEAR = "year"
    YEAR_DESC = "-year"
    NEWEST = "newest"


class BookWrite(BaseModel):
    """What an admin sends to create or replace a book."""

    model_config = ConfigDict(extra="forbid")

    title: Text300
    author: Text200
    isbn13: Annotated[str, Field(min_length=13, max_length=17), AfterValidator(_isbn13)]
    genre: Genre
    year: Annotated[int, Field(ge=1450), AfterValidator(_year)]
    price: Decimal = Field(gt=0, le=Decimal("10000"), max_digits=7, decimal_places=2)
    description: Annotated[str, Field(min_length=1, max_length=2000), NoNul]


class BookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    author: str
    isbn13: str
    genre: str
    year: int = Field(validation_alias="published_year")
    price: Decimal
    description: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cover_url(self) -> str:
        return cover_url(self.id)


class BookPage(BaseModel):
    items: list[BookRead]
    total: int
    page: int
    size: int


class GenreCount(BaseModel):
    genre: str
    count: int
