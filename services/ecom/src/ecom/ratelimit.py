from fastapi import Request

from ecom.config import SettingsDep
from servicekit.auth.dependencies import BearerPrincipal
from servicekit.auth.tokens import Principal
from servicekit.ratelimit import enforce_rate_limit


async def rate_limit(request: Request, auth: BearerPrincipal, settings: SettingsDep) -> None:
    """Router dependency: per-user budget per minute for signed-in callers, per-address for the others."""
    principal = auth if isinstance(auth, Principal) else None
    await enforce_rate_limit(
        request, principal, limit=settings.rate_limit_per_minute, proxy_hops=settings.trusted_proxy_hops
    )
