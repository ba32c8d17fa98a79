import uuid

from servicekit.errors import NotFound, UnprocessableEntity


class NotInCart(NotFound):
    code = "cart_item_not_found"

    def __init__(self, book_id: uuid.UUID) -> None:
        super().__init__(f"book {book_id} is not in the cart")


class QuantityLimit(UnprocessableEntity):
    code = "quantity_limit"

    def __init__(self, limit: int) -> None:
        super().__init__(f"a cart line holds at most {limit} copies")


class CartFull(UnprocessableEntity):
    code = "cart_full"

    def __init__(self, limit: int) -> None:
        super().__init__(f"a cart holds at most {limit} different books")
