import uuid

from servicekit.errors import Conflict, ServiceError, UnprocessableEntity


class CartEmpty(UnprocessableEntity):
    code = "cart_empty"

    def __init__(self) -> None:
        super().__init__("the cart is empty; add a book before checking out")


class BooksUnavailable(Conflict):
    code = "book_unavailable"

    def __init__(self, titles: dict[uuid.UUID, str]) -> None:
        super().__init__(
            f"no longer sold: {', '.join(titles.values())}; remove them from the cart",
            extra={"lines": [{"book_id": str(b), "title": t} for b, t in titles.items()]},
        )


class OutOfStock(Conflict):
    code = "insufficient_stock"

    def __init__(self, lines: list[dict[str, object]]) -> None:
        named = "; ".join(f"{line['title']} (wanted {line['requested']}, {line['available']} left)" for line in lines)
        super().__init__(f"not enough stock for: {named}", extra={"lines": lines})


class CheckoutInProgress(Conflict):
    code = "checkout_in_progress"

    def __init__(self) -> None:
        super().__init__(
            "a checkout with this Idempotency-Key is still running; retry shortly", headers={"Retry-After": "1"}
        )


class InjectedFault(ServiceError):
    """Raised by the crash-injection test hook between the reservation and the order insert."""

    code = "injected_fault"
