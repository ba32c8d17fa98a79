"""`python -m inventory` as the platform runs it: migrate, seed, serve over real HTTP; then fuzz its
OpenAPI with schemathesis (no input may produce a 5xx)."""

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis
from factories import RESERVE_ROLES, SigningKey, bearer, make_token

from inventory.config import REPO_ROOT
from inventory.openapi import document as openapi_document
from servicekit import testing
from servicekit.catalog import load_catalog
from servicekit.testing import ServiceProcess

HOBBIT = next(book for book in load_catalog(REPO_ROOT / "data/catalog/books.json") if book.title == "The Hobbit")


@pytest.fixture(scope="module")
def service(signing_key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    log = tmp_path_factory.mktemp("inventory") / "stdout.log"
    with testing.running_service(
        "inventory", "inven", signing_key, log, {"INVENTORY_CONSUMER_ENABLED": "false"}
    ) as service:
        yield service


@pytest.fixture(scope="module")
def superuser(signing_key: SigningKey) -> dict[str, str]:
    """Both the admin and the reserve role, so the fuzzer gets past authorization everywhere."""
    return bearer(make_token(signing_key, realm_roles=["admin"], client_roles=RESERVE_ROLES, expires_in=3600))


class TestServiceProcess:
    def test_it_migrates_seeds_and_serves_the_catalog(self, service: ServiceProcess) -> None:
        response = httpx.get(f"{service.url}/inven/stock/{HOBBIT.id}")
        assert response.status_code == 200
        assert response.json()["book_id"] == str(HOBBIT.id)

    def test_a_placeholder_database_password_outside_development_stops_it_naming_the_variable(
        self, tmp_path: Path
    ) -> None:
        url = os.environ["INVENTORY_TEST_DATABASE_URL"]
        # The test database's URL with the placeholder .env.example shows instead of its password.
        placeholder = url.replace(f":{urlsplit(url).password}@", ":<password>@", 1)
        env = {"INVENTORY_DATABASE_URL": placeholder, "INVENTORY_ENVIRONMENT": "production"}
        exited = testing.run_until_exit("inventory", env, tmp_path / "stdout.log")
        assert exited.returncode != 0
        assert "INVENTORY_DATABASE_URL has a placeholder password" in exited.output


# Built in-process (the app factory touches no database); the running service answers the calls.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@testing.fuzzing
def test_no_input_makes_the_api_fail(
    case: schemathesis.Case, service: ServiceProcess, superuser: dict[str, str]
) -> None:
    case.call_and_validate(base_url=service.url, headers=superuser, checks=testing.FUZZ_CHECKS)


# Stops the module's service process, so it comes last.
def test_it_logs_json_lines_with_the_gateways_trace_id_and_stops_on_sigterm(
    service: ServiceProcess,
) -> None:
    httpx.get(f"{service.url}/inven/stock/{HOBBIT.id}", headers={"X-Request-Id": "trace-from-gateway-42"})
    lines = testing.stop_and_read_log(service)
    assert "Application shutdown complete." in [line["message"] for line in lines]
    [access] = [line for line in lines if line.get("trace_id") == "trace-from-gateway-42"]
    assert (access["route"], access["status"]) == ("/inven/stock/{book_id}", 200)
