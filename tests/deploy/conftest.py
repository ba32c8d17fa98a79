"""Offline validation of the kind deployment: the Helm chart rendered with its profiles, the static manifests under
deploy/kind, the Dockerfiles and the shell scripts, checked with helm, kubeconform, checkov, hadolint and shellcheck.

The tools come from scripts/k8s_tools.sh (~/.cache/bookstore/bin and ~/.cache/bookstore/venvs/k8s-lint). Without
them these tests skip and say so; under `make test` (BOOKSTORE_REQUIRE_INTEGRATION=1) a missing tool fails."""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "bookstore"
KIND_DIR = REPO / "deploy" / "kind"
SCHEMAS = REPO.parent / "shared" / "k8s-schemas"
CACHE = Path(os.environ.get("BOOKSTORE_CACHE", Path.home() / ".cache" / "bookstore"))
TOOL_DIRS = (CACHE / "bin", CACHE / "venvs" / "k8s-lint" / "bin")
RELEASE, NAMESPACE = "bookstore", "bookstore"
PROFILES = {"default": [], "kind": ["values-kind.yaml"], "production": ["values-production.yaml"]}
# Folders that hold other projects' files (dependencies, build output), never ours.
FOREIGN = {"node_modules", ".venv", "var", ".git", "dist", "target", ".mypy_cache", ".ruff_cache", ".pytest_cache"}

Manifest = dict[str, Any]


def require_integration() -> bool:
    return os.environ.get("BOOKSTORE_REQUIRE_INTEGRATION") == "1"


def find_tool(name: str) -> str:
    """The tool from scripts/k8s_tools.sh's caches (then PATH); skip or, under make test, fail when it is missing."""
    for folder in TOOL_DIRS:
        if (folder / name).is_file() and os.access(folder / name, os.X_OK):
            return str(folder / name)
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed: run ./scripts/k8s_tools.sh (it caches the tools in {CACHE})"
    if require_integration():
        pytest.fail(message)
    pytest.skip(message)


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600, **kwargs)


def our_files(pattern: str) -> list[Path]:
    """Files of this repository matching a glob, outside dependency and build folders (never walked: node_modules
    alone holds tens of thousands of files)."""
    found = []
    for folder, subfolders, files in os.walk(REPO):
        subfolders[:] = [d for d in subfolders if d not in FOREIGN]
        found += [Path(folder) / f for f in fnmatch.filter(files, pattern)]
    return sorted(found)


def helm_template(helm: str, values: list[str], *extra: str, chart: Path = CHART) -> str:
    cmd = [helm, "template", RELEASE, str(chart), "--namespace", NAMESPACE]
    for v in values:
        cmd += ["-f", str(chart / v)]
    result = run([*cmd, *extra])
    assert result.returncode == 0, f"helm template failed:\n{result.stderr}"
    return result.stdout


def load_manifests(text: str) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture(scope="session")
def helm() -> str:
    return find_tool("helm")


@pytest.fixture(scope="session")
def kubeconform() -> str:
    return find_tool("kubeconform")


@pytest.fixture(scope="session")
def rendered_text(helm: str) -> dict[str, str]:
    """Each profile rendered once per session (helm template: hooks and the test Pod included)."""
    return {name: helm_template(helm, values) for name, values in PROFILES.items()}


@pytest.fixture(scope="session")
def rendered(rendered_text: dict[str, str]) -> dict[str, list[Manifest]]:
    return {name: load_manifests(text) for name, text in rendered_text.items()}


@pytest.fixture(scope="session")
def render(helm: str) -> Callable[..., list[Manifest]]:
    """Render the chart with extra helm arguments (e.g. --set a=b)."""

    def _render(*extra: str, values: tuple[str, ...] = ()) -> list[Manifest]:
        return load_manifests(helm_template(helm, list(values), *extra))

    return _render


def static_manifest_files() -> list[Path]:
    """Every YAML file under deploy/kind (the cluster config, CoreDNS patch, Argo CD Application, ...)."""
    if not KIND_DIR.is_dir():
        return []
    return sorted(p for p in KIND_DIR.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def is_k8s_object(doc: object) -> bool:
    """A Kubernetes-style object (apiVersion + kind). Helm values files under deploy/kind/infra are not."""
    return isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc


def static_manifests() -> list[tuple[Path, Manifest]]:
    out = []
    for path in static_manifest_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if is_k8s_object(doc):
                out.append((path, doc))
    return out
