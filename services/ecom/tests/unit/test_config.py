import os

import pytest
from pydantic import ValidationError

from ecom.config import API_PREFIX, REPO_ROOT, Settings

DATABASE_URL = "postgresql://ecom:pw@127.0.0.1:15432/ecom"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets: the shell may have the platform's ECOM_* variables exported. Plus the client
    secret every real environment has (TestSecrets checks what happens without it)."""
    for name in list(os.environ):
        if name.upper().startswith("ECOM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ECOM_SERVICE_CLIENT_SECRET", "a-generated-secret")


class TestSettings:
    def test_settings_read_the_ecom_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ECOM_DATABASE_URL", DATABASE_URL)
        monkeypatch.setenv("ECOM_PORT", "18101")
        monkeypatch.setenv("ECOM_INVENTORY_URL", "http://127.0.0.1:18102")
        monkeypatch.setenv("ECOM_SERVICE_CLIENT_SECRET", "s3cret")
        monkeypatch.setenv("ECOM_COOKIE_SECURE", "false")
        monkeypatch.setenv("ECOM_CORS_ORIGINS", '["https://shop.test"]')
        settings = Settings()  # type: ignore[call-arg]
        assert settings.port == 18101
        assert settings.inventory_url == "http://127.0.0.1:18102"
        assert settings.service_client_secret == "s3cret"
        assert settings.cookie_secure is False
        assert settings.cors_origins == ["https://shop.test"]

    def test_other_prefixes_are_ignored(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ECOM_DATABASE_URL", DATABASE_URL)
        monkeypatch.setenv("INVENTORY_PORT", "1")
        monkeypatch.setenv("PORT", "2")
        assert Settings().port == 18001  # type: ignore[call-arg]

    def test_database_url_is_required(self) -> None:
        with pytest.raises(ValidationError, match="database_url"):
            Settings()  # type: ignore[call-arg]

    @pytest.mark.parametrize(
        "url",
        [DATABASE_URL, "postgres://ecom:pw@127.0.0.1:15432/ecom", "postgresql+asyncpg://ecom:pw@127.0.0.1:15432/ecom"],
    )
    def test_database_url_is_used_in_asyncpg_form(self, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
        monkeypatch.setenv("ECOM_DATABASE_URL", url)
        assert Settings().database_url == "postgresql+asyncpg://ecom:pw@127.0.0.1:15432/ecom"  # type: ignore[call-arg]

    def test_non_postgres_database_url_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ECOM_DATABASE_URL", "mysql://ecom:pw@127.0.0.1/ecom")
        with pytest.raises(ValidationError, match="scheme"):
            Settings()  # type: ignore[call-arg]

    def test_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ECOM_DATABASE_URL", DATABASE_URL)
        settings = Settings()  # type: ignore[call-arg]
        assert settings.port == 18001
        assert settings.currency == "EUR"
        assert settings.cookie_secure is True
        assert settings.guest_cart_ttl_seconds == 7 * 24 * 3600
        assert settings.inventory_url == "http://127.0.0.1:18002"
        assert settings.service_client_id == "ecom-service"
        assert settings.fault_after_reservation is False
        assert settings.catalog_seed == REPO_ROOT / "data" / "catalog" / "books.json"
        assert settings.catalog_seed.exists()
        assert API_PREFIX == "/ecom"

    @pytest.mark.parametrize("currency", ["USD", "GBP"])
    def test_currency_is_an_iso_code(self, monkeypatch: pytest.MonkeyPatch, currency: str) -> None:
        monkeypatch.setenv("ECOM_DATABASE_URL", DATABASE_URL)
        monkeypatch.setenv("ECOM_CURRENCY", currency)
        assert Settings().currency == currency  # type: ignore[call-arg]

    @pytest.mark.parametrize("currency", ["eur", "EURO", "EU", "€", "E1R", ""])
    def test_currency_must_be_three_capital_letters(self, monkeypatch: pytest.MonkeyPatch, currency: str) -> None:
        monkeypatch.setenv("ECOM_DATABASE_URL", DATABASE_URL)
        monkeypatch.setenv("ECOM_CURRENCY", currency)
        with pytest.raises(ValidationError, match="currency"):
            Settings()  # type: ignore[call-arg]

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("ECOM_INVENTORY_TIMEOUT_SECONDS", "0"),
            ("ECOM_INVENTORY_TIMEOUT_SECONDS", "31"),
            ("ECOM_MAX_CART_LINES", "0"),
            ("ECOM_IDEMPOTENCY_WAIT_SECONDS", "60"),
            ("ECOM_STALE_CHECKOUT_SECONDS", "0"),
        ],
    )
    def test_out_of_range_limits_are_refused(self, monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
        monkeypatch.setenv("ECOM_DATABASE_URL", DATABASE_URL)
        monkeypatch.setenv(name, value)
        with pytest.raises(ValidationError, match=name.removeprefix("ECOM_").lower()):
            Settings()  # type: ignore[call-arg]


class TestSecrets:
    @pytest.fixture(autouse=True)
    def database_url(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ECOM_DATABASE_URL", DATABASE_URL)

    def test_the_environment_is_production_unless_said_otherwise(self) -> None:
        assert Settings().environment == "production"  # type: ignore[call-arg]

    def test_a_missing_client_secret_stops_the_settings_naming_the_variable(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("ECOM_SERVICE_CLIENT_SECRET")
        with pytest.raises(ValidationError, match="ECOM_SERVICE_CLIENT_SECRET is empty or a placeholder"):
            Settings()  # type: ignore[call-arg]

    @pytest.mark.parametrize(
        "secret",
        [
            "",
            "   ",
            "<the ecom-service Keycloak client's secret>",
            "<generated>",
            "${ECOM_SERVICE_CLIENT_SECRET}",
            "CHANGEME",
        ],
    )
    def test_an_empty_or_placeholder_client_secret_is_refused(
        self, monkeypatch: pytest.MonkeyPatch, secret: str
    ) -> None:
        monkeypatch.setenv("ECOM_SERVICE_CLIENT_SECRET", secret)
        with pytest.raises(ValidationError, match="ECOM_SERVICE_CLIENT_SECRET") as refused:
            Settings()  # type: ignore[call-arg]
        assert "ECOM_ENVIRONMENT=development" in str(refused.value)

    def test_a_placeholder_password_in_a_url_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ECOM_DATABASE_URL", "postgresql://ecom:<pw>@127.0.0.1:15432/ecom")
        monkeypatch.setenv("ECOM_REDIS_URL", "redis://:changeme@127.0.0.1:16379/0")
        with pytest.raises(ValidationError) as refused:
            Settings()  # type: ignore[call-arg]
        assert "ECOM_DATABASE_URL has a placeholder password" in str(refused.value)
        assert "ECOM_REDIS_URL has a placeholder password" in str(refused.value)

    def test_a_url_without_a_password_is_accepted(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ECOM_DATABASE_URL", "postgresql://ecom@127.0.0.1:15432/ecom")
        assert Settings().database_url == "postgresql+asyncpg://ecom@127.0.0.1:15432/ecom"  # type: ignore[call-arg]

    def test_development_runs_without_secrets(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("ECOM_SERVICE_CLIENT_SECRET")
        monkeypatch.setenv("ECOM_ENVIRONMENT", "development")
        monkeypatch.setenv("ECOM_DATABASE_URL", "postgresql://ecom:<pw>@127.0.0.1:15432/ecom")
        settings = Settings()  # type: ignore[call-arg]
        assert (settings.environment, settings.service_client_secret) == ("development", "")

    def test_an_unknown_environment_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ECOM_ENVIRONMENT", "staging")
        with pytest.raises(ValidationError, match="environment"):
            Settings()  # type: ignore[call-arg]
