"""Policy over every rendered profile: pod hardening, NetworkPolicies, generated secrets, pinned images, the
gateway never routing internal paths, and the waypoint + RequestAuthentication + L7 + L4 pairing for ecom and
inventory."""

from __future__ import annotations

import json

import pytest

from tests.deploy import policy
from tests.deploy.conftest import PROFILES, REPO, helm_template, load_manifests

PROFILE_NAMES = sorted(PROFILES)
APP = "bookstore"
ECOM = "cluster.local/ns/bookstore/sa/ecom"
GATEWAY = "cluster.local/ns/gateway/sa/bookstore-gateway"
ISSUER = "https://idp.keycloak.net:30000/realms/bookstore"
OPERATORS = {"cnpg-system", "strimzi", "flink-operator", "cert-manager"}
# Plaintext (PERMISSIVE) ports: the operators' management ports, and the exporters' dedicated metrics ports.
OPERATOR_PORTS = {8000, 8083, 9090, 9091, 8081}
METRICS_PORTS = {9187, 9404, 9249, 9000}


def internal_paths() -> list[str]:
    """Paths the gateway must never route: the reservation API (from the OpenAPI contract), metrics and docs."""
    spec = json.loads((REPO / "contracts" / "openapi" / "inventory.json").read_text())
    reservations = [
        p.replace("{order_id}", "00000000-0000-0000-0000-000000000000") for p in spec["paths"] if "/reservations" in p
    ]
    assert reservations, "the inventory contract lists no reservation path"
    extra = [
        f"{svc}/{p}" for svc in ("/ecom", "/inven") for p in ("metrics", "docs", "openapi.json", "docs/oauth2-redirect")
    ]
    return reservations + extra


@pytest.mark.parametrize("profile", PROFILE_NAMES)
class TestRenderedPolicy:
    def test_every_pod_is_hardened_resourced_probed_and_pinned(self, rendered: dict, profile: str) -> None:
        pods = list(policy.workloads(rendered[profile]))
        assert len(pods) >= 8
        assert policy.check_pod_security(rendered[profile]) == []

    def test_operator_managed_images_are_pinned(self, rendered: dict, profile: str) -> None:
        assert policy.check_crd_images(rendered[profile]) == []

    def test_every_pod_is_selected_by_a_network_policy_behind_a_default_deny(
        self, rendered: dict, profile: str
    ) -> None:
        assert policy.check_network_policies(rendered[profile]) == []

    def test_no_plaintext_secret_values(self, rendered: dict, profile: str) -> None:
        generated = policy.secret_values(rendered[profile])
        assert len(generated) > 20
        assert policy.check_no_plaintext_secrets(rendered[profile], generated) == []

    def test_internal_paths_are_absent_from_every_http_route(self, rendered: dict, profile: str) -> None:
        routes = [o for o in rendered[profile] if o["kind"] == "HTTPRoute"]
        assert len(routes) == 3
        assert policy.check_routes_hide_internal(rendered[profile], internal_paths()) == []

    @pytest.mark.parametrize("service", ["ecom", "inventory"])
    def test_waypoint_request_authentication_and_l7_l4_policies(
        self, rendered: dict, profile: str, service: str
    ) -> None:
        assert policy.check_waypoint_policies(rendered[profile], service) == []

    def test_inventory_reservations_only_from_the_ecom_service_account(self, rendered: dict, profile: str) -> None:
        (l7,) = policy.find(rendered[profile], "AuthorizationPolicy", "inventory-l7", APP)
        token = f"{ISSUER}/some-subject"
        for path in ("/inven/reservations", "/inven/reservations/123", "/inven/reservations/123/cancel"):
            assert policy.policy_allows(l7, ECOM, path, token), path
            assert not policy.policy_allows(l7, ECOM, path, None), f"{path} without a token"
            assert not policy.policy_allows(l7, GATEWAY, path, token), f"{path} from the gateway"
            assert not policy.policy_allows(l7, "cluster.local/ns/bookstore/sa/notifier", path, token)
        assert policy.policy_allows(l7, GATEWAY, "/inven/stock/1")
        assert not policy.policy_allows(l7, GATEWAY, "/inven/metrics")
        assert not policy.policy_allows(l7, "cluster.local/ns/analytics/sa/superset", "/inven/stock/1")

    def test_application_namespaces_enforce_restricted_and_join_ambient(self, rendered: dict, profile: str) -> None:
        namespaces = {
            o["metadata"]["name"]: o["metadata"]["labels"] for o in rendered[profile] if o["kind"] == "Namespace"
        }
        assert {"data", "identity", "analytics", "gateway"} <= set(namespaces)
        for name, labels in namespaces.items():
            assert labels["pod-security.kubernetes.io/enforce"] == "restricted", name
            assert labels["istio.io/dataplane-mode"] == "ambient", name

    def test_every_namespace_requires_mtls(self, rendered: dict, profile: str) -> None:
        strict = {
            o["metadata"]["namespace"]
            for o in rendered[profile]
            if o["kind"] == "PeerAuthentication"
            and "selector" not in o["spec"]
            and o["spec"]["mtls"]["mode"] == "STRICT"
        }
        assert strict == {"bookstore", "data", "identity", "analytics", "gateway"}

    def test_data_identity_and_analytics_admit_only_named_namespaces(self, rendered: dict, profile: str) -> None:
        for ns in ("data", "identity", "analytics"):
            policies = [
                o
                for o in policy.find(rendered[profile], "AuthorizationPolicy", namespace=ns)
                if "selector" not in o["spec"]
            ]
            assert policies, ns
            outsider = "cluster.local/ns/default/sa/default"
            for p in policies:
                for rule in p["spec"]["rules"]:
                    sources = [f.get("source", {}) for f in rule.get("from", [])]
                    if not sources:
                        # Identity-less clients only on named ports: the published NodePorts (Superset 8088, PgAdmin
                        # 8080), the operators' management ports and the exporters' metrics ports, which
                        # NetworkPolicy limits to the operators' and the observability namespace.
                        ports = {port for t in rule.get("to", []) for port in t["operation"].get("ports", [])}
                        open_ports = {"8088", "8080"} | {str(p) for p in OPERATOR_PORTS | METRICS_PORTS}
                        assert ports and ports <= open_ports, (ns, rule)
                        continue
                    assert all("default" not in s.get("namespaces", []) for s in sources)
                    assert not any(outsider in s.get("principals", []) for s in sources)

    def test_plaintext_ports_are_reachable_from_their_clients_namespaces_only(
        self, rendered: dict, profile: str
    ) -> None:
        """The operators' management ports and the exporters' metrics ports take plaintext (PERMISSIVE) traffic
        without a mesh identity, so the NetworkPolicies are what keeps anyone else away from them."""
        common = {port: OPERATORS for port in OPERATOR_PORTS} | {port: {"observability"} for port in METRICS_PORTS}
        checked = 0
        for ns in ("data", "identity", "analytics"):
            clients = dict(common)
            if ns == "identity":
                # Keycloak's HTTP port: the gateway, the services, Superset, and istiod fetching the JWKS (plaintext).
                clients[8080] = {"gateway", "bookstore", "analytics", "istio-system"}
            for p in policy.find(rendered[profile], "NetworkPolicy", namespace=ns):
                for rule in p["spec"].get("ingress") or []:
                    listed = {port["port"] for port in rule.get("ports") or []}
                    covered = set(clients) & listed if listed else set(clients)  # no ports listed: every port
                    if not covered:
                        continue
                    sources = rule.get("from") or []
                    assert sources, f"{ns}/{p['metadata']['name']}: an open ingress rule covers {sorted(covered)}"
                    for src in sources:
                        if "ipBlock" in src:
                            # Only ambient's SNAT address of kubelet probes.
                            assert src["ipBlock"] == {"cidr": "169.254.7.127/32"}, src
                        elif "namespaceSelector" in src:
                            name = src["namespaceSelector"].get("matchLabels", {}).get("kubernetes.io/metadata.name")
                            for port in covered:
                                assert name in clients[port], f"{ns}/{p['metadata']['name']}: {name} reaches {port}"
                            checked += 1
                        else:
                            assert set(src) == {"podSelector"}, src  # the namespace's own pods
        assert checked >= 4

    def test_app_namespace_pods_join_the_mesh_by_their_own_label(self, rendered: dict, profile: str) -> None:
        """The release namespace is created by helm --create-namespace, without labels: each pod enrols itself."""
        pods = [
            (o, labels) for o, _, labels in policy.workloads(rendered[profile]) if o["metadata"]["namespace"] == APP
        ]
        assert len(pods) >= 5
        for obj, labels in pods:
            assert labels.get("istio.io/dataplane-mode") == "ambient", policy.name_of(obj)


def test_secrets_are_generated_anew_for_every_install(helm: str) -> None:
    """Two installs from scratch share no secret value (usernames aside): nothing is a constant in the chart."""
    first = policy.secret_values(load_manifests(helm_template(helm, [])))
    second = policy.secret_values(load_manifests(helm_template(helm, [])))
    assert first.keys() == second.keys()
    same = sorted(k for k in first if first[k] == second[k] and not k.endswith("/username"))
    assert same == []


def test_generated_secrets_agree_across_namespaces(rendered: dict) -> None:
    """The same password reaches the database (CNPG owner Secret) and the service's URL."""
    values = policy.secret_values(rendered["default"])
    password = values["data/ecom-db-owner/password"]
    assert f"ecom:{password}@ecom-db-rw.data.svc" in values["bookstore/ecom/ECOM_DATABASE_URL"]
    assert values["identity/keycloak/ECOM_SERVICE_CLIENT_SECRET"] == values["bookstore/ecom/ECOM_SERVICE_CLIENT_SECRET"]
    assert values["data/redis/password"] in values["bookstore/inventory/INVENTORY_REDIS_URL"]


class TestABrokenChartCopyIsCaught:
    """The checks above run on the real chart; here a copy is broken on purpose to show they would notice."""

    def broken_render(self, helm: str, tmp_path, path: str, old: str, new: str) -> list[dict]:
        import shutil

        from tests.deploy.conftest import CHART

        copy = tmp_path / "bookstore"
        shutil.copytree(CHART, copy)
        target = copy / path
        text = target.read_text()
        assert old in text, f"{old!r} is no longer in {path}: update this test"
        target.write_text(text.replace(old, new))
        return load_manifests(helm_template(helm, [], chart=copy))

    def test_a_writable_root_filesystem_is_caught(self, helm: str, tmp_path) -> None:
        objs = self.broken_render(
            helm, tmp_path, "templates/_helpers.tpl", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"
        )
        errors = policy.check_pod_security(objs)
        assert any("Deployment/bookstore/ecom" in e and "readOnlyRootFilesystem" in e for e in errors)

    def test_routing_all_of_inven_is_caught(self, helm: str, tmp_path) -> None:
        objs = self.broken_render(helm, tmp_path, "templates/_routes.tpl", '"/inven/stock"', '"/inven"')
        errors = policy.check_routes_hide_internal(objs, internal_paths())
        assert any("/inven/reservations is routed to inventory" in e for e in errors)

    def test_an_l4_policy_admitting_ecom_directly_is_caught(self, helm: str, tmp_path) -> None:
        objs = self.broken_render(
            helm, tmp_path, "templates/mesh/waypoints.yaml",
            'principals: [{{ $prom | quote }}]', 'principals: [{{ $prom | quote }}, {{ $ecom | quote }}]',
        )  # fmt: skip
        assert any("besides the waypoint" in e for e in policy.check_waypoint_policies(objs, "inventory"))

    def test_a_default_deny_that_selects_nothing_is_caught(self, helm: str, tmp_path) -> None:
        objs = self.broken_render(
            helm, tmp_path, "templates/network/policies.yaml",
            "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n---\n# Every pod",
            "  podSelector: {matchLabels: {nothing: here}}\n  policyTypes: [Ingress, Egress]\n---\n# Every pod",
        )  # fmt: skip
        assert "namespace data: no default-deny NetworkPolicy" in policy.check_network_policies(objs)


@pytest.mark.parametrize("setting", ["pgadmin.enabled=true", "istio.enabled=false", "analytics.enabled=false"])
def test_optional_parts_keep_the_pod_and_network_rules(render, setting: str) -> None:
    objs = render("--set", setting)
    assert policy.check_pod_security(objs) == []
    assert policy.check_network_policies(objs) == []
    assert policy.check_no_plaintext_secrets(objs, policy.secret_values(objs)) == []
    if setting == "pgadmin.enabled=true":
        (svc,) = policy.find(objs, "Service", "pgadmin", "data")
        assert svc["spec"]["ports"][0]["nodePort"] == 31111
