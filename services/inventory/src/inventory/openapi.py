"""`python -m inventory.openapi`: export the OpenAPI document to contracts/openapi/inventory.json."""

from inventory.config import Settings
from inventory.main import create_app
from servicekit.openapi import OpenApiExport

export = OpenApiExport("inventory", create_app, Settings)
EXPORTED, document, render = export.target, export.document, export.render

if __name__ == "__main__":
    export.main()
