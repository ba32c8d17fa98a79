import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Computed, Index, Integer, Numeric, String, Text, Uuid, text, true
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from ecom.models.base import Base, created_at_column, updated_at_column

# Title ranks above author above description; 'simple' for author keeps names unstemmed.
SEARCH_VECTOR = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(author, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'C')"
)

# Each sort order of the catalog's pages (`ecom.catalog.repository._ORDER`) has a partial index in that order, so a
# page is the first rows of its index (migration 0004).
PAGE_INDEXES = {
    "ix_book_page_title": ["title", "id"],
    "ix_book_page_title_desc": ["title DESC", "id"],
    "ix_book_page_author": ["author", "title", "id"],
    "ix_book_page_author_desc": ["author DESC", "title", "id"],
    "ix_book_page_price": ["price", "title", "id"],
    "ix_book_page_price_desc": ["price DESC", "title", "id"],
    "ix_book_page_year": ["published_year", "title", "id"],
    "ix_book_page_year_desc": ["published_year DESC", "title", "id"],
    "ix_book_page_newest": ["created_at DESC", "title", "id"],
}


class Book(Base):
    __tablename__ = "book"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        Index("ix_book_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_book_title_trgm", "title", postgresql_using="gin", postgresql_ops={"title": "gin_trgm_ops"}),
        Index("ix_book_author_trgm", "author", postgresql_using="gin", postgresql_ops={"author": "gin_trgm_ops"}),
        # The genre filter compares lower(genre).
        Index("ix_book_active_genre_lower", text("lower(genre)"), postgresql_where=text("active")),
        *(
            Index(name, *(text(column) for column in columns), postgresql_where=text("active"))
            for name, columns in PAGE_INDEXES.items()
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    author: Mapped[str] = mapped_column(String(200))
    isbn13: Mapped[str] = mapped_column(String(13), unique=True)
    genre: Mapped[str] = mapped_column(String(50))
    published_year: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    description: Mapped[str] = mapped_column(Text)
    # Soft delete: a removed book leaves the catalog, but past orders still reference it.
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    search_vector: Mapped[str] = mapped_column(TSVECTOR, Computed(SEARCH_VECTOR, persisted=True), deferred=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
