import uuid

from servicekit.errors import Conflict, NotFound


class ReservationNotFound(NotFound):
    code = "reservation_not_found"

    def __init__(self, order_id: uuid.UUID) -> None:
        super().__init__(f"no reservation for order {order_id}")


class ReservationConflict(Conflict):
    code = "reservation_conflict"

    def __init__(self, order_id: uuid.UUID) -> None:
        super().__init__(f"order {order_id} was already reserved with different items")


class ReservationCommitted(Conflict):
    code = "reservation_committed"

    def __init__(self, order_id: uuid.UUID) -> None:
        super().__init__(f"the reservation of order {order_id} is committed and can no longer be released")


class ReservationNotHeld(Conflict):
    code = "reservation_not_held"

    def __init__(self, order_id: uuid.UUID, status: str, reason: str | None = None) -> None:
        message = f"the reservation of order {order_id} is {status}, not held"
        super().__init__(f"{message}: {reason}" if reason else message)
