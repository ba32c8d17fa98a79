import pytest
from pydantic import ValidationError

from inventory.config import Settings
from servicekit.db import to_asyncpg_url


class TestDatabaseUrl:
    @pytest.mark.parametrize(
        "url",
        [
            "postgresql://inventory:pw@127.0.0.1:15433/inventory",
            "postgres://inventory:pw@127.0.0.1:15433/inventory",
            "postgresql+asyncpg://inventory:pw@127.0.0.1:15433/inventory",
        ],
    )
    def test_platform_urls_become_asyncpg_urls(self, url: str) -> None:
        assert to_asyncpg_url(url) == "postgresql+asyncpg://inventory:pw@127.0.0.1:15433/inventory"

    @pytest.mark.parametrize("url", ["mysql://x@h/db", "inventory"])
    def test_other_urls_are_refused(self, url: str) -> None:
        with pytest.raises(ValueError):
            to_asyncpg_url(url)

    def test_settings_read_the_inventory_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("INVENTORY_DATABASE_URL", "postgresql://u:p@127.0.0.1:15433/inventory")
        monkeypatch.setenv("INVENTORY_RESERVATION_TTL_SECONDS", "60")
        settings = Settings()  # type: ignore[call-arg]
        assert settings.database_url.startswith("postgresql+asyncpg://")
        assert settings.reservation_ttl_seconds == 60
        assert settings.port == 18002
        assert settings.catalog_seed.name == "books.json" and settings.catalog_seed.exists()


class TestSecrets:
    @pytest.mark.parametrize("password", ["<password>", "${INVENTORY_DB_PASSWORD}", "changeme", ""])
    def test_a_placeholder_database_password_is_refused_naming_the_variable(
        self, monkeypatch: pytest.MonkeyPatch, password: str
    ) -> None:
        monkeypatch.setenv("INVENTORY_DATABASE_URL", f"postgresql://inventory:{password}@127.0.0.1:15433/inventory")
        with pytest.raises(ValidationError, match="INVENTORY_DATABASE_URL has a placeholder password"):
            Settings()  # type: ignore[call-arg]

    def test_a_placeholder_redis_password_is_refused_naming_the_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("INVENTORY_DATABASE_URL", "postgresql://u:p@127.0.0.1:15433/inventory")
        monkeypatch.setenv("INVENTORY_REDIS_URL", "redis://:<generated>@127.0.0.1:16379/1")
        with pytest.raises(ValidationError, match="INVENTORY_REDIS_URL has a placeholder password"):
            Settings()  # type: ignore[call-arg]

    def test_development_accepts_placeholders(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("INVENTORY_DATABASE_URL", "postgresql://inventory:<password>@127.0.0.1:15433/inventory")
        monkeypatch.setenv("INVENTORY_ENVIRONMENT", "development")
        assert Settings().environment == "development"  # type: ignore[call-arg]
