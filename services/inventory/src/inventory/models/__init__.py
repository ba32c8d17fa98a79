from inventory.models.base import Base
from inventory.models.outbox import Outbox
from inventory.models.processed_event import ProcessedEvent
from inventory.models.reservation import Reservation, ReservationLine, ReservationStatus
from inventory.models.stock import Stock, StockMovement

__all__ = [
    "Base",
    "Outbox",
    "ProcessedEvent",
    "Reservation",
    "ReservationLine",
    "ReservationStatus",
    "Stock",
    "StockMovement",
]
