"""Installs what the platform needs: Debian packages, JVM artifacts (Maven), Keycloak's build."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from bookstore.config import Paths


class PrerequisiteError(RuntimeError):
    """Something must be installed by a person with root rights."""


def _which(name: str) -> Callable[[], bool]:
    def probe() -> bool:
        path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
        return shutil.which(name, path=path) is not None

    return probe


def _postgres_server() -> bool:
    return any(Path("/usr/lib/postgresql").glob("*/bin/postgres"))


# Debian package -> how we know it is installed.
APT_PACKAGES: dict[str, Callable[[], bool]] = {
    "postgresql": _postgres_server,
    "redis-server": _which("redis-server"),
    "nginx": _which("nginx"),
    "chromium": _which("chromium"),
    "openjdk-17-jre-headless": _which("java"),
    "maven": _which("mvn"),
    "acl": _which("setfacl"),
    "nodejs": _which("npm"),  # builds the storefront and Mailpit's web UI
    "golang-go": _which("go"),  # builds Mailpit (GOTOOLCHAIN=auto fetches the Go it needs from the module proxy)
}


def missing_packages() -> list[str]:
    return [pkg for pkg, installed in APT_PACKAGES.items() if not installed()]


def ensure_apt(console: Console) -> None:
    missing = missing_packages()
    if not missing:
        return
    if os.geteuid() != 0:
        raise PrerequisiteError(
            "missing system packages: "
            + ", ".join(missing)
            + "\ninstall them with:  sudo apt-get install -y "
            + " ".join(missing)
        )
    console.print(f"[bold]apt[/] installing {', '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing], check=True, env=env)
    still = missing_packages()
    if still:
        raise PrerequisiteError(f"apt-get finished but these are still missing: {', '.join(still)}")


_DOWNLOADED = re.compile(r"Downloaded from \S+: \S+ \((?P<size>[\d.]+) (?P<unit>[kM]?B)")


def ensure_jvm_artifacts(paths: Paths, console: Console) -> None:
    """Resolve the pom's artifacts into the cache; a stamp with the pom's hash makes re-runs free."""
    pom = paths.deploy / "jvm" / "pom.xml"
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    stamp = paths.jvm / ".pom-sha256"
    if stamp.exists() and stamp.read_text() == digest:
        return
    cmd = [
        "mvn",
        "-B",
        "-f",
        str(pom),
        "package",
        f"-Dmaven.repo.local={paths.cache / 'm2'}",
        f"-Dbookstore.jvm.dir={paths.jvm}",
    ]
    started = time.monotonic()
    count, megabytes = 0, 0.0
    tail: list[str] = []
    with console.status(
        "[bold]maven[/] resolving JVM artifacts (Kafka, Debezium, Keycloak, Flink connectors)"
    ) as status:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            tail = (tail + [line.rstrip()])[-40:]
            match = _DOWNLOADED.search(line)
            if match:
                count += 1
                size = float(match["size"])
                megabytes += size / 1024 if match["unit"] == "kB" else size if match["unit"] == "MB" else 0
                status.update(
                    f"[bold]maven[/] downloaded {count} artifacts, {megabytes:.1f} MB "
                    f"({time.monotonic() - started:.0f}s)"
                )
        if proc.wait() != 0:
            raise RuntimeError("maven failed:\n" + "\n".join(tail))
    stamp.write_text(digest)
    console.print(
        f"[green]✓[/] JVM artifacts: {count} downloaded ({megabytes:.1f} MB) in "
        f"{time.monotonic() - started:.0f}s into {paths.jvm}"
    )
