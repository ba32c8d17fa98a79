"""The order.created consumer's decoding: the contract's example passes, anything else is rejected."""

import json

import jsonschema
import pytest
from pydantic import ValidationError

from inventory.config import REPO_ROOT
from inventory.events.consumer import parse

SCHEMA = json.loads((REPO_ROOT / "contracts/events/order.created.schema.json").read_text())
EXAMPLE = SCHEMA["examples"][0]


class TestParse:
    def test_contract_example_is_valid_and_parses(self) -> None:
        jsonschema.validate(EXAMPLE, SCHEMA)
        event = parse(json.dumps(EXAMPLE).encode())
        assert str(event.order_id) == EXAMPLE["order_id"]
        assert event.items[0].quantity == 2

    def test_payload_delivered_as_a_json_string_is_accepted(self) -> None:
        assert str(parse(json.dumps(json.dumps(EXAMPLE)).encode()).event_id) == EXAMPLE["event_id"]

    @pytest.mark.parametrize(
        "value",
        [
            b"not json",
            b"null",
            json.dumps({**EXAMPLE, "order_id": "nope"}).encode(),
            json.dumps({**EXAMPLE, "items": []}).encode(),
            json.dumps({**EXAMPLE, "items": [{**EXAMPLE["items"][0], "quantity": 0}]}).encode(),
            json.dumps({k: v for k, v in EXAMPLE.items() if k != "event_id"}).encode(),
        ],
    )
    def test_malformed_records_are_rejected(self, value: bytes) -> None:
        with pytest.raises((ValueError, ValidationError)):
            parse(value)

    def test_record_without_value_is_rejected(self) -> None:
        with pytest.raises(ValueError):
            parse(None)
