"""A JWKS cache that follows key rotation without letting bad tokens hammer the identity provider."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jwt

from servicekit.auth.exceptions import InvalidToken, KeysUnavailable

logger = logging.getLogger(__name__)

JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


def http_jwks_fetcher(url: str, timeout: float = 5.0) -> JwksFetcher:
    async def fetch() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
            return document

    return fetch


def parse_jwks(document: dict[str, Any]) -> dict[str, Any]:
    """RS256 signing keys by kid; encryption keys and other key types are ignored."""
    keys: dict[str, Any] = {}
    for jwk in document.get("keys", []):
        if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig" or jwk.get("alg", "RS256") != "RS256":
            continue
        if not isinstance(kid := jwk.get("kid"), str):
            continue
        try:
            keys[kid] = jwt.PyJWK(jwk, algorithm="RS256").key
        except jwt.PyJWTError:
            logger.warning("ignoring an unusable JWKS entry", extra={"kid": kid})
    return keys


class JwksCache:
    """Keys by kid. Refetched when older than max_age or when a token names an unknown kid (the
    provider rotated its keys), but never more than once per min_refresh seconds, so tokens with
    made-up kids cannot turn us into a JWKS flooder. A failed refetch keeps the keys we have."""

    def __init__(
        self,
        fetch: JwksFetcher,
        *,
        min_refresh_seconds: float = 10.0,
        max_age_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._min_refresh = min_refresh_seconds
        self._max_age = max_age_seconds
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def get_key(self, kid: str) -> Any:
        stale = self._fetched_at is None or self._clock() - self._fetched_at > self._max_age
        if stale or kid not in self._keys:
            await self._refresh()
        if not self._keys:
            raise KeysUnavailable()
        if kid not in self._keys:
            raise InvalidToken("token signed with an unknown key")
        return self._keys[kid]

    async def _refresh(self) -> None:
        async with self._lock:
            now = self._clock()
            if self._attempted_at is not None and now - self._attempted_at < self._min_refresh:
                return  # fetched (or tried to) moments ago, possibly while we waited for the lock
            self._attempted_at = now
            try:
                keys = parse_jwks(await self._fetch())
            except Exception as exc:
                logger.warning("JWKS fetch failed", extra={"error": repr(exc)})
                return
            self._keys = keys
            self._fetched_at = now
