"""Component definitions: what makes `up` restart a running component."""

from __future__ import annotations

from pathlib import Path

from bookstore.components import BY_NAME, Context
from bookstore.config import DEFAULT_PORTS, Paths


def _ctx(tmp_path: Path) -> Context:
    paths = Paths(root=Path(__file__).resolve().parents[2], var=tmp_path / "var", cache=tmp_path / "cache")
    paths.ensure()
    env = {k: str(v) for k, v in DEFAULT_PORTS.items()} | {"REDIS_PASSWORD": "pw-one"}
    return Context(paths=paths, env=env, run_as=None)


class TestFingerprint:
    def test_unchanged_configuration_keeps_the_fingerprint(self, tmp_path: Path) -> None:
        ctx, redis = _ctx(tmp_path), BY_NAME["redis"]
        redis.prepare(ctx)
        first = redis.fingerprint(ctx)
        redis.prepare(ctx)
        assert redis.fingerprint(ctx) == first

    def test_changed_secret_in_rendered_config_moves_the_fingerprint(self, tmp_path: Path) -> None:
        ctx, redis = _ctx(tmp_path), BY_NAME["redis"]
        redis.prepare(ctx)
        first = redis.fingerprint(ctx)
        ctx.env["REDIS_PASSWORD"] = "pw-two"
        redis.prepare(ctx)
        assert redis.fingerprint(ctx) != first

    def test_changed_port_moves_the_fingerprint(self, tmp_path: Path) -> None:
        ctx, pg = _ctx(tmp_path), BY_NAME["ecom-db"]
        first = pg.fingerprint(ctx)
        ctx.env["ECOM_DB_PORT"] = "25432"
        assert pg.fingerprint(ctx) != first
