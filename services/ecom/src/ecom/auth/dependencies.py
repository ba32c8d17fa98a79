from typing import Annotated

from fastapi import Depends

from servicekit.auth.dependencies import require_realm_role
from servicekit.auth.tokens import Principal

CUSTOMER_ROLE = "customer"
ADMIN_ROLE = "admin"

customer_user = require_realm_role(CUSTOMER_ROLE)
admin_user = require_realm_role(ADMIN_ROLE)

CustomerUser = Annotated[Principal, Depends(customer_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
