"""Generated secrets: created once, private, stable, overridable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bookstore import secrets
from bookstore.config import DEFAULT_PORTS

REQUIRED = [
    "BOOKSTORE_CUSTOMER_USER",
    "BOOKSTORE_CUSTOMER_PASSWORD",
    "BOOKSTORE_ADMIN_USER",
    "BOOKSTORE_ADMIN_PASSWORD",
    "KEYCLOAK_ADMIN_USER",
    "KEYCLOAK_ADMIN_PASSWORD",
    "PGADMIN_EMAIL",
    "PGADMIN_PASSWORD",
    "ECOM_DATABASE_URL",
    "INVENTORY_DATABASE_URL",
    "ANALYTICS_DATABASE_URL",
    "KEYCLOAK_DATABASE_URL",
]


class TestSecrets:
    def test_first_run_writes_every_required_name_with_mode_0600(self, tmp_path: Path) -> None:
        path = tmp_path / "secrets.env"
        values = secrets.ensure(path, DEFAULT_PORTS)
        assert set(REQUIRED) <= set(values)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert set(REQUIRED) <= set(secrets.read_env_file(path))

    def test_passwords_are_strong_and_distinct(self, tmp_path: Path) -> None:
        values = secrets.ensure(tmp_path / "secrets.env", DEFAULT_PORTS)
        passwords = [v for k, v in values.items() if k.endswith("PASSWORD") or k.endswith("SECRET")]
        assert all(len(p) >= 32 for p in passwords)
        assert len(set(passwords)) == len(passwords)

    def test_second_run_keeps_the_same_values(self, tmp_path: Path) -> None:
        path = tmp_path / "secrets.env"
        first = secrets.ensure(path, DEFAULT_PORTS)
        assert secrets.ensure(path, DEFAULT_PORTS) == first

    def test_environment_overrides_and_first_run_override_is_persisted(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "secrets.env"
        monkeypatch.setenv("ECOM_DB_PASSWORD", "from-the-environment")
        values = secrets.ensure(path, DEFAULT_PORTS)
        assert values["ECOM_DB_PASSWORD"] == "from-the-environment"
        assert "from-the-environment@127.0.0.1:15432/ecom" in values["ECOM_DATABASE_URL"]
        monkeypatch.delenv("ECOM_DB_PASSWORD")
        assert secrets.ensure(path, DEFAULT_PORTS)["ECOM_DB_PASSWORD"] == "from-the-environment"
        monkeypatch.setenv("REDIS_PASSWORD", "later-override")
        assert secrets.ensure(path, DEFAULT_PORTS)["REDIS_PASSWORD"] == "later-override"
        assert secrets.read_env_file(path)["REDIS_PASSWORD"] != "later-override"
