"""Fixed-window rate limiting in Redis, per token subject or else per client address."""

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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


# One command per count: add the hits, and give a new window's key its expiry.
_HIT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


@dataclass
class _Tally:
    """This worker's view of one caller's window: the count Redis gave at the last sync, and hits since."""

    known: int
    pending: int
    synced_at: float


class RateLimiter:
    """Fixed windows counted in Redis, shared by every worker and instance.

    Writes (`shared=True`) are counted in Redis one by one: exact, and refused when Redis is down. Reads may be
    counted here first (`shared=False`): while a caller has used less than half of its budget by this worker's
    view, its reads add to a local tally sent to Redis with the next count at most `sync_seconds` later, so a
    browsing shopper costs a few Redis calls a minute instead of one per page. Past half the budget every read
    is counted in Redis too, so the limit holds as before; a tally of a caller who stops before the next sync
    is never sent (reads already fail open when Redis is down)."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        window_seconds: int = 60,
        cooldown_seconds: float = 5.0,
        sync_seconds: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._window = window_seconds
        self._cooldown = cooldown_seconds
        self._sync = sync_seconds
        self._clock = clock
        self._skip_until = 0.0
        self._tallies: dict[str, _Tally] = {}
        self._tally_window: int | None = None
        self._hit = redis.register_script(_HIT)  # EVALSHA, loading the script again after a Redis restart

    async def hit(self, key: str, limit: int, now: float | None = None, *, shared: bool = True) -> int | None:
        """Count one request; return the seconds until the window resets if `limit` is exceeded."""
        now = time.time() if now is None else now
        window = int(now // self._window)
        if window != self._tally_window:
            self._tallies.clear()  # the previous window's tallies count for nothing now
            self._tally_window = window
        redis_key = f"{self._prefix}:{key}:{window}"
        tally = self._tallies.get(redis_key)
        clock = self._clock()
        if (
            not shared
            and tally is not None
            and tally.known + tally.pending + 1 <= limit // 2
            and clock - tally.synced_at < self._sync
        ):
            tally.pending += 1
            return None
        # After a failure, skip Redis for a while: otherwise every request would wait out a timeout.
        if clock < self._skip_until:
            raise LimiterUnavailable("redis marked down")
        if tally is None:
            tally = self._tallies[redis_key] = _Tally(known=0, pending=0, synced_at=clock)
        # Take the pending hits along; reads that come while Redis answers are counted here for the next sync.
        hits, tally.pending, tally.synced_at = 1 + tally.pending, 0, clock
        try:
            count = int(await self._hit(keys=[redis_key], args=[self._window + 1, hits]))
        except (RedisError, OSError) as exc:
            self._skip_until = self._clock() + self._cooldown
            # Logged once per cooldown rather than per request, which could flood the log.
            logger.error(
                "rate limiter cannot reach redis: allowing reads, refusing writes",
                extra={"error": repr(exc), "retry_in_seconds": self._cooldown},
            )
            raise LimiterUnavailable(repr(exc)) from exc
        tally.known = count
        if count <= limit:
            return None
        return max(1, math.ceil((window + 1) * self._window - now))


async def enforce_rate_limit(request: Request, principal: Principal | None, *, limit: int, proxy_hops: int) -> None:
    """429 with Retry-After once the caller's budget for this minute is spent."""
    limiter: RateLimiter = request.app.state.rate_limiter
    peer = request.client.host if request.client else None
    key = rate_limit_key(principal, client_address(request.headers, peer, proxy_hops))
    try:
        retry_after = await limiter.hit(key, limit, shared=request.method not in SAFE_METHODS)
    except LimiterUnavailable as exc:
        # Reads fail open (the catalog must keep showing stock); writes are refused.
        if request.method in SAFE_METHODS:
            return
        raise ServiceUnavailable("rate limiter unavailable", headers={"Retry-After": "5"}) from exc
    if retry_after is not None:
        raise TooManyRequests(retry_after)
