import uuid

from fastapi import APIRouter, Depends, Request, Response

from ecom.cart import service
from ecom.cart.dependencies import GuestCartsDep, Owner
from ecom.cart.schemas import CartAdd, CartQuantity, CartRead
from ecom.cart.service import CartOwner
from ecom.config import API_PREFIX, SettingsDep
from ecom.csrf.dependencies import GuestId, clear_guest_cookie, ensure_guest_id, require_csrf
from ecom.ratelimit import rate_limit
from servicekit.auth.dependencies import CurrentPrincipal
from servicekit.db import ReaderDep, TransactionDep
from servicekit.errors import error_responses

router = APIRouter(
    prefix=f"{API_PREFIX}/cart", tags=["cart"], dependencies=[Depends(rate_limit), Depends(require_csrf)]
)

MUTATION_ERRORS = error_responses(400, 401, 403, 404, 422, 429, 503)


def _refresh_guest(request: Request, response: Response, settings: SettingsDep, owner: CartOwner) -> None:
    if owner.user_id is None:
        ensure_guest_id(request, response, settings)


@router.get("", response_model=CartRead, responses=error_responses(401, 429, 503))
async def get_cart(reader: ReaderDep, guests: GuestCartsDep, owner: Owner) -> CartRead:
    """The caller's cart: the user's with a bearer token, else the guest cookie's."""
    return await service.get_cart(reader, guests, owner)


@router.post("", response_model=CartRead, responses=MUTATION_ERRORS)
async def add_to_cart(
    body: CartAdd,
    request: Request,
    response: Response,
    connection: TransactionDep,
    guests: GuestCartsDep,
    owner: Owner,
    settings: SettingsDep,
) -> CartRead:
    """Add copies of a book; quantities of the same book add up (at most 99)."""
    _refresh_guest(request, response, settings, owner)
    return await service.add_item(
        connection, guests, owner, body.book_id, body.quantity, max_lines=settings.max_cart_lines
    )


@router.patch("/items/{book_id}", response_model=CartRead, responses=MUTATION_ERRORS)
async def change_quantity(
    book_id: uuid.UUID,
    body: CartQuantity,
    request: Request,
    response: Response,
    connection: TransactionDep,
    guests: GuestCartsDep,
    owner: Owner,
    settings: SettingsDep,
) -> CartRead:
    """Set how many copies of a book in the cart to buy."""
    _refresh_guest(request, response, settings, owner)
    return await service.set_quantity(connection, guests, owner, book_id, body.quantity)


@router.delete("/items/{book_id}", response_model=CartRead, responses=MUTATION_ERRORS)
async def remove_from_cart(
    book_id: uuid.UUID, connection: TransactionDep, guests: GuestCartsDep, owner: Owner
) -> CartRead:
    """Remove a book from the cart."""
    return await service.remove_item(connection, guests, owner, book_id)


@router.post("/merge", response_model=CartRead, responses=MUTATION_ERRORS)
async def merge_guest_cart(
    response: Response,
    connection: TransactionDep,
    guests: GuestCartsDep,
    principal: CurrentPrincipal,
    guest: GuestId,
    settings: SettingsDep,
) -> CartRead:
    """After login: move the guest cart (cookie) into the user's cart and delete the guest cart."""
    cart = await service.merge(connection, guests, principal.subject, guest)
    if guest is not None:
        clear_guest_cookie(response, secure=settings.cookie_secure)
    return cart
