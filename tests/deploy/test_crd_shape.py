"""The CRD schemas of the catalog leave the top level open (a `specc:` typo passes kubeconform), so every custom
resource is checked here: only apiVersion, kind, metadata and spec (status where its CRD defines one)."""

from __future__ import annotations

import json
from functools import cache

import pytest

from tests.deploy.conftest import PROFILES, SCHEMAS, static_manifests
from tests.deploy.policy import crd_top_level_errors


@cache
def crd_schema(api_version: str, kind: str) -> dict | None:
    """The catalog schema of a custom resource (None for a built-in Kubernetes kind)."""
    if "/" not in api_version:
        return None
    group, version = api_version.split("/", 1)
    path = SCHEMAS / "crds" / group / f"{kind.lower()}_{version}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def custom_resource_errors(objects: list[dict]) -> tuple[int, list[str]]:
    checked, errors = 0, []
    for obj in objects:
        schema = crd_schema(obj["apiVersion"], obj["kind"])
        if schema is None:
            continue
        checked += 1
        errors += crd_top_level_errors(obj, "status" in schema.get("properties", {}))
    return checked, errors


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_rendered_custom_resources_have_only_known_top_level_keys(rendered: dict, profile: str) -> None:
    checked, errors = custom_resource_errors(rendered[profile])
    assert checked > 30  # the chart is mostly custom resources: a lookup that finds none is broken
    assert errors == []


def test_static_custom_resources_have_only_known_top_level_keys() -> None:
    _, errors = custom_resource_errors([obj for _, obj in static_manifests()])
    assert errors == []


def test_a_specc_typo_is_caught() -> None:
    typo = {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic", "metadata": {"name": "t"}, "specc": {}}
    checked, errors = custom_resource_errors([typo])
    assert checked == 1
    assert errors == ["KafkaTopic/-/t: unknown top-level key(s) ['specc']"]


def test_status_is_refused_where_the_crd_has_none() -> None:
    obj = {"apiVersion": "x/v1", "kind": "Y", "metadata": {"name": "y"}, "spec": {}, "status": {}}
    assert crd_top_level_errors(obj, status_allowed=False)
    assert not crd_top_level_errors(obj, status_allowed=True)
