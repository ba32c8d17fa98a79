"""Wiring shared by the services' app factories."""

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import Histogram
from starlette.types import Lifespan

from servicekit.auth.jwks import JwksCache, JwksFetcher, http_jwks_fetcher
from servicekit.auth.tokens import TokenValidator
from servicekit.errors import register_error_handlers
from servicekit.middleware import RequestContextMiddleware
from servicekit.settings import ServiceSettings


def token_validator(settings: ServiceSettings, fetcher: JwksFetcher | None = None) -> TokenValidator:
    keys = JwksCache(
        fetcher or http_jwks_fetcher(settings.oidc_jwks_url),
        min_refresh_seconds=settings.jwks_min_refresh_seconds,
        max_age_seconds=settings.jwks_max_age_seconds,
    )
    return TokenValidator(
        keys, issuer=settings.oidc_issuer, audience=settings.oidc_audience, leeway=settings.jwt_leeway_seconds
    )


def create_service_app(
    settings: ServiceSettings,
    *,
    service: str,
    title: str,
    description: str,
    api_prefix: str,
    lifespan: Lifespan[FastAPI],
    routers: Sequence[APIRouter],
    latency: Histogram,
    allow_methods: list[str],
    allow_headers: Sequence[str] = (),
    allow_credentials: bool = False,
) -> FastAPI:
    """A service's app: its routes under `api_prefix` (docs too), error rendering, CORS for the storefront,
    trace ids + access log + latency histogram."""
    app = FastAPI(
        title=title,
        version="0.1.0",
        description=description,
        lifespan=lifespan,
        docs_url=f"{api_prefix}/docs",
        openapi_url=f"{api_prefix}/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    register_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=allow_methods,
        allow_headers=[*allow_headers, "Authorization", "Content-Type", "X-Request-Id"],
        allow_credentials=allow_credentials,
        expose_headers=["Retry-After", "X-Request-Id"],
        max_age=600,
    )
    app.add_middleware(RequestContextMiddleware, service=service, api_prefix=api_prefix, latency=latency)
    for router in routers:
        app.include_router(router)
    return app
