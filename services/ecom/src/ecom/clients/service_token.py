"""The ecom service account's access token (client credentials), cached until shortly before it expires."""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

import httpx

logger = logging.getLogger(__name__)


class TokenUnavailable(Exception):
    pass


class TokenSource(Protocol):
    async def get(self) -> str: ...

    def invalidate(self) -> None: ...


class ServiceToken:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_margin_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._margin = refresh_margin_seconds
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        if self._token is not None and self._clock() < self._expires_at:
            return self._token
        async with self._lock:  # one fetch for all the requests that found the token stale
            if self._token is None or self._clock() >= self._expires_at:
                await self._fetch()
        assert self._token is not None
        return self._token

    def invalidate(self) -> None:
        """Forget the token (the API refused it, e.g. after a key rotation)."""
        self._token = None

    async def _fetch(self) -> None:
        started = self._clock()
        try:
            response = await self._http.post(
                self._token_url,
                data={"grant_type": "client_credentials"},
                auth=(self._client_id, self._client_secret),
            )
        except httpx.HTTPError as exc:
            raise TokenUnavailable(f"token endpoint unreachable: {exc!r}") from exc
        if response.status_code != 200:
            raise TokenUnavailable(f"token endpoint answered {response.status_code}: {response.text[:200]}")
        try:
            body = response.json()
            token, lifetime = str(body["access_token"]), float(body.get("expires_in", 60))
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenUnavailable(f"token endpoint answered an unusable body: {exc!r}") from exc
        self._token = token
        self._expires_at = started + max(lifetime - self._margin, lifetime / 2)
        logger.info("service token fetched", extra={"expires_in": lifetime})
