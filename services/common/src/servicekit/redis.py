"""The services' Redis client."""

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError, TimeoutError


def redis_client(url: str) -> Redis:
    """Short timeouts (callers degrade instead of hanging), and one retry on a fresh connection: after Redis
    restarts, every pooled connection is dead, and the first use of each would otherwise fail a request."""
    return Redis.from_url(
        url,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[ConnectionError, TimeoutError],
        health_check_interval=30,
    )
