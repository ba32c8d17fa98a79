"""Inventory's internal reservation API, called with the ecom service account's token.

Over aiohttp: each checkout makes this call, and httpx's client spent about three times as much CPU per call
(1.3–1.4 ms against 0.44 ms on loopback, docs/benchmarks.md), a tenth of ecom's CPU per order."""

import json as jsonlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp

from ecom.clients.service_token import TokenSource, TokenUnavailable
from servicekit.logs import trace_id_var

logger = logging.getLogger(__name__)


# The connection failed rather than the service being slow: nothing was answered, the call can be sent again.
# (aiohttp's timeouts are TimeoutErrors, some of them ServerConnectionErrors too: they are told apart first.)
_BROKEN_CONNECTION = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)


@dataclass(frozen=True)
class Answer:
    """Inventory's answer, read whole."""

    status_code: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.body)


class InventoryUnavailable(Exception):
    """No usable answer: unreachable, too slow, 5xx, or our token was refused."""


@dataclass(frozen=True)
class ShortLine:
    book_id: uuid.UUID
    requested: int
    available: int


class InsufficientStock(Exception):
    def __init__(self, lines: list[ShortLine]) -> None:
        super().__init__(f"{len(lines)} line(s) short")
        self.lines = lines


class InventoryClient:
    def __init__(self, http: aiohttp.ClientSession, tokens: TokenSource, *, base_url: str) -> None:
        self._http = http
        self._tokens = tokens
        self._base = base_url.rstrip("/") + "/inven/reservations"

    async def _call(self, method: str, path: str, json: Any = None) -> Answer:
        """One call to inventory. A refused token is refreshed and the call sent again once; so is a call whose
        connection broke before an answer (inventory closed the kept-alive connection just then): every call here is
        idempotent on inventory's side (a reservation is keyed by its order). A timeout is not retried: the
        checkout's time budget is spent (the session's timeout covers the whole call)."""
        body = None if json is None else jsonlib.dumps(json).encode()
        token_refreshed = resent = False
        while True:
            try:
                token = await self._tokens.get()
                headers = {"Authorization": f"Bearer {token}"}
                if body is not None:
                    headers["Content-Type"] = "application/json"
                if (trace_id := trace_id_var.get()) is not None:
                    headers["X-Request-Id"] = trace_id  # inventory logs the call under the checkout's trace id
                async with self._http.request(method, f"{self._base}{path}", data=body, headers=headers) as r:
                    response = Answer(r.status, r.headers.get("Content-Type", ""), await r.read())
            except TimeoutError as exc:
                raise InventoryUnavailable(f"no answer in time: {exc!r}") from exc
            except _BROKEN_CONNECTION as exc:
                if resent:
                    raise InventoryUnavailable(repr(exc)) from exc
                logger.info("inventory connection broke; sending again", extra={"error": repr(exc)})
                resent = True
                continue
            except (aiohttp.ClientError, TokenUnavailable) as exc:
                raise InventoryUnavailable(repr(exc)) from exc
            if response.status_code == 401 and not token_refreshed:
                self._tokens.invalidate()  # expired or rotated: fetch a fresh one once
                token_refreshed = True
                continue
            if response.status_code >= 500 or response.status_code in (401, 403, 429):
                raise InventoryUnavailable(f"inventory answered {response.status_code}: {response.text[:200]}")
            return response

    async def reserve(self, order_id: uuid.UUID, lines: dict[uuid.UUID, int]) -> None:
        """Hold every line's stock for the order, or raise InsufficientStock naming the short lines."""
        body = {
            "order_id": str(order_id),
            "items": [{"book_id": str(book_id), "quantity": quantity} for book_id, quantity in lines.items()],
        }
        response = await self._call("POST", "", json=body)
        if response.status_code in (200, 201):
            return
        error = _json(response)
        if response.status_code == 409 and error.get("error") == "insufficient_stock":
            try:
                short = [ShortLine(uuid.UUID(s["book_id"]), s["requested"], s["available"]) for s in error["lines"]]
            except (KeyError, TypeError, ValueError) as exc:
                raise InventoryUnavailable(f"unreadable insufficient_stock answer: {response.text[:200]}") from exc
            raise InsufficientStock(short)
        if response.status_code == 404 and error.get("error") == "book_not_found":
            # A catalog book inventory has never stocked: nothing can be sold.
            missing = {uuid.UUID(b) for b in error.get("book_ids", [])}
            raise InsufficientStock([ShortLine(b, q, 0) for b, q in lines.items() if b in missing])
        raise InventoryUnavailable(f"unexpected reservation answer {response.status_code}: {response.text[:200]}")

    async def release(self, order_id: uuid.UUID) -> None:
        """Give a held reservation's stock back (after a failed checkout); unknown or done ones are fine."""
        response = await self._call("DELETE", f"/{order_id}")
        if response.status_code != 200 and _error_code(response) != "reservation_not_found":
            logger.error(
                "reservation release refused",
                extra={"order_id": str(order_id), "status": response.status_code, "body": response.text[:200]},
            )

    async def cancel(self, order_id: uuid.UUID) -> None:
        """Return a cancelled order's stock, whether its reservation is still held or already committed."""
        response = await self._call("POST", f"/{order_id}/cancel")
        if response.status_code == 200 or _error_code(response) == "reservation_not_found":
            return  # nothing was held for the order, so nothing goes back
        raise InventoryUnavailable(f"cancel answered {response.status_code}: {response.text[:200]}")


def _json(response: Answer) -> dict[str, Any]:
    if not response.content_type.startswith("application/json"):
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_code(response: Answer) -> str | None:
    code = _json(response).get("error")
    return code if isinstance(code, str) else None
