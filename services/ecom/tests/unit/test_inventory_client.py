"""Inventory's answers as the checkout saga sees them: success, named short lines, or unavailable."""

import json
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest

from ecom.clients.inventory import InsufficientStock, InventoryClient, InventoryUnavailable, ShortLine
from ecom.clients.service_token import TokenUnavailable
from servicekit.logs import trace_id_var

BASE_URL = "http://inventory.test/"
RESERVATIONS = "http://inventory.test/inven/reservations"

Handler = Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]]


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


class Inventory:
    """A scripted inventory: answers in order (the last one repeats), recording every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(handler: Handler, tokens: StubTokens | None = None) -> InventoryClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return InventoryClient(http, tokens or StubTokens(), base_url=BASE_URL)


def reservation(order_id: uuid.UUID, status: int = 201) -> httpx.Response:
    return httpx.Response(status, json={"order_id": str(order_id), "status": "held"})


def error(status: int, code: str, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"error": code, "detail": code.replace("_", " "), **extra})


def transport_error(kind: type[httpx.TransportError]) -> httpx.TransportError:
    return kind("simulated", request=httpx.Request("POST", RESERVATIONS))


ORDER = uuid.uuid4()
BOOK_A, BOOK_B = sorted((uuid.uuid4(), uuid.uuid4()), key=str)
LINES = {BOOK_A: 2, BOOK_B: 1}


class TestReserve:
    @pytest.mark.parametrize("status", [200, 201])
    async def test_created_or_replayed_reservation_succeeds(self, status: int) -> None:
        inventory = Inventory(reservation(ORDER, status))
        await client(inventory).reserve(ORDER, LINES)
        assert len(inventory.requests) == 1

    async def test_request_carries_the_bearer_token_and_the_order_lines(self) -> None:
        inventory = Inventory(reservation(ORDER))
        await client(inventory).reserve(ORDER, LINES)
        [request] = inventory.requests
        assert request.method == "POST"
        assert str(request.url) == RESERVATIONS
        assert request.headers["authorization"] == "Bearer token-1"
        assert json.loads(request.content) == {
            "order_id": str(ORDER),
            "items": [{"book_id": str(BOOK_A), "quantity": 2}, {"book_id": str(BOOK_B), "quantity": 1}],
        }

    async def test_request_carries_the_callers_trace_id(self) -> None:
        inventory = Inventory(reservation(ORDER))
        token = trace_id_var.set("checkout-trace-1")
        try:
            await client(inventory).reserve(ORDER, LINES)
        finally:
            trace_id_var.reset(token)
        await client(inventory).reserve(ORDER, LINES)
        assert [r.headers.get("x-request-id") for r in inventory.requests] == ["checkout-trace-1", None]

    async def test_insufficient_stock_names_every_short_line(self) -> None:
        lines = [
            {"book_id": str(BOOK_A), "requested": 2, "available": 1},
            {"book_id": str(BOOK_B), "requested": 1, "available": 0},
        ]
        inventory = Inventory(error(409, "insufficient_stock", lines=lines))
        with pytest.raises(InsufficientStock) as raised:
            await client(inventory).reserve(ORDER, LINES)
        assert raised.value.lines == [ShortLine(BOOK_A, 2, 1), ShortLine(BOOK_B, 1, 0)]

    async def test_book_inventory_never_stocked_counts_as_none_available(self) -> None:
        inventory = Inventory(error(404, "book_not_found", book_ids=[str(BOOK_B)]))
        with pytest.raises(InsufficientStock) as raised:
            await client(inventory).reserve(ORDER, LINES)
        assert raised.value.lines == [ShortLine(BOOK_B, 1, 0)]

    @pytest.mark.parametrize(
        "answer",
        [
            httpx.Response(500, text="boom"),
            httpx.Response(502, text="bad gateway"),
            error(503, "service_unavailable"),
            error(403, "forbidden"),
            error(429, "rate_limited"),
            error(409, "reservation_conflict"),
            error(404, "not_found"),
            httpx.Response(404, text="<html>not found</html>"),
            error(422, "validation_error"),
        ],
        ids=["500", "502", "503", "403", "429", "409-conflict", "404-other", "404-html", "422"],
    )
    async def test_other_answers_mean_inventory_is_unavailable(self, answer: httpx.Response) -> None:
        with pytest.raises(InventoryUnavailable):
            await client(Inventory(answer)).reserve(ORDER, LINES)

    @pytest.mark.parametrize("kind", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.ConnectError])
    async def test_timeouts_and_connection_errors_mean_unavailable(self, kind: type[httpx.TransportError]) -> None:
        with pytest.raises(InventoryUnavailable) as raised:
            await client(Inventory(transport_error(kind))).reserve(ORDER, LINES)
        assert isinstance(raised.value.__cause__, kind)

    @pytest.mark.parametrize("kind", [httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError, httpx.WriteError])
    async def test_a_broken_connection_is_sent_again_once(self, kind: type[httpx.TransportError]) -> None:
        inventory = Inventory(transport_error(kind), reservation(ORDER))
        await client(inventory).reserve(ORDER, LINES)
        assert len(inventory.requests) == 2
        assert inventory.requests[0].content == inventory.requests[1].content

    async def test_a_connection_broken_twice_means_unavailable(self) -> None:
        inventory = Inventory(transport_error(httpx.ReadError))
        with pytest.raises(InventoryUnavailable, match="ReadError"):
            await client(inventory).reserve(ORDER, LINES)
        assert len(inventory.requests) == 2

    async def test_a_timeout_is_not_sent_again(self) -> None:
        inventory = Inventory(transport_error(httpx.ReadTimeout), reservation(ORDER))
        with pytest.raises(InventoryUnavailable, match="ReadTimeout"):
            await client(inventory).reserve(ORDER, LINES)
        assert len(inventory.requests) == 1

    async def test_no_service_token_means_unavailable_without_calling_inventory(self) -> None:
        inventory = Inventory(reservation(ORDER))
        with pytest.raises(InventoryUnavailable):
            await client(inventory, StubTokens(fail=True)).reserve(ORDER, LINES)
        assert inventory.requests == []


class TestTokenRefresh:
    async def test_refused_token_is_invalidated_and_the_call_retried_once(self) -> None:
        tokens = StubTokens()
        inventory = Inventory(error(401, "invalid_token"), reservation(ORDER))
        await client(inventory, tokens).reserve(ORDER, LINES)
        assert tokens.invalidations == 1
        assert [r.headers["authorization"] for r in inventory.requests] == ["Bearer token-1", "Bearer token-2"]
        assert inventory.requests[0].content == inventory.requests[1].content

    async def test_token_refused_twice_means_unavailable(self) -> None:
        tokens = StubTokens()
        inventory = Inventory(error(401, "invalid_token"))
        with pytest.raises(InventoryUnavailable, match="401"):
            await client(inventory, tokens).reserve(ORDER, LINES)
        assert len(inventory.requests) == 2
        assert tokens.invalidations == 1


class TestRelease:
    @pytest.mark.parametrize(
        "answer",
        [httpx.Response(200, json={"status": "released"}), error(404, "reservation_not_found")],
        ids=["released", "unknown"],
    )
    async def test_released_or_unknown_reservation_is_fine(
        self, answer: httpx.Response, caplog: pytest.LogCaptureFixture
    ) -> None:
        inventory = Inventory(answer)
        with caplog.at_level(logging.ERROR, logger="ecom.clients.inventory"):
            await client(inventory).release(ORDER)
        assert caplog.records == []
        [request] = inventory.requests
        assert request.method == "DELETE"
        assert str(request.url) == f"{RESERVATIONS}/{ORDER}"
        assert request.headers["authorization"] == "Bearer token-1"

    @pytest.mark.parametrize(
        "answer",
        [error(409, "reservation_committed"), httpx.Response(404, text="<html>not found</html>")],
        ids=["committed", "404-not-inventory"],
    )
    async def test_refused_release_is_logged_not_raised(
        self, answer: httpx.Response, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="ecom.clients.inventory"):
            await client(Inventory(answer)).release(ORDER)
        assert [r.message for r in caplog.records] == ["reservation release refused"]

    @pytest.mark.parametrize("answer", [httpx.Response(500), transport_error(httpx.ReadTimeout)])
    async def test_unavailable_inventory_raises_so_recovery_retries(self, answer: httpx.Response | Exception) -> None:
        with pytest.raises(InventoryUnavailable):
            await client(Inventory(answer)).release(ORDER)


class TestCancel:
    @pytest.mark.parametrize(
        "answer",
        [
            httpx.Response(200, json={"order_id": str(ORDER), "status": "cancelled"}),
            error(404, "reservation_not_found"),
        ],
        ids=["cancelled", "nothing-held"],
    )
    async def test_cancel_posts_to_the_reservations_cancel_route(self, answer: httpx.Response) -> None:
        inventory = Inventory(answer)
        await client(inventory).cancel(ORDER)
        [request] = inventory.requests
        assert request.method == "POST"
        assert str(request.url) == f"{RESERVATIONS}/{ORDER}/cancel"
        assert request.headers["authorization"] == "Bearer token-1"

    @pytest.mark.parametrize(
        "answer",
        [
            httpx.Response(500),
            httpx.Response(503),
            error(409, "conflict"),
            error(404, "not_found"),
            httpx.Response(404, text="<html>not found</html>"),
            transport_error(httpx.ConnectError),
        ],
        ids=["500", "503", "409", "404-route", "404-html", "connect-error"],
    )
    async def test_failed_cancel_means_unavailable(self, answer: httpx.Response | Exception) -> None:
        with pytest.raises(InventoryUnavailable):
            await client(Inventory(answer)).cancel(ORDER)
