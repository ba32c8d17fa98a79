from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

API_PREFIX = "/inven"  # every route; the gateway forwards https://api.service.net:30000/inven/... unchanged

# src/inventory/config.py -> services/inventory -> repository root
SERVICE_ROOT = Path(__file__).resolve().parents[2]
REPO_ROOT = SERVICE_ROOT.parents[1]


def to_asyncpg_url(url: str) -> str:
    """Accept the platform's libpq-style URL and return the SQLAlchemy asyncpg form."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("database URL must look like postgresql://user:password@host:port/db")
    if scheme in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+asyncpg"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"unsupported database URL scheme {scheme!r}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", extra="ignore")

    database_url: str
    redis_url: str = "redis://127.0.0.1:16379/1"
    kafka_bootstrap: str = "127.0.0.1:19092"
    # The order.created consumer runs inside the service process; tests of the HTTP API alone turn it off.
    consumer_enabled: bool = True

    oidc_issuer: str = "https://idp.keycloak.net:30000/realms/bookstore"
    oidc_jwks_url: str = "http://127.0.0.1:18080/realms/bookstore/protocol/openid-connect/certs"
    oidc_audience: str = "bookstore-api"
    # Keycloak client whose roles grant access to the internal reservation API.
    oidc_client_id: str = "inventory-service"
    jwks_min_refresh_seconds: float = Field(default=10.0, ge=0)
    jwks_max_age_seconds: float = Field(default=600.0, gt=0)
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)

    reservation_ttl_seconds: int = Field(default=900, gt=0)
    expiry_interval_seconds: float = Field(default=30.0, gt=0)
    expiry_batch_size: int = Field(default=100, gt=0, le=1000)
    rate_limit_per_minute: int = Field(default=600, gt=0)
    service_rate_limit_per_minute: int = Field(default=60_000, gt=0)
    # Proxies in front of the service that append to X-Forwarded-For (the local gateway: one).
    trusted_proxy_hops: int = Field(default=1, ge=0, le=5)
    catalog_seed: Path = REPO_ROOT / "data" / "catalog" / "books.json"

    # Browser origins allowed to call the API (the UI reads stock and admins edit it from there).
    cors_origins: list[str] = ["https://myecom.net:30000"]

    host: str = "127.0.0.1"
    port: int = 18002
    # Worker processes; each runs its own expiry sweeper (SKIP LOCKED) and joins the consumer group.
    workers: int = Field(default=1, ge=1, le=16)
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _asyncpg(cls, value: str) -> str:
        return to_asyncpg_url(value)


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # required fields come from the environment


def app_settings(request: Request) -> Settings:
    """The settings the running app was created with (tests create apps with their own)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]
