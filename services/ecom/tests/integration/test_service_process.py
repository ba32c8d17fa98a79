"""`python -m ecom` as the platform runs it: migrate, seed, serve over real HTTP; then fuzz its
OpenAPI with schemathesis (no input may produce a 5xx)."""

import os
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from factories import SigningKey, bearer, make_token
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from ecom.config import REPO_ROOT
from ecom.openapi import document as openapi_document
from servicekit.catalog import load_catalog
from servicekit.testing import ServiceProcess, jwks_server, service_process, stop_and_read_log

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


# Stops the module's service process, so it comes last.
def test_it_logs_json_lines_with_the_gateways_trace_id_and_stops_on_sigterm(
    service: ServiceProcess,
) -> None:
    httpx.get(f"{service.url}/ecom/books/{HOBBIT.id}", headers={"X-Request-Id": "trace-from-gateway-42"})
    lines = stop_and_read_log(service)
    assert "Application shutdown complete." in [line["message"] for line in lines]
    [access] = [line for line in lines if line.get("trace_id") == "trace-from-gateway-42"]
    assert (access["route"], access["status"]) == ("/ecom/books/{book_id}", 200)
