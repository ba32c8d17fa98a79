"""Settings every service has; each service subclasses with its own env prefix and additions."""

from pathlib import Path
from typing import Any, Generic, TypeVar

from fastapi import Request
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from servicekit.db import to_asyncpg_url

# services/common/src/servicekit/settings.py -> repository root, where the shared catalog seed lives.
REPO_ROOT = Path(__file__).resolve().parents[4]


class ServiceSettings(BaseSettings):
    database_url: str
    redis_url: str = "redis://127.0.0.1:16379/0"
    catalog_seed: Path = REPO_ROOT / "data" / "catalog" / "books.json"

    oidc_issuer: str = "https://idp.keycloak.net:30000/realms/bookstore"
    oidc_jwks_url: str = "http://127.0.0.1:18080/realms/bookstore/protocol/openid-connect/certs"
    oidc_audience: str = "bookstore-api"
    jwks_min_refresh_seconds: float = Field(default=10.0, ge=0)
    jwks_max_age_seconds: float = Field(default=600.0, gt=0)
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)

    rate_limit_per_minute: int = Field(default=600, gt=0)
    # Proxies in front of the service that append to X-Forwarded-For (the local gateway: one).
    trusted_proxy_hops: int = Field(default=1, ge=0, le=5)
    # Browser origins allowed to call the API (the storefront).
    cors_origins: list[str] = ["https://myecom.net:30000"]

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1, le=16)
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _asyncpg(cls, value: str) -> str:
        return to_asyncpg_url(value)


S = TypeVar("S", bound=ServiceSettings)
S_co = TypeVar("S_co", bound=ServiceSettings, covariant=True)


class SettingsLoader(Generic[S_co]):
    """`get_settings()`: the service's settings, read from the environment once (the module singleton)."""

    def __init__(self, cls: type[S_co]) -> None:
        self.cls = cls
        self._settings: S_co | None = None

    def __call__(self) -> S_co:
        if self._settings is None:
            self._settings = self.cls()  # type: ignore[call-arg]  # required fields come from the environment
        return self._settings


def app_settings(request: Request) -> Any:
    """The settings the running app was created with (tests create apps with their own); a service types it
    with `SettingsDep = Annotated[Settings, Depends(app_settings)]`."""
    return request.app.state.settings
