from pathlib import Path
from typing import Annotated

from fastapi import Depends
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import REPO_ROOT, SECRET, ServiceSettings, SettingsLoader, app_settings

__all__ = ["API_PREFIX", "REPO_ROOT", "SERVICE_ROOT", "Settings", "SettingsDep", "get_settings"]

API_PREFIX = "/ecom"  # every route; the gateway forwards https://api.service.net:30000/ecom/... unchanged

# src/ecom/config.py -> services/ecom (alembic.ini)
SERVICE_ROOT = Path(__file__).resolve().parents[2]


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ECOM_", extra="ignore")

    port: int = 18001
    redis_url: str = "redis://127.0.0.1:16379/0"
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")

    # Inventory's internal API and the Keycloak client this service authenticates to it with.
    inventory_url: str = "http://127.0.0.1:18002"
    inventory_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    oidc_token_url: str = "http://127.0.0.1:18080/realms/bookstore/protocol/openid-connect/token"  # noqa: S105
    service_client_id: str = "ecom-service"
    service_client_secret: Annotated[str, SECRET] = ""

    guest_cart_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    csrf_ttl_seconds: int = Field(default=8 * 3600, gt=0)
    # Cookies are Secure; plain-HTTP test clients can turn that off (never in the platform).
    cookie_secure: bool = True
    max_cart_lines: int = Field(default=50, gt=0, le=200)

    # A checkout claim still pending after this long belongs to a crashed attempt: its reservation is released.
    stale_checkout_seconds: float = Field(default=120.0, gt=0)
    recovery_interval_seconds: float = Field(default=30.0, gt=0)
    # How long a duplicate request waits for the first one with the same Idempotency-Key to finish.
    idempotency_wait_seconds: float = Field(default=5.0, gt=0, le=30)
    # The catalog's list and search pages answered without FastAPI's routing when their parameters are plainly
    # valid (ecom.catalog.fast); off, every request takes the routes (tests compare the two).
    fast_catalog: bool = True
    # Test hook: raise after the stock is reserved and before the order is stored (crash injection).
    fault_after_reservation: bool = False


get_settings = SettingsLoader(Settings)
SettingsDep = Annotated[Settings, Depends(app_settings)]
