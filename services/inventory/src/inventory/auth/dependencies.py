from typing import Annotated

from fastapi import Depends, Request

from inventory.auth.exceptions import InvalidToken, KeysUnavailable, MissingRole
from inventory.auth.tokens import Principal, TokenValidator
from inventory.config import SettingsDep
from inventory.errors import ServiceError

RESERVE_ROLE = "inventory:reserve"
ADMIN_ROLE = "admin"


async def bearer_principal(request: Request) -> Principal | ServiceError | None:
    """The caller's validated principal, None without a token, or why the token was refused.

    Returned rather than raised so the rate limiter and public routes can treat a bad token as no
    token; FastAPI caches it, so a token is validated once per request."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return InvalidToken("expected an Authorization: Bearer token")
    validator: TokenValidator = request.app.state.token_validator
    try:
        return await validator.validate(token.strip())
    except (InvalidToken, KeysUnavailable) as exc:
        return exc


BearerPrincipal = Annotated[Principal | ServiceError | None, Depends(bearer_principal)]


async def current_principal(auth: BearerPrincipal) -> Principal:
    if auth is None:
        raise InvalidToken("a bearer token is required")
    if isinstance(auth, ServiceError):
        raise auth
    return auth


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def admin_user(principal: CurrentPrincipal) -> Principal:
    if ADMIN_ROLE not in principal.realm_roles:
        raise MissingRole(ADMIN_ROLE)
    return principal


async def reserving_client(principal: CurrentPrincipal, settings: SettingsDep) -> Principal:
    """The ecom service account: the inventory client's reserve role, granted to nobody else."""
    if not principal.has_client_role(settings.oidc_client_id, RESERVE_ROLE):
        raise MissingRole(RESERVE_ROLE)
    return principal


AdminUser = Annotated[Principal, Depends(admin_user)]
ReservingClient = Annotated[Principal, Depends(reserving_client)]
