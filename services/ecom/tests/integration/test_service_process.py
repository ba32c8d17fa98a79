"""`python -m ecom` as the platform runs it: migrate, seed, serve over real HTTP; then fuzz its
OpenAPI with schemathesis (no input may produce a 5xx): the whole API with inventory unreachable, and
checkout and cancel once more against a real `python -m inventory`."""

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import schemathesis
from factories import SigningKey, admin_token, bearer, make_token, service_token

from ecom.config import REPO_ROOT
from ecom.openapi import document as openapi_document
from servicekit import testing
from servicekit.catalog import load_catalog
from servicekit.testing import ServiceProcess

HOBBIT = next(book for book in load_catalog(REPO_ROOT / "data/catalog/books.json") if book.title == "The Hobbit")


@pytest.fixture(scope="module")
def service(signing_key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    env = {
        # Nothing listens there: a checkout that got as far as reserving would answer 503.
        "ECOM_INVENTORY_URL": "http://127.0.0.1:1",
        "ECOM_RECOVERY_INTERVAL_SECONDS": "3600",
        # Required outside development; never sent anywhere here (no checkout gets as far as Keycloak).
        "ECOM_SERVICE_CLIENT_SECRET": "a-generated-secret",
    }
    log = tmp_path_factory.mktemp("ecom") / "stdout.log"
    with testing.running_service("ecom", "ecom", signing_key, log, env) as service:
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
        exited = testing.run_until_exit("ecom", env | {"ECOM_SERVICE_CLIENT_SECRET": ""}, tmp_path / "stdout.log")
        assert exited.returncode != 0
        assert "ECOM_SERVICE_CLIENT_SECRET is empty or a placeholder" in exited.output


# Built in-process (the app factory touches no database); the running service answers the calls.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@testing.fuzzing
def test_no_input_makes_the_api_fail(
    case: schemathesis.Case, service: ServiceProcess, superuser: dict[str, str]
) -> None:
    case.call_and_validate(base_url=service.url, headers=superuser, checks=testing.FUZZ_CHECKS)


@pytest.fixture(scope="module")
def inventory(signing_key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """The real inventory service, on its disposable database, trusting the same test key."""
    env = {"INVENTORY_SERVICE_RATE_LIMIT_PER_MINUTE": "1000000", "INVENTORY_CONSUMER_ENABLED": "false"}
    log = tmp_path_factory.mktemp("inventory") / "stdout.log"
    with testing.running_service("inventory", "inven", signing_key, log, env) as service:
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
        "ECOM_INVENTORY_URL": inventory.url,
        "ECOM_SERVICE_CLIENT_SECRET": "test-secret",
        "ECOM_RECOVERY_INTERVAL_SECONDS": "3600",
    }
    log = tmp_path_factory.mktemp("ecom-with-inventory") / "stdout.log"
    with (
        testing.token_server(service_token(signing_key, expires_in=3600)) as token_url,
        testing.running_service("ecom", "ecom", signing_key, log, env | {"ECOM_OIDC_TOKEN_URL": token_url}) as service,
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
@testing.fuzzing
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
    response = case.call_and_validate(base_url=url, headers=shopper, checks=testing.FUZZ_CHECKS)
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
    lines = testing.stop_and_read_log(service)
    assert "Application shutdown complete." in [line["message"] for line in lines]
    [access] = [line for line in lines if line.get("trace_id") == "trace-from-gateway-42"]
    assert (access["route"], access["status"]) == ("/ecom/books/{book_id}", 200)
