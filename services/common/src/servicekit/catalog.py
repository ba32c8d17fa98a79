"""The shared catalog seed (data/catalog/books.json): the books whose stock this service holds."""

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, TypeAdapter


def is_valid_isbn13(isbn: str) -> bool:
    if len(isbn) != 13 or not isbn.isdigit():
        return False
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(isbn[:12]))
    return (10 - total % 10) % 10 == int(isbn[12])


def _isbn13(value: str) -> str:
    if not is_valid_isbn13(value):
        raise ValueError(f"{value!r} is not a valid ISBN-13")
    return value


class CatalogBook(BaseModel):
    id: uuid.UUID
    title: str = Field(min_length=1, max_length=300)
    author: str = Field(min_length=1, max_length=200)
    isbn13: Annotated[str, AfterValidator(_isbn13)]
    genre: str = Field(min_length=1, max_length=50)
    year: int
    price: Decimal = Field(gt=0, max_digits=8, decimal_places=2)
    description: str = Field(min_length=1, max_length=1000)
    initial_stock: int = Field(ge=0)


_books = TypeAdapter(list[CatalogBook])


def load_catalog(path: Path) -> list[CatalogBook]:
    return _books.validate_python(json.loads(path.read_text(encoding="utf-8")))
