"""bookstore.reports without Superset: the zip the assets import receives and the Analyst role's permissions."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import yaml

from bookstore import reports
from bookstore.components import Context
from bookstore.config import Paths

SECRET = "s3cret-reporting-password"


def _ctx(tmp_path: Path) -> Context:
    paths = Paths(root=tmp_path, var=tmp_path / "var", cache=tmp_path / "cache")
    return Context(paths=paths, env={"ANALYTICS_DB_PORT": "25434", "ANALYTICS_REPORTING_PASSWORD": SECRET}, run_as=None)


def _bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "bundle"
    (bundle / "databases").mkdir(parents=True)
    (bundle / "charts").mkdir()
    database = {
        "database_name": "analytics",
        "sqlalchemy_uri": "postgresql+psycopg2://reporting:XXXXXXXXXX@127.0.0.1:15434/analytics",
        "uuid": "6d1b1d2e-0000-4000-8000-000000000001",
    }
    (bundle / "databases" / "analytics.yaml").write_text(yaml.safe_dump(database))
    (bundle / "charts" / "Sales_1.yaml").write_text("slice_name: Sales  # kept as written\n")
    (bundle / "metadata.yaml").write_text("version: 1.0.0\ntype: assets\n")
    (bundle / "README.txt").write_text("not part of the import")
    return bundle


def test_the_zip_has_one_top_folder_with_every_yaml_file_and_nothing_else(tmp_path: Path) -> None:
    content, _ = reports.bundle_zip(_ctx(tmp_path), _bundle(tmp_path))
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert sorted(names) == [
        "bookstore_assets/charts/Sales_1.yaml",
        "bookstore_assets/databases/analytics.yaml",
        "bookstore_assets/metadata.yaml",
    ]


def test_the_database_gets_this_machines_port_and_the_password_travels_beside_the_zip(tmp_path: Path) -> None:
    content, passwords = reports.bundle_zip(_ctx(tmp_path), _bundle(tmp_path))
    archive = zipfile.ZipFile(io.BytesIO(content))
    database = yaml.safe_load(archive.read("bookstore_assets/databases/analytics.yaml"))
    assert database["sqlalchemy_uri"] == "postgresql+psycopg2://reporting:XXXXXXXXXX@127.0.0.1:25434/analytics"
    assert database["uuid"] == "6d1b1d2e-0000-4000-8000-000000000001"
    assert passwords == {"databases/analytics.yaml": SECRET}  # Superset's importer drops the top folder
    assert all(SECRET.encode() not in archive.read(name) for name in archive.namelist())


def test_files_other_than_databases_are_imported_byte_for_byte(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    content, _ = reports.bundle_zip(_ctx(tmp_path), bundle)
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.read("bookstore_assets/charts/Sales_1.yaml") == (bundle / "charts" / "Sales_1.yaml").read_bytes()


def test_the_shipped_bundle_zips_with_a_password_for_each_database(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    shipped = Path(__file__).resolve().parents[2] / "analytics" / "superset" / "bundle"
    content, passwords = reports.bundle_zip(ctx, shipped)
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    databases = [n for n in names if n.startswith("bookstore_assets/databases/")]
    assert databases and sorted(f"bookstore_assets/{name}" for name in passwords) == sorted(databases)


def _perm(pid: int, permission: str, view: str) -> dict[str, object]:
    return {"id": pid, "permission_name": permission, "view_menu_name": view}


def test_the_analyst_keeps_reading_and_loses_every_write_and_sql_lab() -> None:
    gamma = [
        _perm(1, "can_read", "Dashboard"),
        _perm(2, "can_read", "Chart"),
        _perm(3, "can_dashboard", "Superset"),
        _perm(4, "can_view_chart_as_table", "Dashboard"),
        _perm(5, "menu_access", "Dashboards"),
        _perm(6, "can_csv", "Superset"),
        _perm(10, "can_write", "Chart"),
        _perm(11, "can_write", "Dashboard"),
        _perm(12, "can_export_streaming_csv", "SQLLab"),
        _perm(13, "can_list", "SavedQuery"),
        _perm(14, "can_sqllab", "Superset"),
        _perm(15, "menu_access", "SQL Lab"),
        _perm(16, "can_tag", "Chart"),
        _perm(17, "can_invalidate", "CacheRestApi"),
        _perm(18, "can_delete_embedded", "Dashboard"),
        _perm(19, "can_add", "UserRegistrationsRestAPI"),
        _perm(20, "can_explore", "Superset"),
        _perm(21, "can_read", "ExploreFormDataRestApi"),
    ]
    assert reports.read_only(gamma) == [1, 2, 3, 4, 5, 6]
