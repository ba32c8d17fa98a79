"""`python -m ecom.openapi`: export the OpenAPI document to contracts/openapi/ecom.json."""

from ecom.config import Settings
from ecom.main import create_app
from servicekit.openapi import OpenApiExport

export = OpenApiExport("ecom", create_app, Settings)
EXPORTED, document, render = export.target, export.document, export.render

if __name__ == "__main__":
    export.main()
