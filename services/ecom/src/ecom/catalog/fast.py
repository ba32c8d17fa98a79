"""The catalog's two hottest reads, `GET /ecom/books` and `GET /ecom/books/search`, answered without FastAPI's
routing and dependency resolution when their parameters are plainly valid.

Every shopper browsing or searching sends these; PostgreSQL writes the page (`catalog.repository`), so what is left
per request is the framework: measured in-process, a page cost 0.19 ms of CPU for the pool, the statement and its
JSON, and about 0.8 ms more through FastAPI's dependency solving, parameter validation and exception layers
(docs/benchmarks.md). This middleware sits inside the access log, the latency histogram and CORS, so a page
answered here is logged, measured and CORS-checked like any other, and it calls the same rate limiter and the same
`catalog.service` functions as the routes. Whatever it does not take plainly (a bearer token to check, a parameter
that is missing its value, repeated, out of range, or not an accepted sort, a spent rate budget) goes on to the
routes unchanged, which validate it, answer with the usual error bodies and keep the OpenAPI description. A test
sends the same requests to an app built without it (`ECOM_FAST_CATALOG=false`) and compares the answers.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ecom.catalog import service
from ecom.catalog.schemas import MAX_AUTHOR, MAX_GENRE, MAX_PAGE, MAX_QUERY, MAX_SIZE, SortOrder
from ecom.config import API_PREFIX, Settings
from servicekit.db import plain_connection
from servicekit.errors import TooManyRequests
from servicekit.ratelimit import enforce_rate_limit

SORTS = {order.value: order for order in SortOrder}


@dataclass(frozen=True)
class RouteTemplate:
    """What the access log and the latency histogram read from `scope["route"]`: the route's path template."""

    path: str


def _params(query_string: bytes, known: frozenset[str]) -> dict[str, str] | None:
    """The `known` parameters of a query string, decoded as Starlette decodes it; None if one of them is repeated.
    Other parameters are ignored, as the routes ignore them."""
    params: dict[str, str] = {}
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if key in known:
            if key in params:
                return None
            params[key] = value
    return params


def _number(value: str | None, default: int, top: int) -> int | None:
    """A page or size in 1..top (ASCII digits only); None if it is anything else."""
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or len(value) > 7:
        return None
    number = int(value)
    return number if 1 <= number <= top else None


def _text(value: str | None, longest: int) -> str | None:
    """A filter's text as the routes accept it (1..longest characters, no NUL); None if absent or not."""
    if value is None or not 1 <= len(value) <= longest or "\x00" in value:
        return None
    return value


def list_args(query_string: bytes) -> dict[str, Any] | None:
    """`list_books`' arguments for a query string the route would accept as it is; None for anything else."""
    params = _params(query_string, frozenset(("page", "size", "genre", "author", "sort")))
    if params is None:
        return None
    page, size = _number(params.get("page"), 1, MAX_PAGE), _number(params.get("size"), 20, MAX_SIZE)
    genre, author = _text(params.get("genre"), MAX_GENRE), _text(params.get("author"), MAX_AUTHOR)
    sort = SORTS.get(params.get("sort", SortOrder.TITLE.value))
    if page is None or size is None or sort is None:
        return None
    if (genre is None and "genre" in params) or (author is None and "author" in params):
        return None
    return {"page": page, "size": size, "genre": genre, "author": author, "sort": sort}


def search_args(query_string: bytes) -> dict[str, Any] | None:
    """`search`'s arguments for a query string the route would accept as it is; None for anything else."""
    params = _params(query_string, frozenset(("q", "page", "size")))
    if params is None:
        return None
    page, size = _number(params.get("page"), 1, MAX_PAGE), _number(params.get("size"), 20, MAX_SIZE)
    q = _text(params.get("q"), MAX_QUERY)
    if page is None or size is None or q is None or not q.strip():
        return None
    return {"q": q.strip(), "page": page, "size": size}


Answer = Callable[[Any, dict[str, Any]], Awaitable[bytes]]


async def _list(connection: Any, args: dict[str, Any]) -> bytes:
    return await service.list_books(connection, **args)


async def _search(connection: Any, args: dict[str, Any]) -> bytes:
    return await service.search(connection, args.pop("q"), **args)


# Path -> its template, its parameters' parser, its answer, and the `app.state` pool it reads from (the routes' own:
# the plain pool for the list, the search pool for search, `catalog.dependencies`).
ROUTES: dict[str, tuple[RouteTemplate, Callable[[bytes], dict[str, Any] | None], Answer, str]] = {
    f"{API_PREFIX}/books": (RouteTemplate(f"{API_PREFIX}/books"), list_args, _list, "plain_pool"),
    f"{API_PREFIX}/books/search": (RouteTemplate(f"{API_PREFIX}/books/search"), search_args, _search, "search_pool"),
}


class FastCatalogReads:
    """ASGI middleware: the catalog's list and search pages for anonymous callers with plainly valid parameters."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = ROUTES.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        if route is None or not await self._answer(scope, send, *route):
            await self.app(scope, receive, send)

    async def _answer(
        self,
        scope: Scope,
        send: Send,
        template: RouteTemplate,
        parse: Callable[[bytes], dict[str, Any] | None],
        answer: Answer,
        pool: str,
    ) -> bool:
        """True once the page is sent; False, having sent nothing, to leave the request to the routes."""
        args = parse(scope["query_string"])
        request = Request(scope)
        settings: Settings = request.app.state.settings
        if args is None or "authorization" in request.headers:
            return False
        try:
            await enforce_rate_limit(
                request, None, limit=settings.rate_limit_per_minute, proxy_hops=settings.trusted_proxy_hops
            )
        except TooManyRequests:
            return False  # the route counts the request again and answers 429 with its usual body
        async with plain_connection(getattr(request.app.state, pool)) as connection:
            body = await answer(connection, args)
        scope["route"] = template
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True
