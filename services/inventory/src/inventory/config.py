from pathlib import Path
from typing import Annotated

from fastapi import Depends
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import REPO_ROOT, ServiceSettings, SettingsLoader, app_settings

__all__ = ["API_PREFIX", "REPO_ROOT", "SERVICE_ROOT", "Settings", "SettingsDep", "get_settings"]

API_PREFIX = "/inven"  # every route; the gateway forwards https://api.service.net:30000/inven/... unchanged

# src/inventory/config.py -> services/inventory (alembic.ini)
SERVICE_ROOT = Path(__file__).resolve().parents[2]


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", extra="ignore")

    redis_url: str = "redis://127.0.0.1:16379/1"
    kafka_bootstrap: str = "127.0.0.1:19092"
    # The order.created consumer runs inside the service process; tests of the HTTP API alone turn it off.
    consumer_enabled: bool = True
    # Keycloak client whose roles grant access to the internal reservation API.
    oidc_client_id: str = "inventory-service"

    reservation_ttl_seconds: int = Field(default=900, gt=0)
    expiry_interval_seconds: float = Field(default=30.0, gt=0)
    expiry_batch_size: int = Field(default=100, gt=0, le=1000)
    service_rate_limit_per_minute: int = Field(default=60_000, gt=0)

    # Each worker process runs its own expiry sweeper (SKIP LOCKED) and joins the consumer group.
    port: int = 18002


get_settings = SettingsLoader(Settings)
SettingsDep = Annotated[Settings, Depends(app_settings)]
