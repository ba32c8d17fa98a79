from fastapi import Request

from inventory.auth.dependencies import RESERVE_ROLE
from inventory.config import SettingsDep
from servicekit.auth.dependencies import BearerPrincipal
from servicekit.auth.tokens import Principal
from servicekit.ratelimit import enforce_rate_limit


async def rate_limit(request: Request, auth: BearerPrincipal, settings: SettingsDep) -> None:
    """Router dependency: per-subject (else per-address) budget per minute."""
    principal = auth if isinstance(auth, Principal) else None
    # The ecom service account reserves on behalf of every shopper, so it gets its own, larger budget.
    limit = (
        settings.service_rate_limit_per_minute
        if principal is not None and principal.has_client_role(settings.oidc_client_id, RESERVE_ROLE)
        else settings.rate_limit_per_minute
    )
    await enforce_rate_limit(request, principal, limit=limit, proxy_hops=settings.trusted_proxy_hops)
