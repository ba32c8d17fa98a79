"""Fixed-window rate limiting in Redis, per token subject or else per client address."""

import logging
import math
import time
from collections.abc import Mapping

from fastapi import Request
from redis.asyncio import Redis
from redis.exceptions import RedisError

from servicekit.auth.tokens import Principal
from servicekit.errors import ServiceUnavailable, TooManyRequests

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def client_address(headers: Mapping[str, str], peer: str | None, proxy_hops: int = 1) -> str:
    """The client's address as seen by the outermost of our `proxy_hops` trusted proxies.

    Each proxy appends the address it received the request from to X-Forwarded-For, so the entry
    `proxy_hops` from the right was written by our own gateway; entries left of it are whatever the
    client sent and would let anyone pick a fresh rate-limit bucket per request."""
    forwarded = [hop.strip() for hop in headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    if forwarded and proxy_hops > 0:
        return forwarded[-min(proxy_hops, len(forwarded))]
    if real_ip := headers.get("x-real-ip", "").strip():
        return real_ip
    return peer or "unknown"


def rate_limit_key(principal: Principal | None, address: str) -> str:
    return f"sub:{principal.subject}" if principal is not None else f"ip:{address}"


class LimiterUnavailable(Exception):
    pass


# One command per request (a pipelined MULTI/INCR/EXPIRE/EXEC is four to encode and parse): count the hit, and
# give a new window's key its expiry.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class RateLimiter:
    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        window_seconds: int = 60,
        cooldown_seconds: float = 5.0,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._window = window_seconds
        self._cooldown = cooldown_seconds
        self._skip_until = 0.0
        self._hit = redis.register_script(_HIT)  # EVALSHA, loading the script again after a Redis restart

    async def hit(self, key: str, limit: int, now: float | None = None) -> int | None:
        """Count one request; return the seconds until the window resets if `limit` is exceeded."""
        # After a failure, skip Redis for a while: otherwise every request would wait out a timeout.
        if time.monotonic() < self._skip_until:
            raise LimiterUnavailable("redis marked down")
        now = time.time() if now is None else now
        window = int(now // self._window)
        redis_key = f"{self._prefix}:{key}:{window}"
        try:
            count = int(await self._hit(keys=[redis_key], args=[self._window + 1]))
        except (RedisError, OSError) as exc:
            self._skip_until = time.monotonic() + self._cooldown
            # Logged once per cooldown rather than per request, which could flood the log.
            logger.error(
                "rate limiter cannot reach redis: allowing reads, refusing writes",
                extra={"error": repr(exc), "retry_in_seconds": self._cooldown},
            )
            raise LimiterUnavailable(repr(exc)) from exc
        if count <= limit:
            return None
        return max(1, math.ceil((window + 1) * self._window - now))


async def enforce_rate_limit(request: Request, principal: Principal | None, *, limit: int, proxy_hops: int) -> None:
    """429 with Retry-After once the caller's budget for this minute is spent."""
    limiter: RateLimiter = request.app.state.rate_limiter
    peer = request.client.host if request.client else None
    key = rate_limit_key(principal, client_address(request.headers, peer, proxy_hops))
    try:
        retry_after = await limiter.hit(key, limit)
    except LimiterUnavailable as exc:
        # Reads fail open (the catalog must keep showing stock); writes are refused.
        if request.method in SAFE_METHODS:
            return
        raise ServiceUnavailable("rate limiter unavailable", headers={"Retry-After": "5"}) from exc
    if retry_after is not None:
        raise TooManyRequests(retry_after)
