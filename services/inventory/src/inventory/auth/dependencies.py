from typing import Annotated

from fastapi import Depends

from inventory.config import SettingsDep
from servicekit.auth.dependencies import CurrentPrincipal, require_realm_role
from servicekit.auth.exceptions import MissingRole
from servicekit.auth.tokens import Principal

RESERVE_ROLE = "inventory:reserve"
ADMIN_ROLE = "admin"


async def reserving_client(principal: CurrentPrincipal, settings: SettingsDep) -> Principal:
    """The ecom service account: the inventory client's reserve role, granted to nobody else."""
    if not principal.has_client_role(settings.oidc_client_id, RESERVE_ROLE):
        raise MissingRole(RESERVE_ROLE)
    return principal


admin_user = require_realm_role(ADMIN_ROLE)

AdminUser = Annotated[Principal, Depends(admin_user)]
ReservingClient = Annotated[Principal, Depends(reserving_client)]
