"""The chart lints strictly, renders with every profile, and its schema refuses what a typo or a floating tag
would otherwise slip in."""

from __future__ import annotations

import inspect
import re

import pytest
import yaml

from tests.deploy.conftest import CHART, NAMESPACE, PROFILES, helm_template, run


class TestChartMetadata:
    def test_chart_declares_no_dependencies_and_app_version_0_1_0(self) -> None:
        chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
        assert chart["apiVersion"] == "v2"
        assert chart["appVersion"] == "0.1.0"
        # Upstream chart repositories are unreachable from CI: a dependency would break helm template.
        assert "dependencies" not in chart

    def test_every_value_is_documented_with_a_param_line(self) -> None:
        text = (CHART / "values.yaml").read_text()
        documented = set(re.findall(r"^## @param ([\w.]+)", text, re.MULTILINE))
        leaves: set[str] = set()

        def walk(node: object, path: str) -> None:
            # A value documented as [object] (resources, labels) counts as one leaf.
            if isinstance(node, dict) and node and path not in documented:
                for key, child in node.items():
                    walk(child, f"{path}.{key}" if path else key)
            else:
                leaves.add(path)

        walk(yaml.safe_load(text), "")
        assert leaves - documented == set(), "values without a ## @param line"
        assert documented - leaves == set(), "## @param lines naming no value"


class TestLint:
    @pytest.mark.parametrize("profile", sorted(PROFILES))
    def test_helm_lint_strict_passes(self, helm: str, profile: str) -> None:
        cmd = [helm, "lint", "--strict", str(CHART), "--namespace", NAMESPACE]
        for values in PROFILES[profile]:
            cmd += ["-f", str(CHART / values)]
        result = run(cmd)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 chart(s) failed" in result.stdout


class TestRender:
    @pytest.mark.parametrize("profile", sorted(PROFILES))
    def test_profile_renders_the_whole_platform(self, rendered: dict, profile: str) -> None:
        kinds = {o["kind"] for o in rendered[profile]}
        expected = {
            "Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret",
            "Cluster", "ScheduledBackup", "Kafka", "KafkaNodePool", "KafkaTopic", "KafkaConnect", "KafkaConnector",
            "FlinkDeployment", "Job", "Gateway", "HTTPRoute", "Certificate", "Issuer", "GatewayParameters",
            "PeerAuthentication", "RequestAuthentication", "AuthorizationPolicy", "NetworkPolicy", "ServiceMonitor",
            "ConfigMap", "Namespace", "Pod",
        }  # fmt: skip
        assert expected - kinds == set()
        clusters = sorted(o["metadata"]["name"] for o in rendered[profile] if o["kind"] == "Cluster")
        assert clusters == ["analytics-db", "ecom-db", "inventory-db", "keycloak-db"]

    def test_production_profile_differs_where_it_should(self, rendered: dict) -> None:
        def cluster(profile: str, name: str) -> dict:
            return next(o for o in rendered[profile] if o["kind"] == "Cluster" and o["metadata"]["name"] == name)

        assert cluster("production", "ecom-db")["spec"]["instances"] == 3
        assert "barmanObjectStore" in cluster("production", "ecom-db")["spec"]["backup"]
        assert "volumeSnapshot" in cluster("default", "ecom-db")["spec"]["backup"]
        # Production mails through a real relay: no Mailpit.
        assert not [o for o in rendered["production"] if o["metadata"]["name"] == "mailpit"]

    def test_each_services_database_admits_its_pools_at_the_autoscaling_maximum(self, rendered: dict) -> None:
        """Every pod of ecom and inventory, scaled out as far as its autoscaler goes, may fill each of its workers'
        pools (the sizes the code sets) and still leave room for migrations, Debezium's snapshot reads and an
        operator's psql in the database's max_connections."""
        from ecom.catalog.dependencies import SEARCH_POOL_SIZE
        from servicekit.db import PLAIN_POOL_SIZE, create_engine

        engine = inspect.signature(create_engine).parameters
        per_worker = engine["pool_size"].default + engine["max_overflow"].default + PLAIN_POOL_SIZE
        own_pools = {"ecom": SEARCH_POOL_SIZE, "inventory": 0}
        for profile, objects in rendered.items():

            def find(kind: str, name: str, objects: list = objects) -> dict | None:
                return next((o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name), None)

            for service, own in own_pools.items():
                deployment = find("Deployment", service)
                hpa = find("HorizontalPodAutoscaler", service)
                cluster = find("Cluster", f"{service}-db")
                assert deployment is not None and cluster is not None, (profile, service)
                pods = hpa["spec"]["maxReplicas"] if hpa else deployment["spec"]["replicas"]
                env = {
                    e["name"]: e.get("value")
                    for container in deployment["spec"]["template"]["spec"]["containers"]
                    for e in container.get("env", [])
                }
                workers = int(env.get(f"{service.upper()}_WORKERS") or 1)
                limit = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
                assert pods * workers * (per_worker + own) + 10 <= limit, (profile, service, pods, workers)

    def test_analytics_switch_removes_flink_superset_and_cdc_but_keeps_the_outbox(self, render) -> None:
        off = render("--set", "analytics.enabled=false")
        kinds = {o["kind"] for o in off}
        assert "FlinkDeployment" not in kinds
        assert not [o for o in off if o["metadata"]["name"] in {"superset", "analytics-db"}]
        connectors = sorted(o["metadata"]["name"] for o in off if o["kind"] == "KafkaConnector")
        assert connectors == ["ecom-db-outbox", "inventory-db-outbox"]

    def test_each_analytics_part_has_its_own_switch(self, render) -> None:
        no_flink = render("--set", "analytics.flink.enabled=false")
        assert "FlinkDeployment" not in {o["kind"] for o in no_flink}
        assert not [o for o in no_flink if o["kind"] == "KafkaConnector" and o["metadata"]["name"].startswith("flink-")]
        no_cdc = render("--set", "analytics.cdc.enabled=false")
        names = {o["metadata"]["name"] for o in no_cdc if o["kind"] == "KafkaConnector"}
        assert not {"cdc-ecom", "mirror-ecom", "cdc-inventory", "mirror-inventory"} & names

    def test_installing_into_another_namespace_is_refused(self, helm: str) -> None:
        result = run([helm, "template", "x", str(CHART), "--namespace", "default"])
        assert result.returncode != 0
        assert "must be the release namespace" in result.stderr


class TestSchema:
    @pytest.mark.parametrize(
        ("setting", "complaint"),
        [
            ("ecom.replicass=3", "additional properties 'replicass' not allowed"),
            ("redis.image=docker.io/library/redis:latest", "/redis/image"),
            ("keycloak.image=quay.io/keycloak/keycloak", "/keycloak/image"),
            ("image.tag=latest", "/image/tag"),
            ("hosts.port=443", "/hosts/port"),
            ("postgres.backup.method=tape", "/postgres/backup/method"),
            ("namespaces.podSecurity=lenient", "/namespaces/podSecurity"),
        ],
    )
    def test_schema_refuses(self, helm: str, setting: str, complaint: str) -> None:
        result = run([helm, "template", "x", str(CHART), "--namespace", NAMESPACE, "--set", setting])
        assert result.returncode != 0, f"--set {setting} was accepted"
        assert complaint in result.stderr

    def test_image_pinned_by_digest_is_accepted(self, helm: str) -> None:
        image = "docker.io/library/redis:8.2.2-alpine@sha256:" + "a" * 64
        out = helm_template(helm, [], "--set", f"redis.image={image}")
        assert f"image: {image}" in out


def test_keycloak_takes_plaintext_jwks_fetches_only_while_istiod_fetches_them(render, rendered: dict) -> None:
    def keycloak_plaintext_ports(objs: list[dict]) -> set[int]:
        (pa,) = [o for o in objs if o["kind"] == "PeerAuthentication" and o["metadata"]["name"] == "keycloak"]
        return {int(port) for port in pa["spec"]["portLevelMtls"]}

    assert keycloak_plaintext_ports(rendered["default"]) == {8080, 9000}
    off = render("--set", "istio.istiodFetchesJwks=false")
    assert keycloak_plaintext_ports(off) == {9000}
    identity_sources = [
        src["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for o in off
        if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == "identity"
        for rule in o["spec"].get("ingress") or []
        for src in rule.get("from") or []
        if "namespaceSelector" in src
    ]
    assert "istio-system" not in identity_sources
