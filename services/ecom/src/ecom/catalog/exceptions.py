import uuid

from servicekit.errors import Conflict, NotFound


class BookNotFound(NotFound):
    code = "book_not_found"

    def __init__(self, book_id: uuid.UUID) -> None:
        super().__init__(f"no book with id {book_id}")


class IsbnTaken(Conflict):
    code = "isbn_exists"

    def __init__(self, isbn13: str) -> None:
        super().__init__(f"a book with ISBN {isbn13} already exists")
