import re
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response

from ecom.config import SettingsDep
from ecom.csrf.service import CsrfInvalid, CsrfStore
from servicekit.auth.dependencies import OptionalPrincipal
from servicekit.auth.tokens import Principal

GUEST_COOKIE = "bookstore_guest"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_GUEST_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # token_urlsafe(32)


def guest_id(request: Request) -> str | None:
    """The guest cookie's id when it is well formed (anything else is treated as no cookie)."""
    value = request.cookies.get(GUEST_COOKIE, "")
    return value if _GUEST_ID.fullmatch(value) else None


async def _guest_id_dependency(request: Request) -> str | None:
    # Dependencies are coroutines: FastAPI would run a plain function in a worker thread, a costly hop.
    return guest_id(request)


GuestId = Annotated[str | None, Depends(_guest_id_dependency)]


def set_guest_cookie(response: Response, value: str, *, max_age: int, secure: bool) -> None:
    response.set_cookie(
        GUEST_COOKIE, value, max_age=max_age, path="/ecom", httponly=True, secure=secure, samesite="lax"
    )


def clear_guest_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(GUEST_COOKIE, path="/ecom", httponly=True, secure=secure, samesite="lax")


def ensure_guest_id(request: Request, response: Response, settings: SettingsDep) -> str:
    """The guest's id, issuing a cookie for a new one."""
    current = guest_id(request)
    if current is None:
        current = secrets.token_urlsafe(32)
    # Re-set every time so the cookie lives as long as the cart (sliding 7 days).
    set_guest_cookie(response, current, max_age=settings.guest_cart_ttl_seconds, secure=settings.cookie_secure)
    return current


def csrf_store(request: Request) -> CsrfStore:
    store: CsrfStore = request.app.state.csrf
    return store


async def _csrf_store_dependency(request: Request) -> CsrfStore:
    return csrf_store(request)


CsrfStoreDep = Annotated[CsrfStore, Depends(_csrf_store_dependency)]


def binding(principal: Principal | None, guest: str | None) -> str | None:
    if principal is not None:
        return f"user:{principal.subject}"
    return f"guest:{guest}" if guest is not None else None


async def require_csrf(request: Request, principal: OptionalPrincipal, guest: GuestId) -> None:
    """Router dependency: every POST/PUT/PATCH/DELETE carries the caller's token in X-CSRF-Token."""
    if request.method in SAFE_METHODS:
        return
    bound_to = binding(principal, guest)
    if bound_to is None:
        raise CsrfInvalid("no session to check the CSRF token against; fetch one from GET /ecom/csrf")
    await csrf_store(request).verify(bound_to, request.headers.get(CSRF_HEADER))
