"""kubeconform -strict against ../shared/k8s-schemas (Kubernetes 1.34 + the CRDs) over every rendered object and
every static manifest under deploy/kind: zero errors, and nothing skipped but the kinds listed below."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import KIND_DIR, PROFILES, SCHEMAS, is_k8s_object, run, static_manifest_files

# Kinds with no schema in ../shared/k8s-schemas, and why they are skipped rather than validated.
NO_SCHEMA = {
    "kind.x-k8s.io/v1alpha4/Cluster": "kind's own cluster configuration, read by the kind CLI, never sent to an API "
    "server; no JSON schema is published for it",
}


def kubeconform_args(binary: str) -> list[str]:
    k8s = SCHEMAS / "kubernetes" / "{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}"
    return [
        binary, "-strict", "-summary", "-output", "json", "-kubernetes-version", "1.34.0",
        "-schema-location", f"{k8s}/{{{{.ResourceKind}}}}{{{{.KindSuffix}}}}.json",
        "-schema-location", f"{SCHEMAS}/crds/{{{{.Group}}}}/{{{{.ResourceKind}}}}_{{{{.ResourceAPIVersion}}}}.json",
        "-skip", ",".join(NO_SCHEMA),
    ]  # fmt: skip


def validate(binary: str, path: Path) -> dict:
    result = run([*kubeconform_args(binary), str(path)])
    report = json.loads(result.stdout or "{}")
    problems = [r for r in report.get("resources", []) if r.get("status") in {"statusInvalid", "statusError"}]
    assert result.returncode == 0 and not problems, json.dumps(problems, indent=1) + result.stderr
    return report


@pytest.fixture(scope="session", autouse=True)
def schemas_present() -> None:
    if not (SCHEMAS / "kubernetes" / "v1.34.0-standalone-strict").is_dir():
        pytest.fail(f"the schemas are missing: {SCHEMAS}")


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_rendered_chart_is_valid_with_zero_errors_and_no_skips(
    kubeconform: str, rendered_text: dict, rendered: dict, profile: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{profile}.yaml"
    path.write_text(rendered_text[profile])
    summary = validate(kubeconform, path)["summary"]
    assert summary["valid"] == len(rendered[profile]), summary
    assert summary["skipped"] == 0


def test_static_manifests_under_deploy_kind_are_valid(kubeconform: str) -> None:
    files = static_manifest_files()
    if not files:
        pytest.skip(f"no YAML under {KIND_DIR} yet: the kind scripts and manifests land with deploy/kind")
    checked = 0
    for path in files:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        objects = [d for d in docs if is_k8s_object(d)]
        if not objects:
            continue  # a Helm values file for an infrastructure chart (deploy/kind/infra), not an object
        summary = validate(kubeconform, path)["summary"]
        skipped = [d for d in objects if f"{d['apiVersion']}/{d['kind']}" in NO_SCHEMA]
        assert summary["valid"] == len(objects) - len(skipped), f"{path}: {summary}"
        checked += len(objects)
    assert checked, "deploy/kind holds YAML but no Kubernetes object was found in it"


def test_kubeconform_catches_a_misspelt_field(kubeconform: str, tmp_path: Path) -> None:
    bad = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
        "spec": {"replicass": 1, "selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "b"}},
                              "spec": {"containers": [{"name": "c", "image": "i:1"}]}}},
    }  # fmt: skip
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = run([*kubeconform_args(kubeconform), str(path)])
    assert result.returncode != 0
    assert "replicass" in result.stdout
