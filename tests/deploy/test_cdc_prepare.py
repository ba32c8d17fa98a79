"""The source databases are prepared in the cluster as local mode's bookstore/cdc.py prepares them: a hook Job sets
REPLICA IDENTITY FULL on the captured tables after install and after every upgrade (once the migrations made them),
and creates keycloak-db's identity publication; it obeys the pod rules and a NetworkPolicy lets it reach PostgreSQL."""

from __future__ import annotations

import re

import pytest

from bookstore.cdc import EXCLUDED_TABLES, SOURCES
from tests.deploy import policy
from tests.deploy.conftest import CHART

SCRIPT = CHART / "files" / "cdc" / "prepare-sources.sh"


def hook_job(objs: list[dict]) -> dict:
    (job,) = [o for o in objs if o["kind"] == "Job" and o["metadata"]["name"] == "cdc-prepare-sources"]
    return job


@pytest.mark.parametrize("profile", ["default", "kind", "production"])
def test_the_replica_identity_job_runs_after_install_and_upgrade(rendered: dict, profile: str) -> None:
    objs = rendered[profile]
    job = hook_job(objs)
    hooks = set(job["metadata"]["annotations"]["helm.sh/hook"].split(","))
    assert hooks == {"post-install", "post-upgrade"}
    assert job["spec"]["backoffLimit"] >= 1 and job["spec"]["activeDeadlineSeconds"] > 0
    assert policy.check_pod_security([job]) == []
    (container,) = job["spec"]["template"]["spec"]["containers"]
    (cluster,) = [o for o in objs if o["kind"] == "Cluster" and o["metadata"]["name"] == "ecom-db"]
    assert container["image"] == cluster["spec"]["imageName"], "the pinned PostgreSQL image the clusters run"
    (cm,) = [o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "cdc-prepare-sources"]
    assert cm["data"]["prepare-sources.sh"] == SCRIPT.read_text().rstrip("\n")
    # Its only egress: PostgreSQL on the CloudNativePG instances.
    labels = job["spec"]["template"]["metadata"]["labels"]
    (netpol,) = [o for o in objs if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "cdc-prepare-sources"]
    assert netpol["metadata"]["namespace"] == job["metadata"]["namespace"]
    assert netpol["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    (rule,) = netpol["spec"]["egress"]
    assert rule["to"] == [{"podSelector": {"matchLabels": {"cnpg.io/podRole": "instance"}}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": 5432}]
    env = {e["name"]: e for e in container["env"]}
    for db in ("ecom", "inventory", "keycloak"):
        assert env[f"{db.upper()}_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": f"{db}-db-owner",
            "key": "password",
        }


def test_the_script_sets_replica_identity_where_local_mode_does(rendered: dict) -> None:
    text = SCRIPT.read_text()
    assert "replica identity full" in text
    # The same exclusions as local mode.
    excluded = re.search(r'EXCLUDED="\{(.*)\}"', text)
    assert excluded is not None, "the script names no EXCLUDED tables"
    assert excluded.group(1).split(",") == list(EXCLUDED_TABLES)
    # It waits for every table a Flink source (debezium-json) reads before altering.
    waited = dict(re.findall(r'^replica_identity (\w+) "\{(.*)\}"$', text, re.M))
    for db in ("ecom", "inventory"):
        (flink,) = [o for o in rendered["default"] if o["kind"] == "KafkaConnector"
                    and o["metadata"]["name"] == f"flink-{db}"]  # fmt: skip
        read = {t.removeprefix("public.") for t in flink["spec"]["config"]["table.include.list"].split(",")}
        assert set(waited[db].split(",")) == read
    # keycloak-db's publication carries exactly local mode's column allow-list.
    (identity,) = [s for s in SOURCES if s.schema == "identity"]
    (table,) = identity.tables
    members = f"public.{table} ({', '.join(identity.columns[table])}), public.cdc_heartbeat"
    assert f"create publication cdc_keycloak\n      for table {members};" in text


def test_the_identity_source_database_gets_a_debezium_role(rendered: dict) -> None:
    (cluster,) = [o for o in rendered["default"] if o["kind"] == "Cluster" and o["metadata"]["name"] == "keycloak-db"]
    (role,) = cluster["spec"]["managed"]["roles"]
    assert (role["name"], role["replication"], role["passwordSecret"]) == (
        "debezium",
        True,
        {"name": "pg-role-debezium"},
    )


def test_without_cdc_there_is_no_identity_mirror_and_without_analytics_no_hook(render) -> None:
    objs = render("--set", "analytics.cdc.enabled=false")
    names = {o["metadata"]["name"] for o in objs if o["kind"] == "KafkaConnector"}
    assert not {"cdc-identity", "mirror-identity"} & names
    (container,) = hook_job(objs)["spec"]["template"]["spec"]["containers"]
    assert {e["name"]: e.get("value") for e in container["env"]}["CDC_IDENTITY"] == "0"
    (cluster,) = [o for o in objs if o["kind"] == "Cluster" and o["metadata"]["name"] == "keycloak-db"]
    assert "managed" not in cluster["spec"]
    objs = render("--set", "analytics.enabled=false")
    assert not [o for o in objs if o["metadata"]["name"] == "cdc-prepare-sources"]
