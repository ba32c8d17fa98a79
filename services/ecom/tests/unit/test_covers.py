"""Generated SVG covers: well-formed, deterministic, and a title is always text, never markup."""

import uuid
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest

from ecom.catalog.covers import render_cover
from ecom.models import Book

SVG = "{http://www.w3.org/2000/svg}"
TITLE_SIZE = "28"
AUTHOR_SIZE = "18"


def book(**overrides: Any) -> Book:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "title": "The Hobbit",
        "author": "J. R. R. Tolkien",
        "isbn13": "9780306406157",
        "genre": "Fantasy",
        "published_year": 1937,
        "price": Decimal("12.99"),
        "description": "There and back again.",
        "active": True,
    }
    return Book(**(values | overrides))


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output, parsed to check it)


def texts(root: ET.Element, font_size: str) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text") if el.get("font-size") == font_size]


def fills(root: ET.Element) -> tuple[str | None, str | None]:
    background = root.find(f"{SVG}rect")
    genre = next(root.iter(f"{SVG}text"))
    assert background is not None
    return background.get("fill"), genre.get("fill")


HOSTILE_TITLES = [
    "<img src=x onerror=alert(1)>",
    "</text><script>alert(1)</script>",
    '"><script>alert(document.cookie)</script>',
    "Tom & Jerry's <b>Big</b> ]]> Adventure",
]


class TestRenderCover:
    def test_cover_is_a_well_formed_svg_of_fixed_size(self) -> None:
        root = parse(render_cover(book()))
        assert root.tag == f"{SVG}svg"
        assert (root.get("width"), root.get("height")) == ("300", "450")
        assert texts(root, TITLE_SIZE) == ["The Hobbit"]
        assert texts(root, AUTHOR_SIZE) == ["J. R. R. Tolkien"]

    def test_genre_is_shown_in_capitals(self) -> None:
        root = parse(render_cover(book(genre="Science fiction")))
        assert next(root.iter(f"{SVG}text")).text == "SCIENCE FICTION"

    @pytest.mark.parametrize("title", HOSTILE_TITLES)
    def test_markup_in_a_title_is_rendered_as_text_only(self, title: str) -> None:
        root = parse(render_cover(book(title=title, author=title)))
        tags = {el.tag for el in root.iter()}
        assert tags <= {f"{SVG}svg", f"{SVG}rect", f"{SVG}text"}
        for el in root.iter():
            assert all(not name.lower().startswith("on") for name in el.attrib), el.attrib
        # Wrapping only moves spaces around: the lines are the title, character for character.
        shown = "".join(texts(root, TITLE_SIZE))
        assert shown.replace(" ", "") == title.replace(" ", "")
        assert "".join(texts(root, AUTHOR_SIZE)).replace(" ", "") == title.replace(" ", "")
        assert root.get("aria-label") == title

    def test_long_title_is_cut_to_five_lines_ending_with_an_ellipsis(self) -> None:
        title = " ".join(["Chronicles"] + ["of the very long and winding road"] * 6)
        lines = texts(parse(render_cover(book(title=title))), TITLE_SIZE)
        assert len(lines) == 5
        assert lines[-1].endswith("…")
        assert all(len(line) <= 16 for line in lines)
        assert lines[0] == "Chronicles of"

    def test_long_author_is_cut_to_two_lines_ending_with_an_ellipsis(self) -> None:
        author = "Aaaaaa Bbbbbbbb, Cccccc Dddddddd, Eeeeee Ffffffff and Gggggg Hhhhhhhh"
        lines = texts(parse(render_cover(book(author=author))), AUTHOR_SIZE)
        assert len(lines) == 2
        assert lines[-1].endswith("…")
        assert all(len(line) <= 24 for line in lines)

    def test_short_title_has_no_ellipsis(self) -> None:
        lines = texts(parse(render_cover(book(title="Emma"))), TITLE_SIZE)
        assert lines == ["Emma"]

    def test_colours_depend_on_the_isbn_only(self) -> None:
        first = fills(parse(render_cover(book(isbn13="9780306406157", title="A"))))
        same_isbn = fills(parse(render_cover(book(isbn13="9780306406157", title="B", genre="Other"))))
        other_isbn = fills(parse(render_cover(book(isbn13="9781861972712"))))
        assert first == same_isbn
        assert first != other_isbn
        assert all(colour is not None and colour.startswith("hsl(") for colour in first)

    def test_same_book_renders_identically(self) -> None:
        b = book()
        assert render_cover(b) == render_cover(b)
