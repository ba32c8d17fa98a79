from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from servicekit.orm import NAMING_CONVENTION, created_at_column, updated_at_column

__all__ = ["Base", "created_at_column", "updated_at_column"]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
