"""The kind images stay in step with local mode: the same locked dependencies, entry points, JVM artifact versions
and paths the chart expects. No Docker here, so these read the Dockerfiles; deploy/kind/up.sh builds them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("ecom", "inventory", "notifier")
POM = (REPO / "deploy/local/jvm/pom.xml").read_text()


def pom_property(name: str) -> str:
    found = re.search(rf"<{re.escape(name)}>([^<]+)</{re.escape(name)}>", POM)
    assert found, name
    return found.group(1)


def dockerfile(path: str) -> str:
    return (REPO / path).read_text()


def workspace_members() -> list[str]:
    root = tomllib.loads((REPO / "pyproject.toml").read_text())
    return list(root["tool"]["uv"]["workspace"]["members"])


@pytest.mark.parametrize("service", SERVICES)
class TestServiceImages:
    def test_every_workspace_member_is_in_the_dependency_layer(self, service: str) -> None:
        """`uv sync --frozen` needs every member's pyproject to read the lock; a new member must be copied too."""
        text = dockerfile(f"services/{service}/Dockerfile")
        for member in workspace_members():
            assert f"COPY {member}/pyproject.toml {member}/" in text, member
        assert "COPY pyproject.toml uv.lock ./" in text

    def test_entry_point_is_the_services_own_command(self, service: str) -> None:
        text = dockerfile(f"services/{service}/Dockerfile")
        scripts = tomllib.loads((REPO / f"services/{service}/pyproject.toml").read_text())["project"]["scripts"]
        (entry,) = re.findall(r'^ENTRYPOINT \["([^"]+)"\]$', text, re.M)
        assert entry == f"{service}-service" and entry in scripts

    def test_runs_as_uid_10001_listening_on_all_addresses_port_8000(self, service: str) -> None:
        text = dockerfile(f"services/{service}/Dockerfile")
        prefix = service.upper()
        assert re.findall(r"^USER (\S+)$", text, re.M)[-1] == "10001:10001"
        assert f"{prefix}_HOST=0.0.0.0" in text and f"{prefix}_PORT=8000" in text
        assert "EXPOSE 8000" in text

    def test_installs_from_the_lock_without_dev_tools(self, service: str) -> None:
        text = dockerfile(f"services/{service}/Dockerfile")
        assert "UV_FROZEN=1" in text and "UV_NO_DEV=1" in text
        assert f"uv sync --package {service}" in text


def test_migrations_and_catalog_seed_keep_their_repository_paths() -> None:
    """SERVICE_ROOT and REPO_ROOT are derived from the source files' location (editable install in /app)."""
    for service in ("ecom", "inventory"):
        text = dockerfile(f"services/{service}/Dockerfile")
        assert f"COPY services/{service}/alembic.ini services/{service}/" in text
        assert f"COPY services/{service}/migrations services/{service}/migrations" in text
        assert "COPY data/catalog/books.json data/catalog/" in text


def test_connect_image_has_the_debezium_version_of_local_mode() -> None:
    text = dockerfile("deploy/kind/images/connect/Dockerfile")
    version = pom_property("debezium.version")
    assert f"ARG DEBEZIUM_VERSION={version}" in text
    sums = (REPO / "deploy/kind/images/connect/plugins.sha256").read_text().split()
    assert sums[1::2] == [
        f"debezium-connector-postgres-{version}-plugin.tar.gz",
        f"debezium-connector-jdbc-{version}-plugin.tar.gz",
    ]
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in sums[0::2])


def test_flink_image_has_the_connector_versions_of_local_mode() -> None:
    text = dockerfile("deploy/kind/images/flink/Dockerfile")
    assert f"docker.io/library/flink:{pom_property('flink.version')}" in text
    expected = [
        f"flink-sql-connector-kafka-{pom_property('flink.kafka.connector.version')}.jar",
        f"flink-connector-jdbc-core-{pom_property('flink.jdbc.connector.version')}.jar",
        f"flink-connector-jdbc-postgres-{pom_property('flink.jdbc.connector.version')}.jar",
        f"postgresql-{pom_property('postgresql.jdbc.version')}.jar",
    ]
    sums = (REPO / "deploy/kind/images/flink/connectors.sha256").read_text().split()
    assert sums[1::2] == expected
    for jar in expected:
        assert f'/{jar}"' in text, jar


def test_flink_image_puts_the_job_where_the_chart_runs_it() -> None:
    values = yaml.safe_load((REPO / "deploy/helm/bookstore/values.yaml").read_text())["analytics"]["flink"]
    text = dockerfile("deploy/kind/images/flink/Dockerfile")
    assert values["jarURI"] == "local:///opt/flink/usrlib/sql-runner.jar"
    assert "COPY --from=runner /build/sql-runner.jar /opt/flink/usrlib/sql-runner.jar" in text
    assert f"COPY --from=sql /build/star.sql {values['sqlFile']}" in text


def test_superset_image_carries_the_config_and_the_bundle_the_chart_imports() -> None:
    text = dockerfile("deploy/kind/images/superset/Dockerfile")
    chart = "".join(p.read_text() for p in (REPO / "deploy/helm/bookstore").rglob("*") if p.suffix in {".yaml", ".py"})
    assert "COPY analytics/superset/bundle /app/bookstore/bundle" in text
    assert "/app/bookstore/bundle" in chart  # where the chart's bootstrap Job imports it from
    assert "SUPERSET_CONFIG_PATH=/app/bookstore/superset_config.py" in text
    assert "COPY deploy/local/superset/superset_config.py /app/bookstore/superset_config.py" in text
    locked = (REPO / "deploy/local/superset/uv.lock").read_text()
    for name, version in re.findall(r"([a-z0-9-]+)==([0-9.]+)", text):
        assert f'name = "{name}"\nversion = "{version}"' in locked, f"{name}=={version} is not local mode's version"


def test_every_base_image_is_pinned_to_an_exact_tag() -> None:
    files = [*(f"services/{s}/Dockerfile" for s in SERVICES), "ui/Dockerfile"]
    files += [str(p.relative_to(REPO)) for p in (REPO / "deploy/kind/images").glob("*/Dockerfile")]
    assert len(files) == 7
    for path in files:
        for image in re.findall(r"^FROM (\S+)", dockerfile(path), re.M):
            tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else ""
            assert re.search(r"\d+\.\d+", tag), f"{path}: {image} is not pinned to a version"
