"""Superset's content as code, applied by `bookstore up` once analytics-db's reporting views exist.

- The assets bundle in analytics/superset/bundle (database, datasets, charts, dashboards; fixed UUIDs) is
  imported through Superset's assets API, which overwrites what it imported before: a chart changed in the
  bundle changes in Superset, nothing is duplicated. The database is registered with the read-only role
  `reporting`; its address and password are filled in here, never committed.
- The read-only role `Analyst` (what Keycloak's realm role `analyst` maps to) is kept equal to Superset's Gamma
  role minus every write, import and SQL Lab permission, plus access to the analytics database's datasets.
Both go through Superset's REST API as the local admin; nothing writes Superset's tables directly.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from bookstore.components.base import Context
from bookstore.components.registry import BY_NAME
from bookstore.components.superset import url
from bookstore.warehouse import REPORTING_ROLE

ANALYST_ROLE = "Analyst"  # AUTH_ROLES_MAPPING in deploy/local/superset/superset_config.py
PASSWORD_MASK = "XXXXXXXXXX"  # noqa: S105 - the mask Superset exports put in place of a password
# Gamma permissions the Analyst role does not get: anything that changes content (charts, dashboards, tags,
# caches, screenshots, uploads), chart editing (Explore: without it the dashboards offer no "Edit chart"), and
# SQL Lab.
_NOT_FOR_ANALYSTS = re.compile(
    r"write|add|edit|delete|save|overwrite|import|copy|upload|file_handler|tag|customization|invalidate"
    r"|screenshot|example|explore|sql|query",
    re.I,
)


def bundle_dir(ctx: Context) -> Path:
    """analytics/superset/bundle, or the folder BOOKSTORE_SUPERSET_BUNDLE names (to try a changed copy)."""
    return Path(os.environ.get("BOOKSTORE_SUPERSET_BUNDLE") or ctx.paths.root / "analytics" / "superset" / "bundle")


@dataclass
class SupersetApi:
    """A session with Superset's REST API as the local admin (JWT + the CSRF token its session needs)."""

    client: httpx.Client

    @classmethod
    def login(cls, ctx: Context, timeout: float = 60) -> SupersetApi:
        client = httpx.Client(base_url=f"http://127.0.0.1:{ctx.port('SUPERSET_PORT')}", timeout=timeout)
        response = client.post(
            "/api/v1/security/login",
            json={
                "username": ctx.env["SUPERSET_ADMIN_USER"],
                "password": ctx.env["SUPERSET_ADMIN_PASSWORD"],
                "provider": "db",
                "refresh": False,
            },
        )
        _check(response, "signing in to Superset as its local admin")
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        csrf = client.get("/api/v1/security/csrf_token/")
        _check(csrf, "getting a CSRF token from Superset")
        client.headers["X-CSRFToken"] = csrf.json()["result"]
        client.headers["Referer"] = url(ctx)
        return cls(client)

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        _check(response, f"GET {path}")
        return response.json()

    def post(self, path: str, **kwargs: Any) -> Any:
        response = self.client.post(path, **kwargs)
        _check(response, f"POST {path}")
        return response.json()

    def all(self, path: str, q: str = "") -> list[dict[str, Any]]:
        """Every row of a paged list endpoint (`q`: extra rison arguments, e.g. "filters:!(...)")."""
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            extra = f",{q}" if q else ""
            body = self.get(path, q=f"(page:{page},page_size:100{extra})")
            rows.extend(body["result"])
            if len(rows) >= body.get("count", 0) or not body["result"]:
                return rows
            page += 1


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code >= 400:
        raise RuntimeError(f"{what} failed: HTTP {response.status_code} {response.text[:800]}")


def bundle_zip(ctx: Context, bundle: Path) -> tuple[bytes, dict[str, str]]:
    """The bundle as the zip Superset's import expects (one top-level folder), with analytics-db's address
    filled in, and the passwords to give alongside (the files keep the mask), keyed by the path inside the
    top-level folder (what Superset's importer sees)."""
    root = "bookstore_assets"
    port = ctx.port(BY_NAME["analytics-db"].port_var)
    passwords: dict[str, str] = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in bundle.rglob("*.yaml") if p.is_file()):
            relative = path.relative_to(bundle).as_posix()
            text = path.read_text()
            if path.parent.name == "databases":
                database = yaml.safe_load(text)
                database["sqlalchemy_uri"] = (
                    f"postgresql+psycopg2://{REPORTING_ROLE}:{PASSWORD_MASK}@127.0.0.1:{port}/analytics"
                )
                text = yaml.safe_dump(database, sort_keys=False)
                passwords[relative] = ctx.env["ANALYTICS_REPORTING_PASSWORD"]
            archive.writestr(f"{root}/{relative}", text)
    return buffer.getvalue(), passwords


def import_bundle(ctx: Context, api: SupersetApi, bundle: Path | None = None) -> None:
    content, passwords = bundle_zip(ctx, bundle or bundle_dir(ctx))
    api.post(
        "/api/v1/assets/import/",
        files={"bundle": ("bookstore_assets.zip", content, "application/zip")},
        data={"passwords": json.dumps(passwords), "overwrite": "true"},
    )


def _role_id(api: SupersetApi, name: str) -> int | None:
    found = api.all("/api/v1/security/roles/", f"filters:!((col:name,opr:eq,value:'{name}'))")
    return int(found[0]["id"]) if found else None


def read_only(permissions: list[dict[str, Any]]) -> list[int]:
    """The ids of the permissions (rows of a role's permission list) that neither change content nor open SQL Lab."""
    return [
        p["id"]
        for p in permissions
        if not _NOT_FOR_ANALYSTS.search(p["permission_name"]) and not _NOT_FOR_ANALYSTS.search(p["view_menu_name"])
    ]


def analyst_permission_ids(api: SupersetApi) -> list[int]:
    gamma = _role_id(api, "Gamma")
    if gamma is None:
        raise RuntimeError("Superset's Gamma role is missing (has `superset init` run?)")
    readable = read_only(api.get(f"/api/v1/security/roles/{gamma}/permissions/")["result"])
    databases = [
        p["id"]
        for p in api.all("/api/v1/security/permissions-resources/")
        if p["permission"]["name"] == "database_access" and p["view_menu"]["name"].startswith("[analytics]")
    ]
    if not databases:
        raise RuntimeError("no database_access permission for the analytics database (was the bundle imported?)")
    return sorted({*readable, *databases})


def ensure_analyst_role(api: SupersetApi) -> int:
    role = _role_id(api, ANALYST_ROLE)
    if role is None:
        role = int(api.post("/api/v1/security/roles/", json={"name": ANALYST_ROLE})["id"])
    ids = analyst_permission_ids(api)
    api.post(f"/api/v1/security/roles/{role}/permissions", json={"permission_view_menu_ids": ids})
    return len(ids)


def ensure(ctx: Context, timeout: float = 120) -> str:
    """Import the bundle and keep the Analyst role; returns a one-line summary."""
    deadline = time.monotonic() + timeout
    while not BY_NAME["superset"].is_ready(ctx):
        if time.monotonic() > deadline:
            raise RuntimeError(f"Superset is not ready after {timeout:.0f}s")
        time.sleep(1)
    api = SupersetApi.login(ctx)
    try:
        import_bundle(ctx, api)
        permissions = ensure_analyst_role(api)
        dashboards = api.get("/api/v1/dashboard/", q="(page_size:100)")["count"]
        charts = api.get("/api/v1/chart/", q="(page_size:100)")["count"]
    finally:
        api.client.close()
    return f"{dashboards} dashboards, {charts} charts; role {ANALYST_ROLE}: {permissions} read-only permissions"
