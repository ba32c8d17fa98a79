"""What ecom writes to its outbox must satisfy the contracts the consumers rely on."""

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ecom.events import schemas as events
from ecom.models import CustomerOrder, OrderItem, OrderStatus

# tests/unit/test_events.py -> tests -> services/ecom -> services -> repository root
REPO_ROOT = Path(__file__).resolve().parents[4]
CREATED = json.loads((REPO_ROOT / "contracts/events/order.created.schema.json").read_text())
CANCELLED = json.loads((REPO_ROOT / "contracts/events/order.cancelled.schema.json").read_text())

BOOKS = sorted((uuid.uuid4() for _ in range(3)), key=str)


def validate(payload: dict[str, Any], schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    validator.validate(payload)
    # jsonschema checks "date-time" only with rfc3339-validator installed: check the timestamps here.
    for field in ("created_at", "cancelled_at"):
        if field in payload:
            moment = datetime.fromisoformat(payload[field].replace("Z", "+00:00"))
            assert moment.tzinfo is not None


def order(*, cancelled: bool = False, created_at: datetime | None = None) -> CustomerOrder:
    order_id = uuid.uuid4()
    created = created_at or datetime(2026, 11, 21, 17, 20, 0, 123456, tzinfo=UTC)
    result = CustomerOrder(
        id=order_id,
        user_id=str(uuid.uuid4()),
        username="alice",
        email="alice@example.org",
        status=OrderStatus.CANCELLED if cancelled else OrderStatus.CONFIRMED,
        total=Decimal("45"),
        currency="EUR",
        created_at=created,
        updated_at=created,
        cancelled_at=created + timedelta(minutes=5) if cancelled else None,
    )
    # Deliberately not in book_id order, with prices of 0, 1 and 2 decimals.
    result.items = [
        OrderItem(order_id=order_id, book_id=BOOKS[2], title="C", unit_price=Decimal("10"), quantity=1),
        OrderItem(order_id=order_id, book_id=BOOKS[0], title="A", unit_price=Decimal("12.5"), quantity=2),
        OrderItem(order_id=order_id, book_id=BOOKS[1], title="B", unit_price=Decimal("10.00"), quantity=1),
    ]
    return result


class TestSchemas:
    @pytest.mark.parametrize("schema", [CREATED, CANCELLED], ids=["created", "cancelled"])
    def test_schema_is_valid_and_its_example_passes(self, schema: dict[str, Any]) -> None:
        jsonschema.Draft202012Validator.check_schema(schema)
        for example in schema["examples"]:
            validate(example, schema)

    def test_cancelled_mirrors_created_except_for_the_timestamp(self) -> None:
        created = {k: v for k, v in CREATED["properties"].items() if k != "created_at"}
        cancelled = {k: v for k, v in CANCELLED["properties"].items() if k != "cancelled_at"}
        assert created == cancelled
        assert CANCELLED["$id"] == "https://api.service.net/contracts/events/order.cancelled.schema.json"
        assert CANCELLED["additionalProperties"] is False


class TestOrderCreated:
    def test_payload_satisfies_the_contract(self) -> None:
        event_id = uuid.uuid4()
        placed = order()
        payload = events.order_created(event_id, placed)
        validate(payload, CREATED)
        assert payload["event_id"] == str(event_id)
        assert payload["order_id"] == str(placed.id)
        assert payload["user_id"] == placed.user_id
        assert payload["currency"] == "EUR"
        assert payload["created_at"] == "2026-11-21T17:20:00.123456Z"

    def test_money_is_a_string_with_two_decimals(self) -> None:
        payload = events.order_created(uuid.uuid4(), order())
        assert payload["total"] == "45.00"
        assert [item["unit_price"] for item in payload["items"]] == ["12.50", "10.00", "10.00"]

    def test_items_are_sorted_by_book_id(self) -> None:
        payload = events.order_created(uuid.uuid4(), order())
        assert [item["book_id"] for item in payload["items"]] == [str(b) for b in BOOKS]
        assert [item["quantity"] for item in payload["items"]] == [2, 1, 1]

    def test_items_carry_their_titles_as_sold_and_the_order_its_email(self) -> None:
        payload = events.order_created(uuid.uuid4(), order())
        assert [item["title"] for item in payload["items"]] == ["A", "B", "C"]
        assert payload["email"] == "alice@example.org"

    def test_an_order_without_a_verified_email_says_null(self) -> None:
        placed = order()
        placed.email = None
        payload = events.order_created(uuid.uuid4(), placed)
        validate(payload, CREATED)
        assert payload["email"] is None

    def test_payload_is_json_serialisable_as_is(self) -> None:
        payload = events.order_created(uuid.uuid4(), order())
        assert json.loads(json.dumps(payload)) == payload

    def test_non_utc_timestamps_keep_their_offset(self) -> None:
        moment = datetime(2026, 11, 21, 18, 20, tzinfo=timezone(timedelta(hours=1)))
        payload = events.order_created(uuid.uuid4(), order(created_at=moment))
        validate(payload, CREATED)
        assert datetime.fromisoformat(payload["created_at"]) == moment

    def test_created_payload_is_not_a_valid_cancelled_event(self) -> None:
        with pytest.raises(jsonschema.ValidationError):
            validate(events.order_created(uuid.uuid4(), order()), CANCELLED)


class TestOrderCancelled:
    def test_payload_satisfies_the_contract(self) -> None:
        event_id = uuid.uuid4()
        cancelled = order(cancelled=True)
        payload = events.order_cancelled(event_id, cancelled)
        validate(payload, CANCELLED)
        assert payload["event_id"] == str(event_id)
        assert payload["order_id"] == str(cancelled.id)
        assert payload["cancelled_at"] == "2026-11-21T17:25:00.123456Z"
        assert payload["total"] == "45.00"
        assert [item["book_id"] for item in payload["items"]] == [str(b) for b in BOOKS]

    def test_cancelled_payload_is_not_a_valid_created_event(self) -> None:
        with pytest.raises(jsonschema.ValidationError):
            validate(events.order_cancelled(uuid.uuid4(), order(cancelled=True)), CREATED)
