"""CSRF tokens kept in Redis, one per caller binding (a user's subject or a guest's cart cookie)."""

import hmac
import secrets

from redis.asyncio import Redis
from redis.exceptions import RedisError

from servicekit.errors import Forbidden, ServiceUnavailable


class CsrfInvalid(Forbidden):
    code = "csrf_invalid"


class CsrfUnavailable(ServiceUnavailable):
    code = "csrf_unavailable"

    def __init__(self) -> None:
        # Fail closed: without the token store no change can be allowed.
        super().__init__("cannot verify the CSRF token right now; nothing was changed", headers={"Retry-After": "5"})


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


class CsrfStore:
    def __init__(self, redis: Redis, *, ttl_seconds: int, prefix: str = "ecom:csrf") -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix

    def _key(self, binding: str) -> str:
        return f"{self._prefix}:{binding}"

    async def issue(self, binding: str) -> str:
        """The binding's token (a new one if it has none), valid for another TTL; several tabs share it."""
        candidate = secrets.token_urlsafe(32)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(self._key(binding), candidate, nx=True, ex=self._ttl)
                pipe.get(self._key(binding))
                pipe.expire(self._key(binding), self._ttl)
                _, current, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise CsrfUnavailable() from exc
        return _bytes(current).decode()

    async def verify(self, binding: str, token: str | None) -> None:
        if not token:
            raise CsrfInvalid("the X-CSRF-Token header is missing; fetch one from GET /ecom/csrf")
        try:
            expected = await self._redis.get(self._key(binding))
        except (RedisError, OSError) as exc:
            raise CsrfUnavailable() from exc
        if expected is None or not hmac.compare_digest(_bytes(expected), token.encode()):
            raise CsrfInvalid("the X-CSRF-Token header is not valid for this session; fetch a new one")
