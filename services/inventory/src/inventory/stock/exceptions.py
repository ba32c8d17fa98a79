import uuid
from collections.abc import Sequence

from inventory.stock.schemas import ShortLine
from servicekit.errors import Conflict, NotFound


class BookNotFound(NotFound):
    code = "book_not_found"

    def __init__(self, book_ids: Sequence[uuid.UUID]) -> None:
        ids = ", ".join(str(b) for b in book_ids)
        super().__init__(f"no stock record for book(s) {ids}", extra={"book_ids": [str(b) for b in book_ids]})


class InsufficientStock(Conflict):
    code = "insufficient_stock"

    def __init__(self, lines: Sequence[ShortLine]) -> None:
        super().__init__(
            f"not enough stock for {len(lines)} line(s)",
            extra={"lines": [line.model_dump(mode="json") for line in lines]},
        )


class NegativeStock(Conflict):
    code = "negative_stock"

    def __init__(self, available: int, delta: int) -> None:
        super().__init__(f"adjusting {available} available by {delta} would make it negative")
