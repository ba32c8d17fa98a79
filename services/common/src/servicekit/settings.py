"""Settings every service has; each service subclasses with its own env prefix and additions."""

from pathlib import Path
from typing import Any, Final, Generic, Literal, Self, TypeVar
from urllib.parse import unquote, urlsplit

from fastapi import Request
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings

from servicekit.db import to_asyncpg_url

# services/common/src/servicekit/settings.py -> repository root, where the shared catalog seed lives.
REPO_ROOT = Path(__file__).resolve().parents[4]

DEVELOPMENT: Final = "development"


class Secret:
    """Marks a setting as a secret (`Annotated[str, SECRET]`): outside development it must hold a real value."""


SECRET = Secret()

# Values copied from an example or a template instead of a real secret.
_PLACEHOLDERS = frozenset({"changeme", "change-me", "change_me", "placeholder", "secret", "password", "todo", "xxx"})


def is_placeholder(value: str) -> bool:
    """Empty, or an example's stand-in: `<pw>`, `${SECRET}`, `changeme`."""
    value = value.strip()
    return (
        not value
        or value.lower() in _PLACEHOLDERS
        or (value.startswith("<") and value.endswith(">"))
        or (value.startswith("${") and value.endswith("}"))
    )


def _url_password(url: str) -> str | None:
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return None if password is None else unquote(password)


class ServiceSettings(BaseSettings):
    # Only development (tests, a laptop without Keycloak) may run without real secrets; the default fails closed.
    environment: Literal["development", "production"] = "production"

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

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable a setting is read from, e.g. ECOM_SERVICE_CLIENT_SECRET."""
        return f"{cls.model_config.get('env_prefix') or ''}{field}".upper()

    @model_validator(mode="after")
    def _secrets_are_real(self) -> Self:
        if self.environment == DEVELOPMENT:
            return self
        problems: list[str] = []
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if SECRET in field.metadata and is_placeholder(value):
                problems.append(f"{self.env_name(name)} is empty or a placeholder")
            elif name.endswith("_url") and isinstance(value, str):
                password = _url_password(value)
                if password is not None and is_placeholder(password):
                    problems.append(f"{self.env_name(name)} has a placeholder password")
        if problems:
            only = f"only {self.env_name('environment')}={DEVELOPMENT} may run without real secrets"
            raise ValueError(f"{'; '.join(problems)} ({only})")
        return self


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


async def app_settings(request: Request) -> Any:
    """The settings the running app was created with (tests create apps with their own); a service types it
    with `SettingsDep = Annotated[Settings, Depends(app_settings)]`. (Async on purpose: FastAPI runs a plain
    function dependency in a worker thread, a costly hop for a lookup.)"""
    return request.app.state.settings
