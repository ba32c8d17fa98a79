import uuid
from typing import Annotated

from fastapi import Depends, Query

from servicekit.errors import UnprocessableEntity

MAX_IDS = 100


async def book_ids_query(
    ids: Annotated[
        str,
        Query(
            max_length=MAX_IDS * 37,
            description=f"Comma-separated book ids, 1 to {MAX_IDS}",
            examples=["bd8457d0-6b44-575c-8f1a-fe5426581170,6035f795-a5b3-513b-b41e-db9d9720e824"],
        ),
    ],
) -> list[uuid.UUID]:
    parts = [part.strip() for part in ids.split(",") if part.strip()]
    if not 1 <= len(parts) <= MAX_IDS:
        raise UnprocessableEntity(f"ids must list 1 to {MAX_IDS} book ids, got {len(parts)}")
    book_ids: list[uuid.UUID] = []
    for part in parts:
        try:
            book_ids.append(uuid.UUID(part))
        except ValueError:
            raise UnprocessableEntity(f"{part[:40]!r} is not a valid book id") from None
    return list(dict.fromkeys(book_ids))


BookIds = Annotated[list[uuid.UUID], Depends(book_ids_query)]
