from inventory.models.base import Base
from servicekit.orm import OutboxColumns


class Outbox(OutboxColumns, Base):
    __tablename__ = "outbox"
