"""Policy checks over rendered Kubernetes manifests. Each check returns the violations it found (empty: compliant),
so the same code runs over the chart's renders and, in test_policy_checker.py, over small bad manifests that prove
each rule catches what it is meant to."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

Manifest = dict[str, Any]

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
# Run-to-completion pods (Jobs, hook Pods) are not probed: nothing restarts or routes to them.
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
# Operator-managed objects whose pods take images from the spec.
CRD_IMAGE_FIELDS = {
    ("KafkaConnect", "image"),
    ("Kafka", "image"),
    ("FlinkDeployment", "image"),
    ("Cluster", "imageName"),
}
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIALS?)$", re.IGNORECASE)


def name_of(obj: Manifest) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')}/{meta.get('namespace', '-')}/{meta.get('name')}"


def pod_spec(obj: Manifest) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The pod spec and pod labels of a workload (None for anything else)."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return spec, (obj.get("metadata") or {}).get("labels") or {}
    if kind == "CronJob":
        template = spec.get("jobTemplate", {}).get("spec", {}).get("template", {})
    elif kind in WORKLOAD_KINDS:
        template = spec.get("template", {})
    else:
        return None
    return template.get("spec") or {}, (template.get("metadata") or {}).get("labels") or {}


def workloads(manifests: list[Manifest]) -> Iterator[tuple[Manifest, dict[str, Any], dict[str, str]]]:
    for obj in manifests:
        found = pod_spec(obj)
        if found is not None:
            yield obj, found[0], found[1]


def containers(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for field in ("initContainers", "containers"):
        for c in spec.get(field) or []:
            yield field, c


def image_pinned(image: str) -> bool:
    """An exact tag or a digest; no tag at all (an implicit latest) and `latest` are refused."""
    if not image or any(ch.isspace() for ch in image):
        return False
    name, _, digest = image.partition("@")
    if digest and not re.fullmatch(r"sha256:[a-f0-9]{64}", digest):
        return False
    last = name.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    if tag == "latest" or tag == "":
        return False
    return tag is not None or bool(digest)


def check_pod_security(manifests: list[Manifest]) -> list[str]:
    """Non-root, read-only root filesystem, no privilege escalation, capabilities ALL dropped, seccomp RuntimeDefault,
    no host namespaces or hostPath, requests and limits, probes on long-running containers, pinned images."""
    errors = []
    for obj, spec, _labels in workloads(manifests):
        where = name_of(obj)
        pod_sc = spec.get("securityContext") or {}
        if pod_sc.get("runAsNonRoot") is not True:
            errors.append(f"{where}: pod securityContext.runAsNonRoot is not true")
        if not isinstance(pod_sc.get("runAsUser"), int) or pod_sc["runAsUser"] <= 0:
            errors.append(f"{where}: pod securityContext.runAsUser is not a non-zero numeric UID")
        pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type")
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(flag):
                errors.append(f"{where}: {flag} is set")
        for vol in spec.get("volumes") or []:
            if "hostPath" in vol:
                errors.append(f"{where}: volume {vol.get('name')} is a hostPath")
        for field, c in containers(spec):
            cw = f"{where} {field[:-1]} {c.get('name')}"
            sc = c.get("securityContext") or {}
            if sc.get("readOnlyRootFilesystem") is not True:
                errors.append(f"{cw}: readOnlyRootFilesystem is not true")
            if sc.get("allowPrivilegeEscalation") is not False:
                errors.append(f"{cw}: allowPrivilegeEscalation is not false")
            if sc.get("privileged"):
                errors.append(f"{cw}: privileged")
            caps = sc.get("capabilities") or {}
            if "ALL" not in (caps.get("drop") or []):
                errors.append(f"{cw}: capabilities.drop lacks ALL")
            if caps.get("add"):
                errors.append(f"{cw}: adds capabilities {caps['add']}")
            if sc.get("runAsNonRoot") is False or sc.get("runAsUser") == 0:
                errors.append(f"{cw}: runs as root")
            if ((sc.get("seccompProfile") or {}).get("type") or pod_seccomp) != "RuntimeDefault":
                errors.append(f"{cw}: seccompProfile is not RuntimeDefault")
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for key in ("cpu", "memory"):
                    if key not in (res.get(part) or {}):
                        errors.append(f"{cw}: no {part}.{key}")
            if field == "containers" and obj.get("kind") in LONG_RUNNING:
                for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                    if probe not in c:
                        errors.append(f"{cw}: no {probe}")
            if not image_pinned(str(c.get("image", ""))):
                errors.append(f"{cw}: image {c.get('image')!r} is not pinned to an exact tag or digest")
    return errors


def check_crd_images(manifests: list[Manifest]) -> list[str]:
    errors = []
    for obj in manifests:
        for kind, field in CRD_IMAGE_FIELDS:
            if obj.get("kind") == kind and field in (obj.get("spec") or {}):
                image = str(obj["spec"][field])
                if not image_pinned(image):
                    errors.append(f"{name_of(obj)}: spec.{field} {image!r} is not pinned")
    return errors


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels + matchExpressions); {} selects everything."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def check_network_policies(manifests: list[Manifest]) -> list[str]:
    """Every namespace with pods has a default-deny (all pods, ingress and egress, no rules), and every pod is
    selected by a NetworkPolicy governing both its ingress and its egress."""
    policies = [o for o in manifests if o.get("kind") == "NetworkPolicy"]
    errors = []
    namespaces = {(o.get("metadata") or {}).get("namespace") for o, _, _ in workloads(manifests)}
    for ns in sorted(n for n in namespaces if n):
        deny = [
            p
            for p in policies
            if p["metadata"].get("namespace") == ns
            and not p["spec"].get("podSelector")
            and set(p["spec"].get("policyTypes") or []) == {"Ingress", "Egress"}
            and not p["spec"].get("ingress")
            and not p["spec"].get("egress")
        ]
        if not deny:
            errors.append(f"namespace {ns}: no default-deny NetworkPolicy")
    for obj, _spec, labels in workloads(manifests):
        ns = obj["metadata"].get("namespace")
        types: set[str] = set()
        for p in policies:
            if p["metadata"].get("namespace") == ns and selects(p["spec"].get("podSelector"), labels):
                types |= set(p["spec"].get("policyTypes") or [])
        if not {"Ingress", "Egress"} <= types:
            errors.append(f"{name_of(obj)}: no NetworkPolicy selects its pods for both ingress and egress")
    return errors


def check_no_plaintext_secrets(manifests: list[Manifest], generated: dict[str, str]) -> list[str]:
    """No secret-named env var with a literal value, and no generated secret value anywhere outside a Secret."""
    errors = []
    for obj, spec, _ in workloads(manifests):
        for field, c in containers(spec):
            for env in c.get("env") or []:
                if SECRET_NAME.search(env.get("name", "")) and env.get("value"):
                    errors.append(f"{name_of(obj)} {field[:-1]} {c.get('name')}: {env['name']} has a literal value")
    # Usernames live in Secrets too (basic-auth), but they are names, not secrets.
    secrets = [v for k, v in generated.items() if len(v) >= 12 and not k.endswith("/username")]
    for obj in manifests:
        if obj.get("kind") == "Secret":
            continue
        text = repr(obj)
        for value in secrets:
            if value in text:
                errors.append(f"{name_of(obj)}: contains a generated secret value")
                break
    return errors


def decode_secret(obj: Manifest) -> dict[str, str]:
    out = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
    out.update(obj.get("stringData") or {})
    return out


def secret_values(manifests: list[Manifest]) -> dict[str, str]:
    """Every value of every Secret, keyed by 'namespace/name/key'."""
    out = {}
    for obj in manifests:
        if obj.get("kind") == "Secret":
            meta = obj["metadata"]
            for key, value in decode_secret(obj).items():
                out[f"{meta.get('namespace')}/{meta['name']}/{key}"] = value
    return out


def crd_top_level_errors(obj: Manifest, status_allowed: bool) -> list[str]:
    """A custom resource may only carry apiVersion, kind, metadata and spec (status where its CRD has one): the
    catalog's CRD schemas do not close the top level, so `specc:` would pass kubeconform."""
    allowed = {"apiVersion", "kind", "metadata", "spec"} | ({"status"} if status_allowed else set())
    extra = sorted(set(obj) - allowed)
    return [f"{name_of(obj)}: unknown top-level key(s) {extra}"] if extra else []


# --- Gateway API routing ---------------------------------------------------------------------------------------


def route_target(route: Manifest, path: str) -> dict[str, Any] | None:
    """The rule of an HTTPRoute a GET of `path` lands on (Gateway API precedence: Exact, then the longest
    PathPrefix), or None when no rule matches."""
    best: tuple[int, int, dict[str, Any]] | None = None
    for rule in route["spec"].get("rules") or []:
        for match in rule.get("matches") or [{"path": {"type": "PathPrefix", "value": "/"}}]:
            p = match.get("path") or {"type": "PathPrefix", "value": "/"}
            value, kind = p.get("value", "/"), p.get("type", "PathPrefix")
            if kind == "Exact" and path == value:
                rank = (1, len(value))
            elif kind == "PathPrefix" and prefix_matches(value, path):
                rank = (0, len(value))
            elif kind == "RegularExpression" and re.fullmatch(value, path):
                rank = (0, 0)
            else:
                continue
            if best is None or rank > best[:2]:
                best = (*rank, rule)
    return best[2] if best else None


def prefix_matches(prefix: str, path: str) -> bool:
    """PathPrefix matches whole path elements: /ecom/books matches /ecom/books and /ecom/books/1, not /ecom/booksx."""
    prefix = prefix.rstrip("/")
    return prefix == "" or path == prefix or path.startswith(prefix + "/")


def backends(rule: dict[str, Any] | None) -> list[str]:
    return [b["name"] for b in (rule or {}).get("backendRefs") or []]


def check_routes_hide_internal(manifests: list[Manifest], internal_paths: list[str]) -> list[str]:
    """No HTTPRoute names a reservation path, and no internal path reaches a backend through any HTTPRoute."""
    errors = []
    for route in (o for o in manifests if o.get("kind") == "HTTPRoute"):
        if "reservations" in repr(route["spec"]):
            errors.append(f"{name_of(route)}: mentions the reservation path")
        for path in internal_paths:
            rule = route_target(route, path)
            for backend in backends(rule):
                if backend in {"ecom", "inventory"}:
                    errors.append(f"{name_of(route)}: {path} is routed to {backend}")
    return errors


# --- Istio ------------------------------------------------------------------------------------------------------


def istio_path_matches(pattern: str, path: str) -> bool:
    """Istio's path match: exact, `prefix*`, `*suffix` or `*`."""
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return path.endswith(pattern[1:])
    return path == pattern


def rule_allows(rule: dict[str, Any], principal: str, path: str, request_principal: str | None) -> bool:
    """Whether one ALLOW rule matches a request (AND across from/to, OR inside each list)."""
    froms = rule.get("from") or []
    if froms:
        ok = False
        for f in froms:
            src = f.get("source") or {}
            if "principals" in src and not any(istio_path_matches(p, principal) for p in src["principals"]):
                continue
            if "notPrincipals" in src and any(istio_path_matches(p, principal) for p in src["notPrincipals"]):
                continue
            if "requestPrincipals" in src and not (
                request_principal and any(istio_path_matches(p, request_principal) for p in src["requestPrincipals"])
            ):
                continue
            ok = True
        if not ok:
            return False
    tos = rule.get("to") or []
    if tos:
        ok = False
        for t in tos:
            op = t.get("operation") or {}
            if "paths" in op and not any(istio_path_matches(p, path) for p in op["paths"]):
                continue
            if "notPaths" in op and any(istio_path_matches(p, path) for p in op["notPaths"]):
                continue
            ok = True
        if not ok:
            return False
    return True


def policy_allows(policy: Manifest, principal: str, path: str, request_principal: str | None = None) -> bool:
    spec = policy["spec"]
    assert spec.get("action", "ALLOW") == "ALLOW", "only ALLOW policies are evaluated here"
    return any(rule_allows(r, principal, path, request_principal) for r in spec.get("rules") or [])


def targets(policy: Manifest, kind: str, name: str) -> bool:
    return any(t.get("kind") == kind and t.get("name") == name for t in policy["spec"].get("targetRefs") or [])


def find(manifests: list[Manifest], kind: str, name: str | None = None, namespace: str | None = None) -> list[Manifest]:
    return [
        o
        for o in manifests
        if o.get("kind") == kind
        and (name is None or o["metadata"].get("name") == name)
        and (namespace is None or o["metadata"].get("namespace") == namespace)
    ]


def check_waypoint_policies(manifests: list[Manifest], service: str, trust_domain: str = "cluster.local") -> list[str]:
    """A service behind a waypoint: the Service names its waypoint, the waypoint exists (class istio-waypoint),
    a RequestAuthentication and an L7 AuthorizationPolicy target it (Service or waypoint), and an L4 policy on its
    pods admits nothing but the waypoint's identity (and Prometheus', for /metrics)."""
    errors = []
    svcs = find(manifests, "Service", service)
    if len(svcs) != 1:
        return [f"Service {service}: expected exactly one, found {len(svcs)}"]
    svc = svcs[0]
    ns = svc["metadata"]["namespace"]
    waypoint = (svc["metadata"].get("labels") or {}).get("istio.io/use-waypoint")
    if not waypoint:
        return [f"Service {service}: no istio.io/use-waypoint label"]
    if (svc["metadata"].get("labels") or {}).get("istio.io/ingress-use-waypoint") != "true":
        # Without it the ingress gateway resolves the pods and skips the waypoint (the L4 policy then refuses it).
        errors.append(f"Service {service}: no istio.io/ingress-use-waypoint=true label")
    gateways = [
        g for g in find(manifests, "Gateway", waypoint, ns) if g["spec"].get("gatewayClassName") == "istio-waypoint"
    ]
    if not gateways:
        errors.append(f"{service}: waypoint {waypoint} (gatewayClassName istio-waypoint) missing in {ns}")

    def attached(policy: Manifest) -> bool:
        return targets(policy, "Service", service) or targets(policy, "Gateway", waypoint)

    if not [
        p for p in find(manifests, "RequestAuthentication", namespace=ns) if attached(p) and p["spec"].get("jwtRules")
    ]:
        errors.append(f"{service}: no RequestAuthentication with jwtRules targets the Service or its waypoint")
    if not [p for p in find(manifests, "AuthorizationPolicy", namespace=ns) if attached(p)]:
        errors.append(f"{service}: no L7 AuthorizationPolicy targets the Service or its waypoint")
    pod_labels = svc["spec"].get("selector") or {}
    waypoint_principal = f"{trust_domain}/ns/{ns}/sa/{waypoint}"
    l4 = [
        p
        for p in find(manifests, "AuthorizationPolicy", namespace=ns)
        if "selector" in p["spec"] and selects(p["spec"]["selector"], pod_labels)
    ]
    if not l4:
        errors.append(f"{service}: no L4 AuthorizationPolicy selects its pods")
    for p in l4:
        if p["spec"].get("action", "ALLOW") != "ALLOW":
            continue
        admitted = set()
        for rule in p["spec"].get("rules") or []:
            froms = rule.get("from") or []
            principals = [pr for f in froms for pr in (f.get("source") or {}).get("principals") or []]
            if not froms or not principals or rule.get("to"):
                errors.append(f"{name_of(p)}: a rule admits more than named principals")
            admitted |= set(principals)
        if waypoint_principal not in admitted:
            errors.append(f"{name_of(p)}: does not admit the waypoint identity {waypoint_principal}")
        others = {a for a in admitted if a != waypoint_principal and "/sa/" in a and "prometheus" not in a}
        if others:
            errors.append(f"{name_of(p)}: admits identities besides the waypoint's: {sorted(others)}")
    return errors
