from ecom.openapi import EXPORTED, document, render


class TestOpenApi:
    def test_the_exported_contract_is_current(self) -> None:
        assert EXPORTED.read_text(encoding="utf-8") == render(), "run: python -m ecom.openapi"

    def test_every_route_lives_under_the_ecom_prefix(self) -> None:
        assert all(path.startswith("/ecom/") for path in document()["paths"])

    def test_checkout_documents_replay_conflicts_and_outages(self) -> None:
        operation = document()["paths"]["/ecom/checkout"]["post"]
        assert {"200", "201", "401", "403", "409", "422", "429", "503"} <= set(operation["responses"])
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "Idempotency-Key" in headers

    def test_admin_routes_are_tagged_admin(self) -> None:
        paths = document()["paths"]
        admin = [op for path, ops in paths.items() if path.startswith("/ecom/admin/") for op in ops.values()]
        assert admin and all(op["tags"] == ["admin"] for op in admin)
