import contextlib
from collections.abc import AsyncIterator

import aiohttp
import httpx
from fastapi import FastAPI

from ecom.admin.router import router as admin_router
from ecom.cart.guest import GuestCarts
from ecom.cart.router import router as cart_router
from ecom.catalog.dependencies import open_search_pool
from ecom.catalog.fast import FastCatalogReads
from ecom.catalog.router import router as catalog_router
from ecom.checkout.router import router as checkout_router
from ecom.checkout.service import run_recovery_loop
from ecom.clients.inventory import InventoryClient
from ecom.clients.service_token import ServiceToken, TokenSource
from ecom.config import API_PREFIX, Settings, get_settings
from ecom.csrf.router import router as csrf_router
from ecom.csrf.service import CsrfStore
from ecom.health.router import router as health_router
from ecom.orders.router import router as orders_router
from servicekit.app import Cors, ServiceInfo, background, create_service_app
from servicekit.auth.jwks import JwksFetcher

SERVICE = ServiceInfo(
    name="ecom",
    api_prefix=API_PREFIX,
    title="E-Commerce service",
    description="Catalog with full-text search, guest and customer carts, idempotent checkout, orders.",
    # The guest cart cookie must travel with the storefront's requests.
    cors=Cors(["GET", "POST", "PUT", "PATCH", "DELETE"], headers=["X-CSRF-Token", "Idempotency-Key"], credentials=True),
)


def create_app(
    settings: Settings | None = None,
    *,
    jwks_fetcher: JwksFetcher | None = None,
    service_tokens: TokenSource | None = None,
) -> FastAPI:
    """The app; tests may sign service tokens with their own key (the platform tests cover Keycloak)."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Carts and CSRF tokens in Redis, the inventory client, the search's pool, and the checkout recovery
        sweep."""
        app.state.csrf = CsrfStore(app.state.redis, ttl_seconds=settings.csrf_ttl_seconds)
        app.state.guest_carts = GuestCarts(app.state.redis, ttl_seconds=settings.guest_cart_ttl_seconds)
        # Inventory must answer within the timeout or the checkout reports 503 (the saga never hangs). Idle
        # connections are closed after 4 s, before inventory's uvicorn closes them (5 s): a request sent on a
        # connection the server is closing just then fails.
        async with (
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=4),
                timeout=aiohttp.ClientTimeout(total=settings.inventory_timeout_seconds),
            ) as inventory_http,
            httpx.AsyncClient(timeout=httpx.Timeout(settings.inventory_timeout_seconds)) as http,
        ):
            tokens = service_tokens or ServiceToken(
                http,
                token_url=settings.oidc_token_url,
                client_id=settings.service_client_id,
                client_secret=settings.service_client_secret,
            )
            app.state.inventory = InventoryClient(inventory_http, tokens, base_url=settings.inventory_url)
            recovery = run_recovery_loop(
                app.state.sessionmaker,
                app.state.inventory,
                interval_seconds=settings.recovery_interval_seconds,
                stale_seconds=settings.stale_checkout_seconds,
            )
            async with open_search_pool(app, settings.database_url), background(recovery):
                yield

    return create_service_app(
        settings,
        SERVICE,
        (catalog_router, csrf_router, cart_router, checkout_router, orders_router, admin_router, health_router),
        lifespan=lifespan,
        jwks_fetcher=jwks_fetcher,
        inner_middleware=(FastCatalogReads,) if settings.fast_catalog else (),
    )
