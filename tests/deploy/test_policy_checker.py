"""The policy checker itself: each rule finds the defect it exists for in a small bad manifest (so a green
test_policy.py means compliance, not a checker that looks at nothing)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.deploy import policy

GOOD_POD: dict[str, Any] = {
    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [
        {
            "name": "app",
            "image": "docker.io/bookstore/ecom:0.1.0",
            "securityContext": {
                "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
            "resources": {"requests": {"cpu": "1", "memory": "1Mi"}, "limits": {"cpu": "1", "memory": "1Mi"}},
            "livenessProbe": {},
            "readinessProbe": {},
            "startupProbe": {},
        }  # fmt: skip
    ],
}


def deployment(pod: dict, ns: str = "bookstore") -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": ns},
        "spec": {"template": {"metadata": {"labels": {"app": "d"}}, "spec": pod}},
    }  # fmt: skip


def mutated(path: list, value: object) -> dict:
    pod = copy.deepcopy(GOOD_POD)
    node: Any = pod
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return deployment(pod)


class TestPodSecurity:
    def test_a_compliant_pod_passes(self) -> None:
        assert policy.check_pod_security([deployment(GOOD_POD)]) == []

    @pytest.mark.parametrize(
        ("path", "value", "message"),
        [
            (["securityContext", "runAsNonRoot"], KeyError, "runAsNonRoot"),
            (["securityContext", "runAsUser"], 0, "runAsUser"),
            (["containers", 0, "securityContext", "readOnlyRootFilesystem"], False, "readOnlyRootFilesystem"),
            (["containers", 0, "securityContext", "allowPrivilegeEscalation"], True, "allowPrivilegeEscalation"),
            (["containers", 0, "securityContext", "capabilities"], {"drop": ["NET_RAW"]}, "capabilities.drop"),
            (["containers", 0, "securityContext", "privileged"], True, "privileged"),
            (["securityContext", "seccompProfile"], {"type": "Unconfined"}, "seccompProfile"),
            (["containers", 0, "resources", "limits"], {"cpu": "1"}, "limits.memory"),
            (["containers", 0, "startupProbe"], KeyError, "startupProbe"),
            (["containers", 0, "image"], "docker.io/bookstore/ecom:latest", "not pinned"),
            (["containers", 0, "image"], "docker.io/bookstore/ecom", "not pinned"),
            (["hostNetwork"], True, "hostNetwork"),
            (["volumes"], [{"name": "h", "hostPath": {"path": "/"}}], "hostPath"),
        ],
    )
    def test_each_defect_is_reported(self, path: list, value: object, message: str) -> None:
        errors = policy.check_pod_security([mutated(path, value)])
        assert any(message in e for e in errors), errors

    def test_init_containers_are_held_to_the_same_rules(self) -> None:
        pod = copy.deepcopy(GOOD_POD)
        pod["initContainers"] = [{"name": "migrate", "image": "x:1", "securityContext": {}}]
        errors = policy.check_pod_security([deployment(pod)])
        assert any("initContainer migrate: readOnlyRootFilesystem" in e for e in errors)

    @pytest.mark.parametrize(
        ("image", "pinned"),
        [
            ("redis:8.2.2", True),
            ("registry:5000/team/app:1.0", True),
            ("app@sha256:" + "0" * 64, True),
            ("app:1@sha256:" + "0" * 64, True),
            ("registry:5000/team/app", False),
            ("app:latest", False),
            ("app@sha256:short", False),
            ("", False),
        ],
    )
    def test_image_pinning(self, image: str, pinned: bool) -> None:
        assert policy.image_pinned(image) is pinned


class TestNetworkPolicies:
    DENY: dict[str, Any] = {"kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "bookstore"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}  # fmt: skip

    def test_a_namespace_without_default_deny_is_reported(self) -> None:
        errors = policy.check_network_policies([deployment(GOOD_POD)])
        assert "namespace bookstore: no default-deny NetworkPolicy" in errors

    def test_a_pod_no_policy_selects_is_reported(self) -> None:
        ingress_only = {
            "kind": "NetworkPolicy",
            "metadata": {"name": "x", "namespace": "bookstore"},
            "spec": {"podSelector": {"matchLabels": {"app": "other"}}, "policyTypes": ["Ingress"]},
        }
        errors = policy.check_network_policies([deployment(GOOD_POD, "data"), ingress_only])
        assert any("no NetworkPolicy selects its pods" in e for e in errors)

    def test_default_deny_covers_every_pod(self) -> None:
        assert policy.check_network_policies([deployment(GOOD_POD), self.DENY]) == []


class TestSecrets:
    def test_a_literal_password_in_env_is_reported(self) -> None:
        pod = copy.deepcopy(GOOD_POD)
        pod["containers"][0]["env"] = [{"name": "DB_PASSWORD", "value": "hunter2hunter2"}]
        errors = policy.check_no_plaintext_secrets([deployment(pod)], {})
        assert any("DB_PASSWORD has a literal value" in e for e in errors)

    def test_a_generated_value_leaking_into_a_config_map_is_reported(self) -> None:
        leak = {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "url=postgres://u:Zq8s7Xw2Lk9p@h"}}
        errors = policy.check_no_plaintext_secrets([leak], {"s/k": "Zq8s7Xw2Lk9p"})
        assert errors == ["ConfigMap/-/c: contains a generated secret value"]


class TestRoutes:
    ROUTE: dict[str, Any] = {"kind": "HTTPRoute", "metadata": {"name": "r", "namespace": "bookstore"},
             "spec": {"rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/inven"}}],
                                 "backendRefs": [{"name": "inventory", "port": 8000}]}]}}  # fmt: skip

    def test_a_catch_all_prefix_routing_reservations_is_reported(self) -> None:
        errors = policy.check_routes_hide_internal([self.ROUTE], ["/inven/reservations"])
        assert errors == ["HTTPRoute/bookstore/r: /inven/reservations is routed to inventory"]

    def test_naming_the_reservation_path_is_reported_even_without_a_backend(self) -> None:
        route = copy.deepcopy(self.ROUTE)
        route["spec"]["rules"][0]["matches"][0]["path"]["value"] = "/inven/reservations"
        route["spec"]["rules"][0]["backendRefs"] = []
        assert policy.check_routes_hide_internal([route], []) == [
            "HTTPRoute/bookstore/r: mentions the reservation path"
        ]

    def test_prefixes_match_whole_path_elements(self) -> None:
        assert policy.prefix_matches("/ecom/books", "/ecom/books/1")
        assert not policy.prefix_matches("/ecom/books", "/ecom/booksx")
        assert policy.prefix_matches("/", "/anything")


class TestWaypoints:
    def manifests(self) -> list[dict]:
        return [
            {"kind": "Service",
             "metadata": {"name": "inventory", "namespace": "b",
                          "labels": {"istio.io/use-waypoint": "wp", "istio.io/ingress-use-waypoint": "true"}},
             "spec": {"selector": {"app": "inventory"}}},
            {"kind": "Gateway", "metadata": {"name": "wp", "namespace": "b"},
             "spec": {"gatewayClassName": "istio-waypoint"}},
            {"kind": "RequestAuthentication", "metadata": {"name": "ra", "namespace": "b"},
             "spec": {"targetRefs": [{"kind": "Service", "name": "inventory"}], "jwtRules": [{"issuer": "i"}]}},
            {"kind": "AuthorizationPolicy", "metadata": {"name": "l7", "namespace": "b"},
             "spec": {"targetRefs": [{"kind": "Service", "name": "inventory"}], "rules": [{}]}},
            {"kind": "AuthorizationPolicy", "metadata": {"name": "l4", "namespace": "b"},
             "spec": {"selector": {"matchLabels": {"app": "inventory"}},
                      "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/b/sa/wp"]}}]}]}},
        ]  # fmt: skip

    def test_the_complete_set_passes(self) -> None:
        assert policy.check_waypoint_policies(self.manifests(), "inventory") == []

    @pytest.mark.parametrize(
        ("drop", "message"), [(1, "waypoint wp"), (2, "RequestAuthentication"), (3, "L7"), (4, "L4")]
    )
    def test_each_missing_piece_is_reported(self, drop: int, message: str) -> None:
        objs = self.manifests()
        del objs[drop]
        assert any(message in e for e in policy.check_waypoint_policies(objs, "inventory"))

    def test_a_service_the_gateway_would_reach_around_its_waypoint_is_reported(self) -> None:
        objs = self.manifests()
        del objs[0]["metadata"]["labels"]["istio.io/ingress-use-waypoint"]
        assert any("ingress-use-waypoint" in e for e in policy.check_waypoint_policies(objs, "inventory"))

    def test_an_l4_policy_admitting_a_bypassing_client_is_reported(self) -> None:
        objs = self.manifests()
        objs[4]["spec"]["rules"].append({"from": [{"source": {"principals": ["cluster.local/ns/b/sa/ecom"]}}]})
        errors = policy.check_waypoint_policies(objs, "inventory")
        assert any("besides the waypoint" in e for e in errors)

    def test_an_l4_rule_open_to_anyone_is_reported(self) -> None:
        objs = self.manifests()
        objs[4]["spec"]["rules"].append({"to": [{"operation": {"ports": ["8000"]}}]})
        assert any("more than named principals" in e for e in policy.check_waypoint_policies(objs, "inventory"))

    def test_istio_path_patterns(self) -> None:
        assert policy.istio_path_matches("/inven/reservations/*", "/inven/reservations/1")
        assert not policy.istio_path_matches("/inven/reservations/*", "/inven/reservations")
        assert policy.istio_path_matches("*.json", "/openapi.json")
