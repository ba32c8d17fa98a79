"""`python -m inventory.openapi`: export the OpenAPI document to contracts/openapi/inventory.json."""

from inventory.config import REPO_ROOT, Settings
from inventory.main import create_app
from servicekit.openapi import OpenApiExport

_export = OpenApiExport(
    lambda: create_app(Settings(database_url="postgresql://unused@127.0.0.1/unused")),
    REPO_ROOT / "contracts" / "openapi" / "inventory.json",
)
EXPORTED = _export.target
document = _export.document
render = _export.render

if __name__ == "__main__":
    _export.main()
