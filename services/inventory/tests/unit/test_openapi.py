from inventory.openapi import EXPORTED, document, render


class TestOpenApi:
    def test_the_exported_contract_is_current(self) -> None:
        assert EXPORTED.read_text(encoding="utf-8") == render(), "run: python -m inventory.openapi"

    def test_every_route_lives_under_the_inven_prefix(self) -> None:
        assert all(path.startswith("/inven/") for path in document()["paths"])

    def test_errors_are_documented_in_the_error_shape(self) -> None:
        operation = document()["paths"]["/inven/reservations"]["post"]
        assert {"200", "201", "401", "403", "404", "409", "422", "429"} <= set(operation["responses"])
        error = document()["components"]["schemas"]["ErrorResponse"]
        assert set(error["required"]) == {"error", "detail"}
