import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from inventory.admin.schemas import StockAdjust, StockSet
from inventory.reservations.schemas import ReservationCreate


def body(*lines: tuple[uuid.UUID, int]) -> dict[str, Any]:
    return {"order_id": str(uuid.uuid4()), "items": [{"book_id": str(b), "quantity": q} for b, q in lines]}


class TestReservationCreate:
    def test_accepts_quantities_from_1_to_1000(self) -> None:
        request = ReservationCreate.model_validate(body((uuid.uuid4(), 1), (uuid.uuid4(), 1000)))
        assert sorted(line.quantity for line in request.items) == [1, 1000]

    @pytest.mark.parametrize("quantity", [0, -1, 1001])
    def test_refuses_quantities_out_of_range(self, quantity: int) -> None:
        with pytest.raises(ValidationError):
            ReservationCreate.model_validate(body((uuid.uuid4(), quantity)))

    @pytest.mark.parametrize("count", [0, 101])
    def test_refuses_no_lines_or_more_than_100(self, count: int) -> None:
        with pytest.raises(ValidationError):
            ReservationCreate.model_validate(body(*[(uuid.uuid4(), 1) for _ in range(count)]))

    def test_refuses_the_same_book_twice(self) -> None:
        book = uuid.uuid4()
        with pytest.raises(ValidationError, match="only one line"):
            ReservationCreate.model_validate(body((book, 1), (book, 2)))

    def test_refuses_unknown_fields(self) -> None:
        with pytest.raises(ValidationError):
            ReservationCreate.model_validate(body((uuid.uuid4(), 1)) | {"price": "1.00"})

    def test_lines_are_kept_in_book_id_order(self) -> None:
        books = [uuid.uuid4() for _ in range(5)]
        request = ReservationCreate.model_validate(body(*[(b, 1) for b in books]))
        assert [line.book_id for line in request.items] == sorted(books)

    def test_hash_ignores_line_order_but_not_quantities(self) -> None:
        a, b = uuid.uuid4(), uuid.uuid4()
        order_id = str(uuid.uuid4())
        first = ReservationCreate.model_validate(body((a, 1), (b, 2)) | {"order_id": order_id})
        reordered = ReservationCreate.model_validate(body((b, 2), (a, 1)) | {"order_id": order_id})
        changed = ReservationCreate.model_validate(body((a, 1), (b, 3)) | {"order_id": order_id})
        assert first.request_hash() == reordered.request_hash()
        assert first.request_hash() != changed.request_hash()


class TestAdminSchemas:
    def test_set_refuses_negative_available(self) -> None:
        with pytest.raises(ValidationError):
            StockSet(available=-1)

    @pytest.mark.parametrize("delta", [0, 100_001, -100_001])
    def test_adjust_refuses_zero_or_unbounded_delta(self, delta: int) -> None:
        with pytest.raises(ValidationError):
            StockAdjust(delta=delta, reason="recount")

    @pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
    def test_adjust_needs_a_reason_of_1_to_200_characters(self, reason: str) -> None:
        with pytest.raises(ValidationError):
            StockAdjust(delta=1, reason=reason)
