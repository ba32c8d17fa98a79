import uuid

from servicekit.errors import Conflict, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"

    def __init__(self, order_id: uuid.UUID) -> None:
        super().__init__(f"no order {order_id}")


class OrderNotCancellable(Conflict):
    code = "order_not_cancellable"

    def __init__(self, order_id: uuid.UUID, status: str) -> None:
        super().__init__(f"order {order_id} is {status}; only CONFIRMED orders can be cancelled")
