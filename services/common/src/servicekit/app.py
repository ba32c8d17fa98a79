"""Wiring shared by the services' app factories."""

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.telemetry import TelemetryConfig
from starlette.types import ASGIApp

from servicekit.auth.jwks import JwksCache, JwksFetcher, http_jwks_fetcher
from servicekit.auth.tokens import TokenValidator
from servicekit.db import create_engine, create_plain_pool, create_sessionmaker
from servicekit.errors import register_error_handlers
from servicekit.logs import configure_logging
from servicekit.middleware import RequestContextMiddleware, request_latency_histogram
from servicekit.ratelimit import RateLimiter
from servicekit.redis import redis_client
from servicekit.settings import ServiceSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


@dataclass(frozen=True)
class Cors:
    """What the storefront's scripts may send: these methods, these headers besides the standard ones, cookies."""

    methods: Sequence[str]
    headers: Sequence[str] = ()
    credentials: bool = False


@dataclass(frozen=True)
class ServiceInfo:
    """What tells one service's app from another's."""

    name: str  # names its logger, metrics and Redis keys
    api_prefix: str  # every route, the docs too
    title: str
    description: str
    cors: Cors


def token_validator(settings: ServiceSettings, fetcher: JwksFetcher | None = None) -> TokenValidator:
    keys = JwksCache(
        fetcher or http_jwks_fetcher(settings.oidc_jwks_url),
        min_refresh_seconds=settings.jwks_min_refresh_seconds,
        max_age_seconds=settings.jwks_max_age_seconds,
    )
    return TokenValidator(
        keys, issuer=settings.oidc_issuer, audience=settings.oidc_audience, leeway=settings.jwt_leeway_seconds
    )


@contextlib.asynccontextmanager
async def background(*jobs: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run the jobs as tasks while the app serves; each is cancelled, in order, at shutdown."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _lifespan(
    settings: ServiceSettings, service: str, jwks_fetcher: JwksFetcher | None, own: Lifespan | None
) -> Lifespan:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """What every service holds in `app.state` (database, Redis, rate limiter, token validator), then the
        service's own lifespan, which may use them."""
        engine = create_engine(settings.database_url)
        redis = redis_client(settings.redis_url)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.plain_pool = plain_pool = await create_plain_pool(settings.database_url)
        app.state.redis = redis
        app.state.rate_limiter = RateLimiter(redis, prefix=f"{service}:ratelimit")
        app.state.token_validator = token_validator(settings, jwks_fetcher)
        try:
            async with own(app) if own is not None else contextlib.nullcontext():
                yield
        finally:
            await redis.aclose()
            await plain_pool.close()
            await engine.dispose()

    return lifespan


def create_service_app(
    settings: ServiceSettings,
    service: ServiceInfo,
    routers: Sequence[APIRouter],
    *,
    lifespan: Lifespan | None = None,
    jwks_fetcher: JwksFetcher | None = None,
    inner_middleware: Sequence[Callable[[ASGIApp], ASGIApp]] = (),
) -> FastAPI:
    """A service's app: its routes under the API prefix (docs too), error rendering, CORS for the storefront,
    trace ids + access log + latency histogram, and the shared lifespan around the service's own `lifespan`.
    `inner_middleware` runs inside all of that, just before the routes (first listed outermost). Tests pass a
    `jwks_fetcher` that serves their own signing key."""
    # Each uvicorn worker process builds its own app, so it configures its own JSON logging.
    configure_logging(settings.log_level)
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    app = FastAPI(
        title=service.title,
        version="0.1.0",
        description=service.description,
        lifespan=_lifespan(settings, service.name, jwks_fetcher, lifespan),
        docs_url=f"{service.api_prefix}/docs",
        openapi_url=f"{service.api_prefix}/openapi.json",
        redoc_url=None,
        # FastAPI's own OpenTelemetry hooks ask the global providers whether anything is configured, on every
        # request (environment lookups included); traces come from `configure_tracing` when an endpoint is set.
        telemetry=None if endpoint else _NO_TELEMETRY,
    )
    app.state.settings = settings
    register_error_handlers(app)
    for middleware in reversed(inner_middleware):
        app.add_middleware(middleware)  # type: ignore[arg-type]
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=list(service.cors.methods),
        allow_headers=[*service.cors.headers, "Authorization", "Content-Type", "X-Request-Id"],
        allow_credentials=service.cors.credentials,
        expose_headers=["Retry-After", "X-Request-Id"],
        max_age=600,
    )
    app.add_middleware(
        RequestContextMiddleware,
        service=service.name,
        api_prefix=service.api_prefix,
        latency=request_latency_histogram(service.name),
    )
    for router in routers:
        app.include_router(router)
    if endpoint:
        # Imported only then: OpenTelemetry's SDK costs memory and start-up time in every worker.
        from servicekit.tracing import configure_tracing

        configure_tracing(app, service.name, service.api_prefix, endpoint=endpoint)
    return app
