"""`python -m ecom` as the platform runs it: migrate, seed, serve over real HTTP; then fuzz its
OpenAPI with schemathesis (no input may produce a 5xx): the whole API with inventory unreachable, and
checkout and cancel once more against a real `python -m inventory`."""

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psycopg
import pytest
import schemathesis
from factories import SigningKey, admin_token, bearer, make_token, service_token
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from ecom.config import REPO_ROOT
from ecom.openapi import document as openapi_document
from servicekit.catalog import load_catalog
from servicekit.testing import ServiceProcess, jwks_server, run_until_exit, service_process, stop_and_read_log

HOBBIT = next(book for book in load_catalog(REPO_ROOT / "data/catalog/books.json") if book.title == "The Hobbit")


@pytest.fixture(scope="module")
def service(signing_key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    env = {
        "ECOM_DATABASE_URL": os.environ["ECOM_TEST_DATABASE_URL"],
        "ECOM_REDIS_URL": os.environ["ECOM_TEST_REDIS_URL"],
        "ECOM_RATE_LIMIT_PER_MINUTE": "1000000",
        # Nothing listens there: a checkout that got as far as reserving would answer 503.
        "ECOM_INVENTORY_URL": "http://127.0.0.1:1",
        "ECOM_RECOVERY_INTERVAL_SECONDS": "3600",
        # Required outside development; never sent anywhere here (no checkout gets as far as Keycloak).
        "ECOM_SERVICE_CLIENT_SECRET": "a-generated-secret",
    }
    log = tmp_path_factory.mktemp("ecom") / "stdout.log"
    with (
        jwks_server(signing_key) as jwks_url,
        service_process("ecom", "ecom", env | {"ECOM_OIDC_JWKS_URL": jwks_url}, log) as service,
    ):
        yield service


@pytest.fixture(scope="module")
def superuser(signing_key: SigningKey, service: ServiceProcess) -> dict[str, str]:
    """Admin and customer with a valid CSRF token, so the fuzzer gets past authorization everywhere."""
    auth = bearer(make_token(signing_key, realm_roles=["admin", "customer"], expires_in=3600))
    token = httpx.get(f"{service.url}/ecom/csrf", headers=auth).json()["token"]
    return auth | {"X-CSRF-Token": token}


class TestServiceProcess:
    def test_it_migrates_seeds_and_serves_the_catalog(self, service: ServiceProcess) -> None:
        response = httpx.get(f"{service.url}/ecom/books/{HOBBIT.id}")
        assert response.status_code == 200
        assert response.json()["title"] == "The Hobbit"

    def test_an_empty_client_secret_outside_development_stops_it_naming_the_variable(self, tmp_path: Path) -> None:
        env = {"ECOM_DATABASE_URL": os.environ["ECOM_TEST_DATABASE_URL"], "ECOM_ENVIRONMENT": "production"}
        exited = run_until_exit("ecom", env | {"ECOM_SERVICE_CLIENT_SECRET": ""}, tmp_path / "stdout.log")
        assert exited.returncode != 0
        assert "ECOM_SERVICE_CLIENT_SECRET is empty or a placeholder" in exited.output


# Built in-process (the app factory touches no database); the running service answers the calls.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail(
    case: schemathesis.Case, service: ServiceProcess, superuser: dict[str, str]
) -> None:
    case.call_and_validate(
        base_url=service.url,
        headers=superuser,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )


@contextmanager
def token_server(token: str) -> Iterator[str]:
    """An HTTP token endpoint standing in for Keycloak's (client credentials): every POST gets `token`."""
    document = json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": 3600}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/token"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def inventory(signing_key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """The real inventory service, on its disposable database, trusting the same test key."""
    env = {
        "INVENTORY_DATABASE_URL": os.environ["INVENTORY_TEST_DATABASE_URL"],
        "INVENTORY_REDIS_URL": os.environ["INVENTORY_TEST_REDIS_URL"],
        "INVENTORY_RATE_LIMIT_PER_MINUTE": "1000000",
        "INVENTORY_SERVICE_RATE_LIMIT_PER_MINUTE": "1000000",
        "INVENTORY_CONSUMER_ENABLED": "false",
    }
    log = tmp_path_factory.mktemp("inventory") / "stdout.log"
    with (
        jwks_server(signing_key) as jwks_url,
        service_process("inventory", "inven", env | {"INVENTORY_OIDC_JWKS_URL": jwks_url}, log) as service,
    ):
        # Enough copies that the fuzzed checkouts below never run out.
        stock = httpx.put(
            f"{service.url}/inven/admin/stock/{HOBBIT.id}",
            json={"available": 100_000},
            headers=bearer(admin_token(signing_key)),
        )
        assert stock.status_code == 200, stock.text
        yield service


@pytest.fixture(scope="module")
def service_with_inventory(
    signing_key: SigningKey, inventory: ServiceProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """A second ecom process whose checkouts reserve in the real inventory, with a service-account token."""
    env = {
        "ECOM_DATABASE_URL": os.environ["ECOM_TEST_DATABASE_URL"],
        "ECOM_REDIS_URL": os.environ["ECOM_TEST_REDIS_URL"],
        "ECOM_RATE_LIMIT_PER_MINUTE": "1000000",
        "ECOM_INVENTORY_URL": inventory.url,
        "ECOM_SERVICE_CLIENT_SECRET": "test-secret",
        "ECOM_RECOVERY_INTERVAL_SECONDS": "3600",
    }
    log = tmp_path_factory.mktemp("ecom-with-inventory") / "stdout.log"
    with (
        jwks_server(signing_key) as jwks_url,
        token_server(service_token(signing_key, expires_in=3600)) as token_url,
        service_process(
            "ecom", "ecom", env | {"ECOM_OIDC_JWKS_URL": jwks_url, "ECOM_OIDC_TOKEN_URL": token_url}, log
        ) as service,
    ):
        yield service


@pytest.fixture(scope="module")
def shopper(signing_key: SigningKey, service_with_inventory: ServiceProcess) -> dict[str, str]:
    """A customer of its own (a fresh subject) with a valid CSRF token."""
    auth = bearer(make_token(signing_key, realm_roles=["customer"], expires_in=3600))
    token = httpx.get(f"{service_with_inventory.url}/ecom/csrf", headers=auth).json()["token"]
    return auth | {"X-CSRF-Token": token}


@pytest.fixture(scope="module")
def placed_orders() -> list[str]:
    """The orders the fuzzed checkouts below placed (201), in order."""
    return []


reaching_inventory = schema.include(path_regex=r"^/ecom/(checkout|orders/\{order_id\}/cancel)$")


@reaching_inventory.parametrize()
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_checkout_and_cancel_against_the_real_inventory_never_fail(
    case: schemathesis.Case, service_with_inventory: ServiceProcess, shopper: dict[str, str], placed_orders: list[str]
) -> None:
    url = service_with_inventory.url
    if case.path == "/ecom/checkout":
        # A cart to order, so the fuzzed checkout goes on to reserve in inventory.
        if not httpx.get(f"{url}/ecom/cart", headers=shopper).json()["items"]:
            added = httpx.post(f"{url}/ecom/cart", json={"book_id": str(HOBBIT.id)}, headers=shopper)
            assert added.status_code == 200, added.text
    elif placed_orders:
        case.path_parameters = {"order_id": placed_orders[-1]}  # cancel a real order: inventory takes it back
    response = case.call_and_validate(
        base_url=url,
        headers=shopper,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
    if case.path == "/ecom/checkout" and response.status_code == 201:
        placed_orders.append(response.json()["order_id"])


def test_the_fuzzed_checkouts_reserved_stock_in_the_real_inventory(placed_orders: list[str]) -> None:
    assert placed_orders, "no fuzzed checkout placed an order: checkout was not fuzzed past its reservation"
    with psycopg.connect(os.environ["INVENTORY_TEST_DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT r.order_id::text, r.status, l.book_id::text, l.quantity FROM reservation r "
            "JOIN reservation_line l USING (order_id) WHERE r.order_id = ANY(%s::uuid[])",
            (placed_orders,),
        ).fetchall()
    assert sorted(order for order, *_ in rows) == sorted(placed_orders)
    assert {(book, quantity) for _order, _status, book, quantity in rows} == {(str(HOBBIT.id), 1)}
    assert {status for _order, status, *_ in rows} <= {"held", "cancelled"}


# Stops the module's service process, so it comes last.
def test_it_logs_json_lines_with_the_gateways_trace_id_and_stops_on_sigterm(
    service: ServiceProcess,
) -> None:
    httpx.get(f"{service.url}/ecom/books/{HOBBIT.id}", headers={"X-Request-Id": "trace-from-gateway-42"})
    lines = stop_and_read_log(service)
    assert "Application shutdown complete." in [line["message"] for line in lines]
    [access] = [line for line in lines if line.get("trace_id") == "trace-from-gateway-42"]
    assert (access["route"], access["status"]) == ("/ecom/books/{book_id}", 200)
