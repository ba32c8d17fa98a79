import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from ecom.catalog.repository import _ORDER
from ecom.catalog.schemas import BookRead, BookWrite, SortOrder
from ecom.models import Book


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": "Dune",
        "author": "Frank Herbert",
        "isbn13": "9780306406157",
        "genre": "Science fiction",
        "year": 1965,
        "price": "9.99",
        "description": "Spice.",
    }
    return values | overrides


class TestBookWriteIsbn:
    @pytest.mark.parametrize("isbn", ["978-0-306-40615-7", "978 0 306 40615 7", "9780306406157"])
    def test_valid_isbn_is_normalised_to_13_digits(self, isbn: str) -> None:
        assert BookWrite.model_validate(body(isbn13=isbn)).isbn13 == "9780306406157"

    @pytest.mark.parametrize(
        "isbn",
        ["9780306406158", "978-0-306-40615-8", "978030640615X", "978030640615", "97803064061577", ""],
    )
    def test_bad_check_digit_or_length_is_rejected(self, isbn: str) -> None:
        with pytest.raises(ValidationError, match="isbn13"):
            BookWrite.model_validate(body(isbn13=isbn))


class TestBookWriteYear:
    def test_next_year_is_accepted_for_announced_books(self) -> None:
        assert BookWrite.model_validate(body(year=date.today().year + 1)).year == date.today().year + 1

    def test_year_after_next_is_rejected_as_future(self) -> None:
        with pytest.raises(ValidationError, match="future"):
            BookWrite.model_validate(body(year=date.today().year + 2))

    def test_printing_press_year_is_the_earliest(self) -> None:
        assert BookWrite.model_validate(body(year=1450)).year == 1450
        with pytest.raises(ValidationError, match="year"):
            BookWrite.model_validate(body(year=1449))


class TestBookWritePrice:
    @pytest.mark.parametrize(("price", "expected"), [("12.5", Decimal("12.5")), ("0.01", Decimal("0.01"))])
    def test_positive_price_with_up_to_two_decimals_is_accepted(self, price: str, expected: Decimal) -> None:
        assert BookWrite.model_validate(body(price=price)).price == expected

    @pytest.mark.parametrize("price", ["0", "0.00", "-1.00", "12.345", "10000.01", "abc"])
    def test_zero_negative_over_limit_or_fractional_cent_prices_are_rejected(self, price: str) -> None:
        with pytest.raises(ValidationError, match="price"):
            BookWrite.model_validate(body(price=price))


class TestBookWriteText:
    def test_surrounding_whitespace_is_stripped(self) -> None:
        book = BookWrite.model_validate(body(title="  Dune \n", author="\tFrank Herbert ", genre=" SF "))
        assert (book.title, book.author, book.genre) == ("Dune", "Frank Herbert", "SF")

    @pytest.mark.parametrize("field", ["title", "author", "genre"])
    def test_blank_text_is_rejected(self, field: str) -> None:
        with pytest.raises(ValidationError, match=field):
            BookWrite.model_validate(body(**{field: "   "}))

    def test_overlong_title_is_rejected(self) -> None:
        with pytest.raises(ValidationError, match="title"):
            BookWrite.model_validate(body(title="x" * 301))

    @pytest.mark.parametrize("extra", [{"id": str(uuid.uuid4())}, {"active": False}, {"published_year": 2000}])
    def test_unknown_fields_are_rejected(self, extra: dict[str, Any]) -> None:
        with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
            BookWrite.model_validate(body() | extra)


class TestBookRead:
    def test_reads_a_book_row_with_its_cover_url(self) -> None:
        book_id = uuid.uuid4()
        row = Book(
            id=book_id,
            title="Dune",
            author="Frank Herbert",
            isbn13="9780306406157",
            genre="SF",
            published_year=1965,
            price=Decimal("9.99"),
            description="Spice.",
        )
        read = BookRead.model_validate(row)
        assert read.year == 1965
        assert read.cover_url == f"/ecom/books/{book_id}/cover.svg"
        dumped = read.model_dump(mode="json")
        assert dumped["cover_url"] == f"/ecom/books/{book_id}/cover.svg"
        assert dumped["year"] == 1965 and "published_year" not in dumped


class TestSortOrder:
    def test_query_values(self) -> None:
        assert {s.value for s in SortOrder} == {
            "title",
            "-title",
            "author",
            "-author",
            "price",
            "-price",
            "year",
            "-year",
            "newest",
        }
        assert SortOrder("-price") is SortOrder.PRICE_DESC

    def test_every_sort_order_has_an_sql_ordering(self) -> None:
        assert set(_ORDER) == set(SortOrder)

    def test_unknown_sort_value_is_rejected(self) -> None:
        with pytest.raises(ValueError):
            SortOrder("rating")
