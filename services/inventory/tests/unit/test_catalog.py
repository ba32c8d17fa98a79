from collections import Counter
from decimal import Decimal

import pytest

from inventory.config import REPO_ROOT
from servicekit.catalog import CatalogBook, is_valid_isbn13, load_catalog

CATALOG = REPO_ROOT / "data" / "catalog" / "books.json"


@pytest.fixture(scope="module")
def books() -> list[CatalogBook]:
    return load_catalog(CATALOG)


class TestIsbn13:
    @pytest.mark.parametrize("isbn", ["9780547928227", "9780441172719", "9781400079988"])
    def test_real_isbns_pass(self, isbn: str) -> None:
        assert is_valid_isbn13(isbn)

    @pytest.mark.parametrize("isbn", ["9780547928228", "978054792822", "97805479282270", "978054792822X", ""])
    def test_wrong_check_digit_or_shape_fails(self, isbn: str) -> None:
        assert not is_valid_isbn13(isbn)


class TestCatalogSeed:
    def test_every_isbn_passes_the_checksum(self, books: list[CatalogBook]) -> None:
        bad = [book.isbn13 for book in books if not is_valid_isbn13(book.isbn13)]
        assert bad == []

    def test_has_at_least_sixty_books_in_a_dozen_genres(self, books: list[CatalogBook]) -> None:
        assert len(books) >= 60
        assert len({book.genre for book in books}) >= 12

    def test_ids_and_isbns_are_unique(self, books: list[CatalogBook]) -> None:
        assert [i for i, n in Counter(b.id for b in books).items() if n > 1] == []
        assert [i for i, n in Counter(b.isbn13 for b in books).items() if n > 1] == []

    def test_includes_the_hobbit(self, books: list[CatalogBook]) -> None:
        assert any(b.title == "The Hobbit" and b.author == "J.R.R. Tolkien" for b in books)

    def test_stock_varies_and_some_books_are_nearly_sold_out(self, books: list[CatalogBook]) -> None:
        assert len({b.initial_stock for b in books}) > 10
        assert sum(1 <= b.initial_stock <= 3 for b in books) >= 3

    def test_prices_are_positive_two_place_decimals(self, books: list[CatalogBook]) -> None:
        assert all(b.price > 0 and b.price == b.price.quantize(Decimal("0.01")) for b in books)
