from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from servicekit.auth.exceptions import InvalidToken, KeysUnavailable, MissingRole
from servicekit.auth.tokens import Principal, TokenValidator
from servicekit.errors import ServiceError


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


async def optional_principal(auth: BearerPrincipal) -> Principal | None:
    """For routes open to guests: no token → None, but a token that is present must be valid."""
    if isinstance(auth, ServiceError):
        raise auth
    return auth


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def require_realm_role(role: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting principals with realm role `role` (403 for the others)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if role not in principal.realm_roles:
            raise MissingRole(role)
        return principal

    return dependency
