"""The service account's token: fetched with client credentials, cached, refreshed once for everyone."""

import asyncio
import base64
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from ecom.clients.service_token import ServiceToken, TokenUnavailable

TOKEN_URL = "http://idp.test/realms/bookstore/protocol/openid-connect/token"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TokenEndpoint:
    """Answers like Keycloak: a new token per request, recording what was sent."""

    def __init__(self, *, expires_in: int = 300, status: int = 200) -> None:
        self.expires_in = expires_in
        self.status = status
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        await asyncio.sleep(0)  # let concurrent callers run while this fetch is in flight
        if self.status != 200:
            return httpx.Response(self.status, json={"error": "unauthorized_client"})
        return httpx.Response(
            200,
            json={"access_token": f"token-{len(self.requests)}", "expires_in": self.expires_in, "token_type": "Bearer"},
        )


def make(
    handler: Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]], clock: FakeClock, margin: float = 30.0
) -> ServiceToken:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return ServiceToken(
        http,
        token_url=TOKEN_URL,
        client_id="ecom-service",
        client_secret="s3cret",
        refresh_margin_seconds=margin,
        clock=clock,
    )


class TestFetch:
    async def test_fetches_with_client_credentials_and_basic_auth(self) -> None:
        endpoint = TokenEndpoint()
        assert await make(endpoint, FakeClock()).get() == "token-1"
        [request] = endpoint.requests
        assert request.method == "POST"
        assert str(request.url) == TOKEN_URL
        assert parse_qs(request.content.decode()) == {"grant_type": ["client_credentials"]}
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        scheme, _, credentials = request.headers["authorization"].partition(" ")
        assert scheme == "Basic"
        assert base64.b64decode(credentials).decode() == "ecom-service:s3cret"

    @pytest.mark.parametrize("status", [400, 401, 500, 503])
    async def test_refused_fetch_raises_token_unavailable(self, status: int) -> None:
        with pytest.raises(TokenUnavailable, match=str(status)):
            await make(TokenEndpoint(status=status), FakeClock()).get()

    @pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ReadTimeout])
    async def test_unreachable_endpoint_raises_token_unavailable(self, error: type[httpx.TransportError]) -> None:
        async def handler(request: httpx.Request) -> httpx.Response:
            raise error("down", request=request)

        with pytest.raises(TokenUnavailable, match="unreachable"):
            await make(handler, FakeClock()).get()

    async def test_failed_fetch_is_retried_by_the_next_call(self) -> None:
        endpoint = TokenEndpoint(status=503)
        tokens = make(endpoint, FakeClock())
        with pytest.raises(TokenUnavailable):
            await tokens.get()
        endpoint.status = 200
        assert await tokens.get() == "token-2"


class TestCache:
    async def test_token_is_reused_until_expiry_minus_margin(self) -> None:
        endpoint, clock = TokenEndpoint(expires_in=300), FakeClock()
        tokens = make(endpoint, clock, margin=30)
        assert await tokens.get() == "token-1"
        clock.now = 1000 + 269.5
        assert await tokens.get() == "token-1"
        assert len(endpoint.requests) == 1
        clock.now = 1000 + 270  # 300 s lifetime - 30 s margin after the fetch started
        assert await tokens.get() == "token-2"
        assert len(endpoint.requests) == 2

    async def test_short_lived_token_is_kept_for_half_its_lifetime(self) -> None:
        endpoint, clock = TokenEndpoint(expires_in=40), FakeClock()
        tokens = make(endpoint, clock, margin=30)
        await tokens.get()
        clock.now = 1000 + 19.5
        assert await tokens.get() == "token-1"
        clock.now = 1000 + 20
        assert await tokens.get() == "token-2"

    async def test_lifetime_counts_from_when_the_fetch_started(self) -> None:
        endpoint, clock = TokenEndpoint(expires_in=300), FakeClock()

        async def slow(request: httpx.Request) -> httpx.Response:
            clock.now += 10  # the token endpoint took 10 s to answer
            return await endpoint(request)

        tokens = make(slow, clock, margin=30)
        await tokens.get()
        clock.now = 1000 + 269.5
        assert await tokens.get() == "token-1"
        clock.now = 1000 + 270
        assert await tokens.get() == "token-2"

    async def test_concurrent_callers_share_one_fetch(self) -> None:
        endpoint = TokenEndpoint()
        tokens = make(endpoint, FakeClock())
        results = await asyncio.gather(*(tokens.get() for _ in range(20)))
        assert results == ["token-1"] * 20
        assert len(endpoint.requests) == 1

    async def test_concurrent_callers_share_one_refresh_after_expiry(self) -> None:
        endpoint, clock = TokenEndpoint(), FakeClock()
        tokens = make(endpoint, clock)
        await tokens.get()
        clock.now += 1000
        results = await asyncio.gather(*(tokens.get() for _ in range(20)))
        assert results == ["token-2"] * 20
        assert len(endpoint.requests) == 2

    async def test_invalidate_forces_a_refetch(self) -> None:
        endpoint = TokenEndpoint()
        tokens = make(endpoint, FakeClock())
        assert await tokens.get() == "token-1"
        tokens.invalidate()
        assert await tokens.get() == "token-2"
        assert await tokens.get() == "token-2"
        assert len(endpoint.requests) == 2
