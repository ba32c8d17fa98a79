"""Imports the dashboards bundle baked into bookstore/superset (/app/bookstore/bundle) into Superset, the way local
mode's bookstore/reports.py does through the REST API: analytics-db's in-cluster address is written into the
database file and the reporting role's password is handed to the importer, never stored in the bundle.
Run by the chart's superset-bootstrap Job with the image's Python; idempotent (overwrite)."""

import os
from pathlib import Path

import yaml
from flask import g

from superset.app import create_app

MASK = "XXXXXXXXXX"  # what Superset exports put in place of a password


def main() -> None:
    bundle = Path(os.environ.get("BOOKSTORE_SUPERSET_BUNDLE", "/app/bookstore/bundle"))
    host = os.environ["ANALYTICS_DB_HOST"]
    contents: dict[str, str] = {}
    for path in sorted(p for p in bundle.rglob("*.yaml") if p.is_file()):
        relative = path.relative_to(bundle).as_posix()
        text = path.read_text()
        if path.parent.name == "databases":
            database = yaml.safe_load(text)
            database["sqlalchemy_uri"] = f"postgresql+psycopg2://reporting:{MASK}@{host}:5432/analytics"
            text = yaml.safe_dump(database, sort_keys=False)
        contents[relative] = text
    passwords = {name: os.environ["REPORTING_PASSWORD"] for name in contents if name.startswith("databases/")}
    app = create_app()
    with app.app_context():
        from superset import security_manager  # noqa: PLC0415 - needs the app context
        from superset.commands.importers.v1.assets import ImportAssetsCommand  # noqa: PLC0415

        g.user = security_manager.find_user(username=os.environ["SUPERSET_ADMIN_USER"])
        ImportAssetsCommand(contents, passwords=passwords).run()
    print(f"imported {len(contents)} files from {bundle}", flush=True)


if __name__ == "__main__":
    main()
