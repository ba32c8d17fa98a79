"""Redis: carts, CSRF tokens and rate-limit counters, password-protected on loopback."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import redis

from bookstore.components.base import Component, Context


@dataclass
class Redis(Component):
    def conf(self, ctx: Context) -> Path:
        return ctx.paths.run / "redis.conf"

    def config_files(self, ctx: Context) -> list[Path]:
        return [self.conf(ctx)]

    def prepare(self, ctx: Context) -> None:
        datadir = ctx.paths.data / self.name
        datadir.mkdir(parents=True, exist_ok=True)
        conf = self.conf(ctx)
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(
                f"bind 127.0.0.1\nport {ctx.port(self.port_var)}\nprotected-mode yes\n"
                f"requirepass {ctx.env['REDIS_PASSWORD']}\ndir {datadir}\n"
                "appendonly yes\ndaemonize no\nsave 60 1000\nmaxmemory 256mb\nmaxmemory-policy noeviction\n"
                'rename-command FLUSHALL ""\nrename-command DEBUG ""\n'
            )

    def command(self, ctx: Context) -> list[str]:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        return [binary, str(self.conf(ctx))]

    def is_ready(self, ctx: Context) -> bool:
        try:
            client = redis.Redis(
                host="127.0.0.1",
                port=ctx.port(self.port_var),
                password=ctx.env["REDIS_PASSWORD"],
                socket_timeout=2,
            )
            return bool(client.ping())
        except redis.RedisError:
            return False

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [("redis", f"redis://127.0.0.1:{ctx.port(self.port_var)}  ($REDIS_PASSWORD)")]
