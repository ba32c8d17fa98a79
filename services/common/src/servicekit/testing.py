"""Test helpers for services: a signing key the app trusts and Keycloak-shaped tokens signed with it."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, settings
from jwt.algorithms import RSAAlgorithm
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import driver_connection
from servicekit.outbox import OUTBOX_RETENTION, prune_sql

ISSUER = "https://idp.keycloak.net:30000/realms/bookstore"
AUDIENCE = "bookstore-api"
RESERVE_ROLES = {"inventory-service": ["inventory:reserve"]}


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def jwk(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return public | {"kid": self.kid, "use": "sig", "alg": "RS256"}


def new_signing_key(kid: str | None = None) -> SigningKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(kid or f"test-{uuid.uuid4().hex[:8]}", private_key)


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.jwk() for key in keys]}


def claims(
    *,
    sub: str | None = None,
    realm_roles: list[str] | None = None,
    client_roles: dict[str, list[str]] | None = None,
    iss: str = ISSUER,
    aud: str | list[str] = AUDIENCE,
    expires_in: int = 300,
    **extra: Any,
) -> dict[str, Any]:
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": iss,
        "aud": aud,
        "sub": sub or str(uuid.uuid4()),
        "iat": now,
        "exp": now + expires_in,
        "typ": "Bearer",
        "realm_access": {"roles": realm_roles or []},
        "resource_access": {client: {"roles": roles} for client, roles in (client_roles or {}).items()},
    }
    return body | extra


def make_token(key: SigningKey, **claim_args: Any) -> str:
    return jwt.encode(claims(**claim_args), key.private_key, algorithm="RS256", headers={"kid": key.kid})


def service_token(key: SigningKey, **claim_args: Any) -> str:
    """What Keycloak issues to the ecom-service client (client credentials)."""
    return make_token(
        key,
        client_roles=RESERVE_ROLES,
        azp="ecom-service",
        preferred_username="service-account-ecom-service",
        **claim_args,
    )


def admin_token(key: SigningKey, **claim_args: Any) -> str:
    return make_token(key, realm_roles=["customer", "admin"], preferred_username="admin1", **claim_args)


def customer_token(key: SigningKey, **claim_args: Any) -> str:
    return make_token(key, realm_roles=["customer"], preferred_username="user1", **claim_args)


def unsigned_token(key: SigningKey, **claim_args: Any) -> str:
    """`alg: none`, the classic forgery."""
    return jwt.encode(claims(**claim_args), None, algorithm="none", headers={"kid": key.kid})  # type: ignore[arg-type]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def _json_server(method: str, path: str, body: dict[str, Any]) -> Iterator[str]:
    """An HTTP endpoint answering every `method` request with `body` as JSON; yields its URL."""
    document = json.dumps(body).encode()

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: object) -> None:
            pass

    setattr(Handler, f"do_{method}", Handler.answer)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()


def jwks_server(*keys: SigningKey) -> ContextManager[str]:
    """An HTTP endpoint serving the keys' JWKS, standing in for Keycloak's certs URL; yields its URL."""
    return _json_server("GET", "/certs", jwks(*keys))


def token_server(token: str) -> ContextManager[str]:
    """An HTTP token endpoint standing in for Keycloak's (client credentials): every POST gets `token`."""
    return _json_server("POST", "/token", {"access_token": token, "token_type": "Bearer", "expires_in": 3600})


# Schemathesis: the checks every fuzzed call must pass, and hypothesis settings for a live service.
FUZZ_CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
fuzzing = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServiceProcess:
    url: str
    process: "subprocess.Popen[bytes]"
    log: Path


def _start(module: str, env: dict[str, str], log: Path, port: int) -> "subprocess.Popen[bytes]":
    # A file, not a pipe: nobody reads a pipe while tests run, and a full one blocks the server's logging.
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module],
            env=os.environ | env | {f"{module.upper()}_PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def service_process(module: str, prefix: str, env: dict[str, str], log: Path) -> Iterator[ServiceProcess]:
    """`python -m <module>` as the platform runs it, on a free port (`<ENV>_PORT` is set here), until
    its readiness probe answers 200; SIGTERM on exit. Its output goes to `log`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = _start(module, env, log, port)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/{prefix}/health/ready", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        process.wait()
        raise RuntimeError(f"{module} did not become ready:\n{log.read_text()}")
    try:
        yield ServiceProcess(url, process, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


@contextmanager
def running_service(
    module: str, prefix: str, key: SigningKey, log: Path, env: dict[str, str] | None = None
) -> Iterator[ServiceProcess]:
    """`service_process` on the disposable database and Redis the tests use (`<MODULE>_TEST_DATABASE_URL`,
    `<MODULE>_TEST_REDIS_URL`), trusting `key` through a JWKS server, with no rate limit to speak of;
    `env` adds or overrides the service's variables."""
    name = module.upper()
    defaults = {
        f"{name}_DATABASE_URL": os.environ[f"{name}_TEST_DATABASE_URL"],
        f"{name}_REDIS_URL": os.environ[f"{name}_TEST_REDIS_URL"],
        f"{name}_RATE_LIMIT_PER_MINUTE": "1000000",
    }
    with jwks_server(key) as jwks_url:
        settings = defaults | {f"{name}_OIDC_JWKS_URL": jwks_url} | (env or {})
        with service_process(module, prefix, settings, log) as service:
            yield service


@dataclass(frozen=True)
class Exited:
    returncode: int
    output: str


def run_until_exit(module: str, env: dict[str, str], log: Path, timeout: float = 60) -> Exited:
    """`python -m <module>` started as `service_process` starts it, for a start that must fail: waits for
    the process to end by itself and returns its exit code and output (AssertionError if it keeps running)."""
    process = _start(module, env, log, free_port())
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"{module} was still running after {timeout}s:\n{log.read_text()}") from None
    return Exited(returncode, log.read_text())


def stop_and_read_log(service: ServiceProcess) -> list[dict[str, Any]]:
    """SIGTERM the service, wait for it to exit, and return its log as parsed JSON lines."""
    service.process.send_signal(signal.SIGTERM)
    service.process.wait(timeout=30)
    return [json.loads(line) for line in service.log.read_text().splitlines()]


async def prune_plan(session: AsyncSession, table: str) -> str:
    """The plan PostgreSQL would run `servicekit.outbox.prune` on `table` with, sequential scans ruled out (a test
    database's few rows make any scan cheap): a plan that still reads the whole table has no index to use."""
    connection = await driver_connection(session)
    await connection.execute("SET LOCAL enable_seqscan = off")
    rows = await connection.fetch("EXPLAIN " + prune_sql(table), OUTBOX_RETENTION)
    return "\n".join(row[0] for row in rows)
