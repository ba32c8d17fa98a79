"""ecom.catalog.fast: the list and search pages it answers equal the routes' answers (the same requests sent to an
app with the fast path switched off), and whatever it does not take plainly reaches the routes."""

import ipaddress
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from factories import SigningKey, bearer, create_book, customer_token
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Scope, Send

from ecom.catalog.fast import FastCatalogReads

GENRE = f"G-{uuid.uuid4().hex[:10]}"
WORD = f"w{uuid.uuid4().hex[:12]}"

# (query string, whether the fast path answers it)
LISTS = [
    ("", True),
    (f"genre={GENRE}", True),
    (f"page=2&size=2&genre={GENRE.upper()}&sort=-price", True),
    (f"sort=year&author=ann&genre={GENRE}", True),
    (f"genre={GENRE}&nocache=12345", True),  # unknown parameters are ignored, as the route ignores them
    (f"genre={GENRE}&page=0005", True),
    (f"genre={GENRE}&page=9", True),  # past the end: empty page with the total
    ("page=0", False),
    ("page=abc", False),
    ("page=%2B2", False),  # the route takes "+2" as 2; left to it
    ("page=100001", False),
    ("size=101", False),
    ("size=%D9%A1", False),  # an Arabic-Indic digit
    ("sort=bogus", False),
    ("sort=", False),
    ("genre=", False),
    ("genre=a%00b", False),
    ("author=" + "x" * 201, False),
    ("page=1&page=2", False),
]
SEARCHES = [
    (f"q={WORD}", True),
    (f"q=%20{WORD}%20&size=2&page=2", True),
    ("q=%C3%A9mile%20zola", True),
    ("q=", False),
    ("q=%20%20", False),
    ("", False),
    (f"q={WORD}&size=0", False),
    ("q=" + "y" * 201, False),
    ("q=a%00b", False),
    (f"q={WORD}&q=other", False),
]


@pytest.fixture(scope="module")
async def books(ecom_db: async_sessionmaker[AsyncSession]) -> None:
    for title, author, price, year in (("Emma", "Ann Author", "12.50", 1815), ("Zed", "Émile Zola", "0.99", 1880)):
        await create_book(ecom_db, title=title, author=author, price=price, year=year, genre=GENRE, description=WORD)
    await create_book(ecom_db, title="Mid", author="Bob", price="30.00", year=2001, genre=GENRE, description=WORD)


@pytest.fixture(scope="module")
async def routes_only(build_app: Callable[..., FastAPI]) -> AsyncIterator[AsyncClient]:
    """The same app with every request taking the routes."""
    app = build_app(fast_catalog=False)
    async with LifespanManager(app), AsyncClient(transport=ASGITransport(app), base_url="https://ecom.test") as c:
        yield c


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the fast path answered each request (True) or left it to the routes (False)."""
    seen: list[bool] = []
    original = FastCatalogReads._answer

    async def spy(self: FastCatalogReads, scope: Scope, send: Send, *route: Any) -> bool:
        result = await original(self, scope, send, *route)
        seen.append(result)
        return result

    monkeypatch.setattr(FastCatalogReads, "_answer", spy)
    return seen


def same(fast: Response, slow: Response) -> None:
    assert fast.status_code == slow.status_code
    assert fast.headers["content-type"] == slow.headers["content-type"]
    assert fast.json() == slow.json()


@pytest.mark.usefixtures("books")
class TestSameAnswers:
    @pytest.mark.parametrize(
        ("path", "query", "taken"),
        [("/ecom/books", *case) for case in LISTS] + [("/ecom/books/search", *case) for case in SEARCHES],
    )
    async def test_the_same_answer_as_the_route(
        self, client: AsyncClient, routes_only: AsyncClient, answered: list[bool], path: str, query: str, taken: bool
    ) -> None:
        fast = await client.get(f"{path}?{query}")
        assert answered == [taken]
        same(fast, await routes_only.get(f"{path}?{query}"))
        assert fast.status_code == 200 or not taken

    async def test_a_page_with_books_is_answered_here_with_them(
        self, client: AsyncClient, answered: list[bool]
    ) -> None:
        page = (await client.get("/ecom/books", params={"genre": GENRE, "sort": "price"})).json()
        assert answered == [True]
        assert [(b["title"], b["price"]) for b in page["items"]] == [
            ("Zed", "0.99"),
            ("Emma", "12.50"),
            ("Mid", "30.00"),
        ]
        assert page["total"] == 3

    async def test_a_caller_with_a_bearer_token_takes_the_routes(
        self, client: AsyncClient, answered: list[bool], signing_key: SigningKey
    ) -> None:
        user = bearer(customer_token(signing_key, sub=str(uuid.uuid4())))
        assert (await client.get("/ecom/books", params={"genre": GENRE}, headers=user)).json()["total"] == 3
        assert answered == [False]


class TestAroundIt:
    async def test_access_log_histogram_and_request_id_as_for_a_route(
        self, client: AsyncClient, app: FastAPI, answered: list[bool]
    ) -> None:
        response = await client.get("/ecom/books", headers={"X-Request-Id": "fast-path-1"})
        assert answered == [True]
        assert response.headers["x-request-id"] == "fast-path-1"
        metrics = (await client.get("/ecom/metrics")).text
        assert 'ecom_http_request_duration_seconds_count{method="GET",route="/ecom/books",status="200"}' in metrics

    async def test_cors_headers_for_the_storefront(
        self, client: AsyncClient, app: FastAPI, answered: list[bool]
    ) -> None:
        origin = app.state.settings.cors_origins[0]
        response = await client.get("/ecom/books", headers={"Origin": origin})
        assert answered == [True]
        assert response.headers["access-control-allow-origin"] == origin

    async def test_a_spent_budget_is_429_from_the_route(self, build_app: Callable[..., FastAPI]) -> None:
        app = build_app(rate_limit_per_minute=2)
        address = {
            "X-Forwarded-For": str(ipaddress.IPv6Address("2001:db8::") + uuid.uuid4().int % 2**96)
        }  # unique: a fresh budget
        async with LifespanManager(app), AsyncClient(transport=ASGITransport(app), base_url="https://ecom.test") as c:
            statuses = [(await c.get("/ecom/books/search", params={"q": WORD}, headers=address)) for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert statuses[2].json()["error"] == "rate_limited"
        assert int(statuses[2].headers["retry-after"]) >= 1
