"""Guests' carts: a Redis hash per guest cookie (book id → quantity) that lives 7 days after the last change."""

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from servicekit.errors import ServiceUnavailable

logger = logging.getLogger(__name__)


class CartStoreUnavailable(ServiceUnavailable):
    code = "cart_unavailable"

    def __init__(self) -> None:
        super().__init__("the guest cart store is unavailable; try again shortly", headers={"Retry-After": "5"})


# Add within the limits atomically: two tabs adding at once can neither exceed a quantity nor the line cap.
_ADD = """
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if current == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return -2 end
local new = current + tonumber(ARGV[2])
if new > tonumber(ARGV[3]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], new)
redis.call('EXPIRE', KEYS[1], ARGV[5])
return new
"""


def _decode(raw: Mapping[Any, Any]) -> dict[uuid.UUID, int]:
    return {uuid.UUID(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in raw.items()}


class GuestCarts:
    def __init__(self, redis: Redis, *, ttl_seconds: int, prefix: str = "ecom:guest-cart") -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix
        self._add = redis.register_script(_ADD)

    def _key(self, guest: str) -> str:
        return f"{self._prefix}:{guest}"

    async def items(self, guest: str) -> dict[uuid.UUID, int]:
        try:
            raw = await self._redis.hgetall(self._key(guest))
        except (RedisError, OSError) as exc:
            raise CartStoreUnavailable() from exc
        return _decode(raw)

    async def add(self, guest: str, book_id: uuid.UUID, quantity: int, *, max_quantity: int, max_lines: int) -> int:
        """The line's new quantity; -1 if it would exceed max_quantity, -2 if the cart has max_lines lines."""
        try:
            result = await self._add(
                keys=[self._key(guest)], args=[str(book_id), quantity, max_quantity, max_lines, self._ttl]
            )
        except (RedisError, OSError) as exc:
            raise CartStoreUnavailable() from exc
        return int(result)

    async def set(self, guest: str, book_id: uuid.UUID, quantity: int) -> bool:
        """Set an existing line's quantity; False if the book is not in the cart."""
        try:
            if not await self._redis.hexists(self._key(guest), str(book_id)):
                return False
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(self._key(guest), str(book_id), quantity)
                pipe.expire(self._key(guest), self._ttl)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise CartStoreUnavailable() from exc
        return True

    async def remove(self, guest: str, book_id: uuid.UUID) -> bool:
        try:
            return bool(await self._redis.hdel(self._key(guest), str(book_id)))
        except (RedisError, OSError) as exc:
            raise CartStoreUnavailable() from exc

    async def take(self, guest: str) -> dict[uuid.UUID, int]:
        """Read and delete a guest cart in one step, so a merge can never be applied twice."""
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(self._key(guest))
                pipe.delete(self._key(guest))
                raw, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise CartStoreUnavailable() from exc
        return _decode(raw)

    async def restore(self, guest: str, items: dict[uuid.UUID, int]) -> None:
        """Put back what `take` returned (the merge's database write failed)."""
        if not items:
            return
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(self._key(guest), mapping={str(k): v for k, v in items.items()})
                pipe.expire(self._key(guest), self._ttl)
                await pipe.execute()
        except (RedisError, OSError):
            # Keep the merge's own error visible; this one only means the guest lines are lost.
            logger.exception("could not restore a guest cart after a failed merge", extra={"lines": len(items)})
