"""Redis is password-protected on loopback."""

from __future__ import annotations

import pytest
import redis

from bookstore.components import Context


class TestRedis:
    def test_unauthenticated_command_is_refused(self, ctx: Context) -> None:
        client = redis.Redis(host="127.0.0.1", port=ctx.port("REDIS_PORT"), socket_timeout=3)
        with pytest.raises(redis.AuthenticationError):
            client.set("bookstore:test:anon", "1")

    def test_wrong_password_is_refused(self, ctx: Context) -> None:
        client = redis.Redis(host="127.0.0.1", port=ctx.port("REDIS_PORT"), password="not-the-password")
        with pytest.raises(redis.AuthenticationError):
            client.ping()

    def test_password_from_secrets_reads_and_writes(self, ctx: Context) -> None:
        client = redis.Redis(host="127.0.0.1", port=ctx.port("REDIS_PORT"), password=ctx.env["REDIS_PASSWORD"])
        client.set("bookstore:test:auth", "ok", ex=30)
        assert client.get("bookstore:test:auth") == b"ok"
