"""checkov over the rendered chart and every Dockerfile, hadolint over every Dockerfile, shellcheck over every
shell script: no finding except the skips documented with a reason in checkov-skips.yaml (or, in a Dockerfile,
an inline `checkov:skip=ID:reason` / `hadolint ignore=` comment next to the line it excuses)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import PROFILES, find_tool, our_files, run

SKIPS = yaml.safe_load((Path(__file__).parent / "checkov-skips.yaml").read_text())
DOCKERFILES = [
    p for p in our_files("*") if p.name == "Dockerfile" or p.name.startswith("Dockerfile.") or p.suffix == ".Dockerfile"
]
SCRIPTS = our_files("*.sh")


def checkov_failures(report: object) -> list[dict]:
    reports = report if isinstance(report, list) else [report]
    return [f for r in reports if isinstance(r, dict) for f in r.get("results", {}).get("failed_checks", [])]


def skip_for(failure: dict) -> dict | None:
    for skip in SKIPS:
        if skip["id"] != failure["check_id"]:
            continue
        patterns = skip.get("resources")
        if not patterns or any(re.search(p, failure["resource"]) for p in patterns):
            return skip
    return None


def run_checkov(args: list[str]) -> list[dict]:
    checkov = find_tool("checkov")
    result = run([checkov, *args, "--skip-download", "--quiet", "--compact", "-o", "json"])
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return checkov_failures(json.loads(result.stdout))


def test_every_skip_has_a_reason() -> None:
    assert SKIPS
    for skip in SKIPS:
        assert re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", skip["id"])
        assert len(skip["reason"].split()) >= 8, f"{skip['id']}: say why"


CANARY = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "canary", "namespace": "x"},
    "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "securityContext": {"privileged": True}}]},
}  # fmt: skip


@pytest.fixture(scope="module")
def checkov_failures_by_part(rendered_text: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    """One checkov run (its start-up dominates): the chart as rendered for every profile (hooks and tests included),
    a copy of every Dockerfile, and a privileged canary Pod that must be caught. Failures keyed by part."""
    folder = tmp_path_factory.mktemp("checkov")
    (folder / "chart").mkdir()
    for profile in PROFILES:
        (folder / "chart" / f"{profile}.yaml").write_text(rendered_text[profile])
    (folder / "canary").mkdir()
    (folder / "canary" / "pod.yaml").write_text(yaml.safe_dump(CANARY))
    (folder / "canary" / "Dockerfile").write_text("FROM debian:12\nRUN echo no user, no healthcheck\n")
    for index, dockerfile in enumerate(DOCKERFILES):
        (folder / "docker" / str(index)).mkdir(parents=True)
        (folder / "docker" / str(index) / "Dockerfile").write_text(dockerfile.read_text())
    failures = run_checkov(["-d", str(folder), "--framework", "kubernetes", "dockerfile"])
    parts: dict[str, list[dict]] = {"chart": [], "canary": []}
    for failure in failures:
        part, *rest = failure["file_path"].lstrip("/").split("/")
        assert part in {"chart", "canary", "docker"}, f"unexpected checkov path {failure['file_path']}"
        key = str(DOCKERFILES[int(rest[0])]) if part == "docker" else part
        parts.setdefault(key, []).append(failure)
    return parts


@pytest.fixture(scope="module")
def chart_failures(checkov_failures_by_part: dict[str, list[dict]]) -> list[dict]:
    return checkov_failures_by_part["chart"]


def test_checkov_finds_nothing_on_the_chart_but_documented_skips(chart_failures: list[dict]) -> None:
    unexplained = sorted(
        {(f["check_id"], f["check_name"], f["resource"]) for f in chart_failures if skip_for(f) is None}
    )
    assert unexplained == []


def test_no_documented_skip_is_stale(chart_failures: list[dict]) -> None:
    """A skip that excuses nothing any more hides future regressions of that check: remove it."""
    used = {skip["id"] for f in chart_failures if (skip := skip_for(f))}
    assert {s["id"] for s in SKIPS} - used == set()


def test_checkov_catches_a_privileged_pod_and_a_root_dockerfile(
    checkov_failures_by_part: dict[str, list[dict]],
) -> None:
    failed = {f["check_id"] for f in checkov_failures_by_part["canary"]}
    assert "CKV_K8S_16" in failed  # "Container should not be privileged"
    assert "CKV_DOCKER_3" in failed  # "Ensure that a user for the container has been created"


@pytest.mark.skipif(
    not DOCKERFILES, reason="no Dockerfile in the repository yet (the kind images land with deploy/kind)"
)
class TestDockerfiles:
    @pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.parent.name))
    def test_hadolint_is_clean(self, dockerfile: Path) -> None:
        hadolint = find_tool("hadolint")
        result = run([hadolint, "--no-color", str(dockerfile)])
        assert result.returncode == 0, result.stdout + result.stderr

    @pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.parent.name))
    def test_checkov_is_clean(self, dockerfile: Path, checkov_failures_by_part: dict[str, list[dict]]) -> None:
        failures = checkov_failures_by_part.get(str(dockerfile), [])
        unexplained = sorted({(f["check_id"], f["check_name"]) for f in failures if skip_for(f) is None})
        assert unexplained == []

    @pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.parent.name))
    def test_inline_suppressions_give_a_reason(self, dockerfile: Path) -> None:
        for line in dockerfile.read_text().splitlines():
            if "checkov:skip=" in line:
                assert re.search(r"checkov:skip=CKV2?_\w+:\s*\S.{8,}", line), f"{dockerfile}: {line.strip()}"


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    hadolint = find_tool("hadolint")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:latest\nRUN apt-get update && apt-get install -y curl\n")
    result = run([hadolint, "--no-color", str(bad)])
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # "Using latest is prone to errors"


def test_there_are_shell_scripts_to_check() -> None:
    assert len(SCRIPTS) >= 4


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.name))
def test_shellcheck_is_clean(script: Path) -> None:
    shellcheck = find_tool("shellcheck")
    result = run([shellcheck, "--external-sources", str(script)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.name))
def test_scripts_start_with_strict_mode(script: Path) -> None:
    lines = [ln for ln in script.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines and lines[0].strip() == "set -euo pipefail", f"{script}: first command is {lines[:1]}"


def test_shellcheck_catches_an_unquoted_variable(tmp_path: Path) -> None:
    shellcheck = find_tool("shellcheck")
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/usr/bin/env bash\nset -euo pipefail\nrm -rf $1/tmp\n")
    result = run([shellcheck, str(bad)])
    assert result.returncode != 0
    assert "SC2086" in result.stdout
