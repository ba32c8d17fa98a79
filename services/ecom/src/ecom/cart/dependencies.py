from typing import Annotated

from fastapi import Depends, Request

from ecom.cart.guest import GuestCarts
from ecom.cart.service import CartOwner
from ecom.csrf.dependencies import GuestId
from servicekit.auth.dependencies import OptionalPrincipal


async def cart_owner(principal: OptionalPrincipal, guest: GuestId) -> CartOwner:
    """A valid bearer token means the user's cart; no token means the guest cookie's cart."""
    if principal is not None:
        return CartOwner(user_id=principal.subject)
    return CartOwner(guest=guest)


async def guest_carts(request: Request) -> GuestCarts:
    carts: GuestCarts = request.app.state.guest_carts
    return carts


Owner = Annotated[CartOwner, Depends(cart_owner)]
GuestCartsDep = Annotated[GuestCarts, Depends(guest_carts)]
