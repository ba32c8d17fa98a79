import uuid

from servicekit.errors import Conflict, NotFound, ServiceUnavailable


class OrderNotFound(NotFound):
    code = "order_not_found"

    def __init__(self, order_id: uuid.UUID) -> None:
        super().__init__(f"no order {order_id}")


class OrderNotCancellable(Conflict):
    code = "order_not_cancellable"

    def __init__(self, order_id: uuid.UUID, status: str) -> None:
        super().__init__(f"order {order_id} is {status}; only CONFIRMED orders can be cancelled")


class InventoryDown(ServiceUnavailable):
    """Placing or cancelling an order needs the inventory service, which did not answer usably."""

    code = "inventory_unavailable"

    def __init__(self, what: str) -> None:
        super().__init__(f"the inventory service is unavailable; {what}", headers={"Retry-After": "5"})
