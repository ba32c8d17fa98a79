import asyncio
from collections.abc import Awaitable, Callable
from typing import cast

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from servicekit.auth.tokens import Principal
from servicekit.ratelimit import LimiterUnavailable, RateLimiter, client_address, rate_limit_key


class TestClientAddress:
    def test_uses_the_address_our_gateway_appended(self) -> None:
        headers = {"x-forwarded-for": "203.0.113.9", "x-real-ip": "203.0.113.9"}
        assert client_address(headers, "127.0.0.1") == "203.0.113.9"

    def test_ignores_hops_the_client_made_up(self) -> None:
        headers = {"x-forwarded-for": "1.2.3.4, 10.9.9.9, 203.0.113.9"}
        assert client_address(headers, "127.0.0.1") == "203.0.113.9"

    def test_counts_back_one_entry_per_trusted_proxy(self) -> None:
        headers = {"x-forwarded-for": "1.2.3.4, 203.0.113.9, 10.0.0.2"}
        assert client_address(headers, "10.0.0.3", proxy_hops=2) == "203.0.113.9"
        assert client_address({"x-forwarded-for": "203.0.113.9"}, "10.0.0.3", proxy_hops=2) == "203.0.113.9"

    def test_falls_back_to_x_real_ip_then_the_peer(self) -> None:
        assert client_address({"x-real-ip": "198.51.100.7"}, "127.0.0.1") == "198.51.100.7"
        assert client_address({}, "192.0.2.1") == "192.0.2.1"
        assert client_address({}, None) == "unknown"

    def test_forwarding_headers_are_ignored_without_trusted_proxies(self) -> None:
        headers = {"x-forwarded-for": "203.0.113.9"}
        assert client_address(headers, "192.0.2.1", proxy_hops=0) == "192.0.2.1"


class TestRateLimitKey:
    def test_authenticated_callers_are_limited_by_subject(self) -> None:
        assert rate_limit_key(Principal(subject="abc"), "203.0.113.9") == "sub:abc"

    @pytest.mark.parametrize("address", ["203.0.113.9", "unknown"])
    def test_anonymous_callers_are_limited_by_address(self, address: str) -> None:
        assert rate_limit_key(None, address) == f"ip:{address}"


class FakeRedis:
    """The one script the limiter runs, in memory: INCRBY, and EXPIRE on a new key."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.calls: list[tuple[str, int]] = []
        self.down = False

    def register_script(self, script: str) -> Callable[..., Awaitable[int]]:
        async def run(keys: list[str], args: list[int]) -> int:
            if self.down:
                raise RedisConnectionError("connection refused")
            self.calls.append((keys[0], args[1]))
            self.counts[keys[0]] = self.counts.get(keys[0], 0) + args[1]
            return self.counts[keys[0]]

        return run


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(redis: FakeRedis, clock: Clock) -> RateLimiter:
    return RateLimiter(cast(Redis, redis), prefix="t", sync_seconds=0.25, clock=clock)


NOW = 120.0  # the start of a window


class TestLocalTallies:
    async def test_reads_well_under_the_limit_reach_redis_once_per_sync_interval(self) -> None:
        redis, clock = FakeRedis(), Clock()
        rl = limiter(redis, clock)
        for _ in range(10):
            assert await rl.hit("ip:a", 100, NOW, shared=False) is None
        assert redis.calls == [("t:ip:a:2", 1)]  # the first read asks Redis; nine are counted here
        clock.now += 0.3
        assert await rl.hit("ip:a", 100, NOW, shared=False) is None
        assert redis.calls[-1] == ("t:ip:a:2", 10)  # the nine, and this one
        assert redis.counts["t:ip:a:2"] == 11

    async def test_past_half_the_budget_every_read_is_counted_in_redis_and_the_limit_holds(self) -> None:
        redis, clock = FakeRedis(), Clock()
        rl = limiter(redis, clock)
        results = [await rl.hit("ip:a", 10, NOW, shared=False) for _ in range(12)]
        assert results[:10] == [None] * 10
        assert all(r is not None and r >= 1 for r in results[10:])
        assert redis.counts["t:ip:a:2"] == 12  # every read was counted
        assert len(redis.calls) >= 12 - 10 // 2  # only the first reads skipped Redis

    async def test_writes_are_counted_in_redis_one_by_one_with_the_reads_before_them(self) -> None:
        redis, clock = FakeRedis(), Clock()
        rl = limiter(redis, clock)
        for _ in range(4):
            await rl.hit("sub:u", 100, NOW, shared=False)
        assert await rl.hit("sub:u", 100, NOW) is None
        assert await rl.hit("sub:u", 100, NOW) is None
        assert redis.calls == [("t:sub:u:2", 1), ("t:sub:u:2", 4), ("t:sub:u:2", 1)]

    async def test_another_workers_hits_are_seen_at_the_next_sync(self) -> None:
        redis, clock = FakeRedis(), Clock()
        mine, theirs = limiter(redis, clock), limiter(redis, clock)
        await mine.hit("ip:a", 10, NOW, shared=False)
        for _ in range(8):
            await theirs.hit("ip:a", 10, NOW)
        clock.now += 0.3
        assert await mine.hit("ip:a", 10, NOW, shared=False) is None  # 10: the last one allowed
        assert await mine.hit("ip:a", 10, NOW, shared=False) is not None

    async def test_a_new_window_starts_from_redis_and_forgets_the_old_tallies(self) -> None:
        redis, clock = FakeRedis(), Clock()
        rl = limiter(redis, clock)
        await rl.hit("ip:a", 100, NOW, shared=False)
        await rl.hit("ip:a", 100, NOW, shared=False)
        assert await rl.hit("ip:a", 100, NOW + 60, shared=False) is None
        assert redis.calls == [("t:ip:a:2", 1), ("t:ip:a:3", 1)]
        assert list(rl._tallies) == ["t:ip:a:3"]

    async def test_with_redis_down_reads_counted_here_pass_and_writes_are_refused(self) -> None:
        redis, clock = FakeRedis(), Clock()
        rl = limiter(redis, clock)
        await rl.hit("sub:u", 100, NOW, shared=False)
        redis.down = True
        assert await rl.hit("sub:u", 100, NOW, shared=False) is None
        with pytest.raises(LimiterUnavailable):
            await rl.hit("sub:u", 100, NOW)

    async def test_reads_counted_while_redis_answers_are_kept_for_the_next_sync(self) -> None:
        redis, clock = FakeRedis(), Clock()
        rl = limiter(redis, clock)
        await rl.hit("ip:a", 100, NOW, shared=False)
        clock.now += 0.3
        answered = asyncio.Event()
        script = redis.register_script("")

        async def slow(keys: list[str], args: list[int]) -> int:
            await answered.wait()
            return await script(keys, args)

        rl._hit = slow  # the sync below waits for Redis while three more reads come in
        syncing = asyncio.create_task(rl.hit("ip:a", 100, NOW, shared=False))
        await asyncio.sleep(0)
        for _ in range(3):
            assert await rl.hit("ip:a", 100, NOW, shared=False) is None
        answered.set()
        await syncing
        clock.now += 0.3
        await rl.hit("ip:a", 100, NOW, shared=False)
        assert redis.counts["t:ip:a:2"] == 6  # 1 + the sync's 1 + the 3 counted meanwhile + this one
