"""`python -m inventory` as the platform runs it: migrate, seed, serve over real HTTP; then fuzz its
OpenAPI with schemathesis (no input may produce a 5xx)."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import schemathesis
from factories import RESERVE_ROLES, SigningKey, bearer, jwks, make_token
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from inventory.catalog import load_catalog
from inventory.config import REPO_ROOT
from inventory.openapi import document as openapi_document

HOBBIT = next(book for book in load_catalog(REPO_ROOT / "data/catalog/books.json") if book.title == "The Hobbit")


@dataclass
class Service:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def jwks_url(signing_key: SigningKey) -> Iterator[str]:
    """Stands in for Keycloak's certs endpoint."""
    document = json.dumps(jwks(signing_key)).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/certs"
    server.shutdown()


@pytest.fixture(scope="module")
def service(jwks_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    port = free_port()
    env = os.environ | {
        "INVENTORY_DATABASE_URL": os.environ["INVENTORY_TEST_DATABASE_URL"],
        "INVENTORY_REDIS_URL": os.environ["INVENTORY_TEST_REDIS_URL"],
        "INVENTORY_OIDC_JWKS_URL": jwks_url,
        "INVENTORY_PORT": str(port),
        "INVENTORY_RATE_LIMIT_PER_MINUTE": "1000000",
        "INVENTORY_CONSUMER_ENABLED": "false",
    }
    # A file, not a pipe: nobody reads a pipe while tests run, and a full one blocks the server's logging.
    log = tmp_path_factory.mktemp("inventory") / "stdout.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "inventory"], env=env, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base_url}/inven/health/ready", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        process.wait()
        pytest.fail(f"inventory did not become ready:\n{log.read_text()}")
    yield Service(base_url, process, log)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def superuser(signing_key: SigningKey) -> dict[str, str]:
    """Both the admin and the reserve role, so the fuzzer gets past authorization everywhere."""
    return bearer(make_token(signing_key, realm_roles=["admin"], client_roles=RESERVE_ROLES, expires_in=3600))


class TestServiceProcess:
    def test_it_migrates_seeds_and_serves_the_catalog(self, service: Service) -> None:
        response = httpx.get(f"{service.url}/inven/stock/{HOBBIT.id}")
        assert response.status_code == 200
        assert response.json()["book_id"] == str(HOBBIT.id)


# Built in-process (the app factory touches no database); the running service answers the calls.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail(case: schemathesis.Case, service: Service, superuser: dict[str, str]) -> None:
    case.call_and_validate(
        base_url=service.url,
        headers=superuser,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )


# Stops the module's service process, so it comes last.
def test_it_logs_json_lines_with_the_gateways_trace_id_and_stops_on_sigterm(
    service: Service,
) -> None:
    httpx.get(f"{service.url}/inven/stock/{HOBBIT.id}", headers={"X-Request-Id": "trace-from-gateway-42"})
    service.process.send_signal(signal.SIGTERM)
    service.process.wait(timeout=30)
    lines = [json.loads(line) for line in service.log.read_text().splitlines()]
    assert "Application shutdown complete." in [line["message"] for line in lines]
    [access] = [line for line in lines if line.get("trace_id") == "trace-from-gateway-42"]
    assert (access["route"], access["status"]) == ("/inven/stock/{book_id}", 200)
