"""Inventory's answers as the checkout saga sees them: success, named short lines, or unavailable.

Inventory here is a scripted aiohttp server on a loopback port: the client's real connection handling (a dropped
connection, a timeout, a refused connection) is what is tested, not a model of it."""

import asyncio
import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import RawTestServer

from ecom.clients.inventory import InsufficientStock, InventoryClient, InventoryUnavailable, ShortLine
from ecom.clients.service_token import TokenUnavailable
from servicekit.logs import trace_id_var

TIMEOUT = 0.5


class StubTokens:
    """Hands out token-1, then token-2 after each invalidate(); can be told to fail."""

    def __init__(self, *, fail: bool = False) -> None:
        self.generation = 1
        self.invalidations = 0
        self.fail = fail

    async def get(self) -> str:
        if self.fail:
            raise TokenUnavailable("token endpoint unreachable")
        return f"token-{self.generation}"

    def invalidate(self) -> None:
        self.invalidations += 1
        self.generation += 1


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # JSON
    text: str | None = None


DROP = "drop"  # close the connection without an answer
HANG = "hang"  # answer after the client's timeout


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Inventory:
    """A scripted inventory: answers in order (the last one repeats), recording every request."""

    def __init__(self, *answers: Reply | str) -> None:
        self.answers = list(answers)
        self.requests: list[Seen] = []

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        self.requests.append(
            Seen(request.method, request.path, {k.lower(): v for k, v in request.headers.items()}, await request.read())
        )
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer == DROP:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if answer == HANG:
            await asyncio.sleep(TIMEOUT * 4)
            return web.Response()
        assert isinstance(answer, Reply)
        if answer.text is not None:
            return web.Response(status=answer.status, text=answer.text, content_type="text/html")
        return web.json_response(answer.body, status=answer.status)


Connect = Callable[..., InventoryClient]


@pytest.fixture
async def client() -> AsyncIterator[Connect]:
    """`client(inventory, tokens=None)`: an InventoryClient talking over loopback to a server that answers as that
    scripted inventory does (`client(None)`: to a port where nothing listens)."""
    script: list[Inventory] = []

    async def answer(request: web.BaseRequest) -> web.StreamResponse:
        return await script[-1](request)

    server = RawTestServer(answer, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http:

            def connect(inventory: Inventory | None, tokens: StubTokens | None = None) -> InventoryClient:
                if inventory is None:
                    return InventoryClient(http, tokens or StubTokens(), base_url=f"http://127.0.0.1:{closed_port()}")
                script.append(inventory)
                return InventoryClient(http, tokens or StubTokens(), base_url=str(server.make_url("/")))

            yield connect
    finally:
        await server.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reservation(order_id: uuid.UUID, status: int = 201) -> Reply:
    return Reply(status, {"order_id": str(order_id), "status": "held"})


def error(status: int, code: str, **extra: Any) -> Reply:
    return Reply(status, {"error": code, "detail": code.replace("_", " "), **extra})


RESERVATIONS = "/inven/reservations"
ORDER = uuid.uuid4()
BOOK_A, BOOK_B = sorted((uuid.uuid4(), uuid.uuid4()), key=str)
LINES = {BOOK_A: 2, BOOK_B: 1}


class TestReserve:
    @pytest.mark.parametrize("status", [200, 201])
    async def test_created_or_replayed_reservation_succeeds(self, client: Connect, status: int) -> None:
        inventory = Inventory(reservation(ORDER, status))
        await client(inventory).reserve(ORDER, LINES)
        assert len(inventory.requests) == 1

    async def test_request_carries_the_bearer_token_and_the_order_lines(self, client: Connect) -> None:
        inventory = Inventory(reservation(ORDER))
        await client(inventory).reserve(ORDER, LINES)
        [request] = inventory.requests
        assert (request.method, request.path) == ("POST", RESERVATIONS)
        assert request.headers["authorization"] == "Bearer token-1"
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.body) == {
            "order_id": str(ORDER),
            "items": [{"book_id": str(BOOK_A), "quantity": 2}, {"book_id": str(BOOK_B), "quantity": 1}],
        }

    async def test_request_carries_the_callers_trace_id(self, client: Connect) -> None:
        inventory = Inventory(reservation(ORDER))
        token = trace_id_var.set("checkout-trace-1")
        try:
            await client(inventory).reserve(ORDER, LINES)
        finally:
            trace_id_var.reset(token)
        await client(inventory).reserve(ORDER, LINES)
        assert [r.headers.get("x-request-id") for r in inventory.requests] == ["checkout-trace-1", None]

    async def test_insufficient_stock_names_every_short_line(self, client: Connect) -> None:
        lines = [
            {"book_id": str(BOOK_A), "requested": 2, "available": 1},
            {"book_id": str(BOOK_B), "requested": 1, "available": 0},
        ]
        inventory = Inventory(error(409, "insufficient_stock", lines=lines))
        with pytest.raises(InsufficientStock) as raised:
            await client(inventory).reserve(ORDER, LINES)
        assert raised.value.lines == [ShortLine(BOOK_A, 2, 1), ShortLine(BOOK_B, 1, 0)]

    async def test_book_inventory_never_stocked_counts_as_none_available(self, client: Connect) -> None:
        inventory = Inventory(error(404, "book_not_found", book_ids=[str(BOOK_B)]))
        with pytest.raises(InsufficientStock) as raised:
            await client(inventory).reserve(ORDER, LINES)
        assert raised.value.lines == [ShortLine(BOOK_B, 1, 0)]

    @pytest.mark.parametrize(
        "answer",
        [
            Reply(500, text="boom"),
            Reply(502, text="bad gateway"),
            error(503, "service_unavailable"),
            error(403, "forbidden"),
            error(429, "rate_limited"),
            error(409, "reservation_conflict"),
            error(404, "not_found"),
            Reply(404, text="<html>not found</html>"),
            Reply(409, text="<html>conflict</html>"),
            error(422, "validation_error"),
        ],
        ids=["500", "502", "503", "403", "429", "409-conflict", "404-other", "404-html", "409-html", "422"],
    )
    async def test_other_answers_mean_inventory_is_unavailable(self, client: Connect, answer: Reply) -> None:
        inventory = Inventory(answer)
        with pytest.raises(InventoryUnavailable, match=str(answer.status)):
            await client(inventory).reserve(ORDER, LINES)
        assert len(inventory.requests) == 1

    async def test_no_answer_in_time_means_unavailable_and_is_not_sent_again(self, client: Connect) -> None:
        inventory = Inventory(HANG, reservation(ORDER))
        with pytest.raises(InventoryUnavailable, match="no answer in time") as raised:
            await client(inventory).reserve(ORDER, LINES)
        assert isinstance(raised.value.__cause__, TimeoutError)
        assert len(inventory.requests) == 1

    async def test_nothing_listening_means_unavailable(self, client: Connect) -> None:
        with pytest.raises(InventoryUnavailable) as raised:
            await client(None).reserve(ORDER, LINES)
        assert isinstance(raised.value.__cause__, aiohttp.ClientConnectorError)

    async def test_a_broken_connection_is_sent_again_once(self, client: Connect) -> None:
        inventory = Inventory(DROP, reservation(ORDER))
        await client(inventory).reserve(ORDER, LINES)
        assert len(inventory.requests) == 2
        assert inventory.requests[0].body == inventory.requests[1].body

    async def test_a_connection_broken_twice_means_unavailable(self, client: Connect) -> None:
        inventory = Inventory(DROP)
        with pytest.raises(InventoryUnavailable, match="ServerDisconnected"):
            await client(inventory).reserve(ORDER, LINES)
        assert len(inventory.requests) == 2

    async def test_no_service_token_means_unavailable_without_calling_inventory(self, client: Connect) -> None:
        inventory = Inventory(reservation(ORDER))
        with pytest.raises(InventoryUnavailable):
            await client(inventory, StubTokens(fail=True)).reserve(ORDER, LINES)
        assert inventory.requests == []


class TestTokenRefresh:
    async def test_refused_token_is_invalidated_and_the_call_retried_once(self, client: Connect) -> None:
        tokens = StubTokens()
        inventory = Inventory(error(401, "invalid_token"), reservation(ORDER))
        await client(inventory, tokens).reserve(ORDER, LINES)
        assert tokens.invalidations == 1
        assert [r.headers["authorization"] for r in inventory.requests] == ["Bearer token-1", "Bearer token-2"]
        assert inventory.requests[0].body == inventory.requests[1].body

    async def test_token_refused_twice_means_unavailable(self, client: Connect) -> None:
        tokens = StubTokens()
        inventory = Inventory(error(401, "invalid_token"))
        with pytest.raises(InventoryUnavailable, match="401"):
            await client(inventory, tokens).reserve(ORDER, LINES)
        assert len(inventory.requests) == 2
        assert tokens.invalidations == 1


class TestRelease:
    @pytest.mark.parametrize(
        "answer", [Reply(200, {"status": "released"}), error(404, "reservation_not_found")], ids=["released", "unknown"]
    )
    async def test_released_or_unknown_reservation_is_fine(
        self, client: Connect, answer: Reply, caplog: pytest.LogCaptureFixture
    ) -> None:
        inventory = Inventory(answer)
        with caplog.at_level(logging.ERROR, logger="ecom.clients.inventory"):
            await client(inventory).release(ORDER)
        assert caplog.records == []
        [request] = inventory.requests
        assert (request.method, request.path) == ("DELETE", f"{RESERVATIONS}/{ORDER}")
        assert request.headers["authorization"] == "Bearer token-1"

    @pytest.mark.parametrize(
        "answer",
        [error(409, "reservation_committed"), Reply(404, text="<html>not found</html>")],
        ids=["committed", "404-not-inventory"],
    )
    async def test_refused_release_is_logged_not_raised(
        self, client: Connect, answer: Reply, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="ecom.clients.inventory"):
            await client(Inventory(answer)).release(ORDER)
        assert [r.message for r in caplog.records] == ["reservation release refused"]

    @pytest.mark.parametrize("answer", [Reply(500), HANG], ids=["500", "no-answer"])
    async def test_unavailable_inventory_raises_so_recovery_retries(self, client: Connect, answer: Reply | str) -> None:
        with pytest.raises(InventoryUnavailable):
            await client(Inventory(answer)).release(ORDER)


class TestCancel:
    @pytest.mark.parametrize(
        "answer",
        [Reply(200, {"order_id": str(ORDER), "status": "cancelled"}), error(404, "reservation_not_found")],
        ids=["cancelled", "nothing-held"],
    )
    async def test_cancel_posts_to_the_reservations_cancel_route(self, client: Connect, answer: Reply) -> None:
        inventory = Inventory(answer)
        await client(inventory).cancel(ORDER)
        [request] = inventory.requests
        assert (request.method, request.path) == ("POST", f"{RESERVATIONS}/{ORDER}/cancel")
        assert request.headers["authorization"] == "Bearer token-1"

    @pytest.mark.parametrize(
        "answer",
        [
            Reply(500),
            Reply(503),
            error(409, "conflict"),
            error(404, "not_found"),
            Reply(404, text="<html>not found</html>"),
            None,
        ],
        ids=["500", "503", "409", "404-route", "404-html", "nothing-listening"],
    )
    async def test_failed_cancel_means_unavailable(self, client: Connect, answer: Reply | None) -> None:
        with pytest.raises(InventoryUnavailable):
            await client(Inventory(answer) if answer is not None else None).cancel(ORDER)
