import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ecom.catalog import service
from ecom.catalog.covers import render_cover
from ecom.catalog.dependencies import SearcherDep
from ecom.catalog.schemas import (
    MAX_AUTHOR,
    MAX_GENRE,
    MAX_PAGE,
    MAX_QUERY,
    MAX_SIZE,
    BookPage,
    BookRead,
    GenreCount,
    SortOrder,
)
from ecom.config import API_PREFIX
from ecom.ratelimit import rate_limit
from servicekit.db import ReaderDep, SessionDep
from servicekit.errors import error_responses
from servicekit.validation import NoNul

router = APIRouter(prefix=f"{API_PREFIX}/books", tags=["catalog"], dependencies=[Depends(rate_limit)])

Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number")]
Size = Annotated[int, Query(ge=1, le=MAX_SIZE, description=f"items per page (at most {MAX_SIZE})")]


@router.get("", response_model=BookPage, responses=error_responses(422, 429))
async def list_books(
    reader: ReaderDep,
    page: Page = 1,
    size: Size = 20,
    genre: Annotated[str | None, Query(min_length=1, max_length=MAX_GENRE), NoNul] = None,
    author: Annotated[str | None, Query(min_length=1, max_length=MAX_AUTHOR), NoNul] = None,
    sort: SortOrder = SortOrder.TITLE,
) -> Response:
    """The catalog, one page at a time, optionally filtered by genre and author."""
    body = await service.list_books(reader, page=page, size=size, genre=genre, author=author, sort=sort)
    return Response(body, media_type="application/json")


@router.get("/search", response_model=BookPage, responses=error_responses(422, 429))
async def search_books(
    searcher: SearcherDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY, pattern=r"\S", description="words to look for"), NoNul],
    page: Page = 1,
    size: Size = 20,
) -> Response:
    """Ranked full-text search over title, author and description; tolerates typos."""
    return Response(await service.search(searcher, q.strip(), page=page, size=size), media_type="application/json")


@router.get("/genres", response_model=list[GenreCount], responses=error_responses(429))
async def list_genres(session: SessionDep) -> list[GenreCount]:
    """Every genre in the catalog with its number of books."""
    return await service.genres(session)


@router.get("/{book_id}", response_model=BookRead, responses=error_responses(404, 422, 429))
async def get_book(book_id: uuid.UUID, session: SessionDep) -> BookRead:
    """One book of the catalog."""
    return BookRead.model_validate(await service.get_book(session, book_id))


@router.get(
    "/{book_id}/cover.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **error_responses(404, 422, 429)},
)
async def get_cover(book_id: uuid.UUID, session: SessionDep) -> Response:
    """The book's cover, generated as SVG."""
    book = await service.get_book(session, book_id)
    return Response(
        render_cover(book),
        media_type="image/svg+xml",
        headers={
            "Cache-Control": "public, max-age=60",
            # An SVG opened directly must not run anything, whatever a title contains.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        },
    )
