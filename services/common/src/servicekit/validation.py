"""Validators every service's input models share."""

from pydantic import AfterValidator


def _no_nul(value: str | None) -> str | None:
    # PostgreSQL text cannot hold U+0000: refused here as a 422 instead of failing in the driver as a 500.
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(_no_nul)
"""Add to `Annotated[str, ...]` for any text that ends up in the database or a query."""
