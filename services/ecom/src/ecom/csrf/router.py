from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from ecom.config import API_PREFIX, SettingsDep
from ecom.csrf.dependencies import CSRF_HEADER, CsrfStoreDep, GuestId, binding, ensure_guest_id
from ecom.ratelimit import rate_limit
from servicekit.auth.dependencies import OptionalPrincipal
from servicekit.errors import error_responses

router = APIRouter(prefix=API_PREFIX, tags=["csrf"], dependencies=[Depends(rate_limit)])


class CsrfToken(BaseModel):
    token: str
    header: str = CSRF_HEADER


@router.get("/csrf", response_model=CsrfToken, responses=error_responses(401, 429, 503))
async def issue_csrf_token(
    request: Request,
    response: Response,
    principal: OptionalPrincipal,
    guest: GuestId,
    settings: SettingsDep,
    store: CsrfStoreDep,
) -> CsrfToken:
    """A token to send as X-CSRF-Token on every change: bound to the signed-in user, else to the guest
    cookie (issued here when missing)."""
    if principal is None:
        guest = ensure_guest_id(request, response, settings)
    response.headers["Cache-Control"] = "no-store"
    bound_to = binding(principal, guest)
    assert bound_to is not None
    return CsrfToken(token=await store.issue(bound_to))
