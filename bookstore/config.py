"""Where the local platform keeps its state, and the ports it listens on.

Everything is read from environment variables (documented in `.env.example`), with defaults that
work on a fresh machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PUBLIC_HOSTS = ("myecom.net", "api.service.net", "idp.keycloak.net")

# Default loopback ports; each can be moved with the environment variable of the same name.
DEFAULT_PORTS = {
    "ECOM_DB_PORT": 15432,
    "INVENTORY_DB_PORT": 15433,
    "ANALYTICS_DB_PORT": 15434,
    "KEYCLOAK_DB_PORT": 15435,
    "REDIS_PORT": 16379,
    "KAFKA_PORT": 19092,
    "KAFKA_CONTROLLER_PORT": 19093,
    "CONNECT_PORT": 18083,
    "KEYCLOAK_PORT": 18080,
    "KEYCLOAK_MANAGEMENT_PORT": 19000,
    "GATEWAY_PORT": 30000,
    "PGADMIN_PORT": 31111,
    "ECOM_SERVICE_PORT": 18001,
    "INVENTORY_SERVICE_PORT": 18002,
    "FLINK_REST_PORT": 18081,
    "FLINK_RPC_PORT": 16123,
    "FLINK_TASKMANAGER_PORT": 16125,
    "SUPERSET_PORT": 32000,
    "MAILPIT_PORT": 32025,
    "MAILPIT_SMTP_PORT": 31025,
    "NOTIFIER_PORT": 18003,
}


def port(name: str) -> int:
    return int(os.environ.get(name, DEFAULT_PORTS[name]))


@dataclass(frozen=True)
class Paths:
    root: Path
    var: Path
    cache: Path

    @classmethod
    def from_env(cls) -> Paths:
        var = Path(os.environ.get("BOOKSTORE_VAR_DIR", ROOT / "var")).resolve()
        cache = Path(os.environ.get("BOOKSTORE_CACHE_DIR", Path.home() / ".cache" / "bookstore")).resolve()
        return cls(root=ROOT, var=var, cache=cache)

    @cached_property
    def data(self) -> Path:
        return self.var / "data"

    @cached_property
    def log(self) -> Path:
        return self.var / "log"

    @cached_property
    def run(self) -> Path:
        """Generated configuration and sockets of running components."""
        return self.var / "run"

    @cached_property
    def tls(self) -> Path:
        return self.var / "tls"

    @cached_property
    def secrets(self) -> Path:
        return self.var / "secrets.env"

    @cached_property
    def jvm(self) -> Path:
        return self.cache / "jvm"

    @cached_property
    def deploy(self) -> Path:
        return self.root / "deploy" / "local"

    def ensure(self) -> None:
        for d in (self.var, self.data, self.log, self.run, self.tls, self.cache):
            d.mkdir(parents=True, exist_ok=True)
