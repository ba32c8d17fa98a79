"""Every stock change writes exactly one inventory.updated outbox row per book, as contracted."""

import json
import uuid
from datetime import datetime
from typing import Any

import pytest
from factories import SigningKey, admin_token, bearer, create_stock, fetch_all, reservation_body, service_token
from httpx import AsyncClient
from jsonschema import Draft202012Validator
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory.config import REPO_ROOT
from inventory.reservations.expiry import sweep

SCHEMA = json.loads((REPO_ROOT / "contracts/events/inventory.updated.schema.json").read_text())
validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def assert_contracted(row: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = row["payload"]
    assert list(validator.iter_errors(payload)) == []
    assert datetime.fromisoformat(payload["occurred_at"]).utcoffset() is not None
    assert (row["aggregatetype"], row["type"]) == ("inventory", "inventory.updated")
    assert row["aggregateid"] == payload["book_id"]
    assert str(row["id"]) == payload["event_id"]
    return payload


async def outbox(sessionmaker: async_sessionmaker[AsyncSession], *books: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch_all(
        sessionmaker,
        "SELECT * FROM outbox WHERE aggregateid = ANY(:ids) ORDER BY created_at, aggregateid",
        ids=[str(b) for b in books],
    )


def test_the_contract_example_is_valid() -> None:
    for example in SCHEMA["examples"]:
        assert list(validator.iter_errors(example)) == []


@pytest.mark.parametrize("bad", [{"reason": "commit"}, {"delta": 0}, {"book_id": "42"}, {"extra": 1}])
def test_the_contract_refuses_malformed_events(bad: dict[str, Any]) -> None:
    assert list(validator.iter_errors(SCHEMA["examples"][0] | bad)) != []


async def test_each_kind_of_change_yields_one_contracted_event_per_book(
    client: AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], signing_key: SigningKey
) -> None:
    service, admin = bearer(service_token(signing_key)), bearer(admin_token(signing_key))
    a, b = await create_stock(sessionmaker, 10), await create_stock(sessionmaker, 10)

    released = reservation_body((a, 2), (b, 1))
    assert (await client.post("/inven/reservations", json=released, headers=service)).status_code == 201
    assert (await client.delete(f"/inven/reservations/{released['order_id']}", headers=service)).status_code == 200
    expired = reservation_body((a, 3))
    assert (await client.post("/inven/reservations", json=expired, headers=service)).status_code == 201
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE reservation SET expires_at = now() - interval '1 second' WHERE order_id = :id"),
            {"id": uuid.UUID(expired["order_id"])},
        )
    await sweep(sessionmaker, batch_size=100)
    assert (await client.put(f"/inven/admin/stock/{b}", json={"available": 4}, headers=admin)).status_code == 200
    adjusted = await client.post(f"/inven/admin/stock/{a}/adjust", json={"delta": -1, "reason": "lost"}, headers=admin)
    assert adjusted.status_code == 200
    cancelled = reservation_body((b, 2))
    assert (await client.post("/inven/reservations", json=cancelled, headers=service)).status_code == 201
    cancel = await client.post(f"/inven/reservations/{cancelled['order_id']}/cancel", headers=service)
    assert cancel.status_code == 200

    payloads = [assert_contracted(row) for row in await outbox(sessionmaker, a, b)]
    summary = [
        (p["book_id"], p["reason"], p["previous_available"], p["new_available"], p["order_id"]) for p in payloads
    ]
    assert sorted(summary, key=str) == sorted(
        [
            (str(a), "reserve", 10, 8, released["order_id"]),
            (str(b), "reserve", 10, 9, released["order_id"]),
            (str(a), "release", 8, 10, released["order_id"]),
            (str(b), "release", 9, 10, released["order_id"]),
            (str(a), "reserve", 10, 7, expired["order_id"]),
            (str(a), "expire", 7, 10, expired["order_id"]),
            (str(b), "admin_set", 10, 4, None),
            (str(a), "admin_adjust", 10, 9, None),
            (str(b), "reserve", 4, 2, cancelled["order_id"]),
            (str(b), "cancel", 2, 4, cancelled["order_id"]),
        ],
        key=str,
    )
    assert all(p["delta"] == p["new_available"] - p["previous_available"] for p in payloads)
    assert len({p["event_id"] for p in payloads}) == len(payloads)
