"""Mailpit: the local mail server (SMTP on loopback, web inbox and REST API on http://localhost:32025).

Built from the Go module proxy's copy of its sources: `go install` alone compiles the SMTP server and the API
but embeds no web UI (server/ui/dist is not in the module), so `provision` builds the UI from the module's own
sources with npm (our lock, deploy/local/mailpit/package-lock.json: two versions its upstream lock names are
not on the npm registry) and then compiles the binary with the UI embedded. Everything lives under
~/.cache/bookstore/mailpit; the module and build caches under ~/.cache/bookstore/go.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from bookstore.components.base import Component, Context

MAILPIT_MODULE = "github.com/axllent/mailpit"
MAILPIT_VERSION = "v1.33.1"
GO_DIRS = ("/usr/local/go/bin", "/usr/lib/go/bin")  # the upstream tarball's and Debian's golang-go


def _go_env(ctx: Context) -> dict[str, str]:
    go = ctx.paths.cache / "go"
    path = os.pathsep.join([os.environ.get("PATH", ""), *GO_DIRS])
    return {
        **os.environ,
        "PATH": path,
        "GOPATH": str(go),
        "GOMODCACHE": str(go / "pkg" / "mod"),
        "GOCACHE": str(ctx.paths.cache / "go-build"),
        "GOFLAGS": "-modcacherw",
        "GOTOOLCHAIN": "auto",  # an older go fetches the toolchain go.mod asks for from the module proxy
        "CGO_ENABLED": "0",
        "npm_config_cache": str(ctx.paths.cache / "npm"),
        "npm_config_update_notifier": "false",
    }


def _run(cmd: list[str], ctx: Context, cwd: Path | None = None) -> str:
    env = _go_env(ctx)
    exe = shutil.which(cmd[0], path=env["PATH"])
    if exe is None:
        raise RuntimeError(f"{cmd[0]} is missing: install Go (Debian golang-go) and Node.js (nodejs) to build Mailpit")
    result = subprocess.run([exe, *cmd[1:]], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def home(ctx: Context) -> Path:
    return ctx.paths.cache / "mailpit"


def binary(ctx: Context) -> Path:
    return home(ctx) / "bin" / f"mailpit-{MAILPIT_VERSION}"


def _inputs() -> str:
    """What the build depends on: the version and our npm manifest and lock."""
    deploy = Path(__file__).resolve().parents[2] / "deploy" / "local" / "mailpit"
    parts = [MAILPIT_VERSION, *((deploy / n).read_text() for n in ("package.json", "package-lock.json"))]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def build(ctx: Context) -> None:
    """Mailpit with its web UI embedded, once per version and lock (a stamp next to the binary)."""
    stamp = binary(ctx).with_suffix(".stamp")
    if binary(ctx).exists() and stamp.exists() and stamp.read_text() == _inputs():
        return
    found = json.loads(_run(["go", "mod", "download", "-json", f"{MAILPIT_MODULE}@{MAILPIT_VERSION}"], ctx))
    src = home(ctx) / f"src-{MAILPIT_VERSION}"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(found["Dir"], src)
    for path in (src, *src.rglob("*")):
        path.chmod(path.stat().st_mode | 0o200)  # the module cache is read-only
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ctx.paths.deploy / "mailpit" / name, src / name)
    # `npm install` with our lock (not `npm ci`): sass-embedded's optional per-platform packages are not all on
    # the registry, and `npm ci` refuses a lock that lacks one.
    _run(["npm", "install", "--no-audit", "--no-fund"], ctx, cwd=src)
    _run(["npm", "run", "build"], ctx, cwd=src)  # esbuild: server/ui-src -> server/ui/dist
    if not (src / "server" / "ui" / "dist" / "app.js").exists():
        raise RuntimeError("Mailpit's web UI build produced no server/ui/dist/app.js")
    binary(ctx).parent.mkdir(parents=True, exist_ok=True)
    ldflags = f"-s -w -X {MAILPIT_MODULE}/config.Version={MAILPIT_VERSION}"
    _run(["go", "build", "-trimpath", "-ldflags", ldflags, "-o", str(binary(ctx)), "."], ctx, cwd=src)
    stamp.write_text(_inputs())


def web_url(ctx: Context) -> str:
    return f"http://localhost:{ctx.port('MAILPIT_PORT')}"


@dataclass
class Mailpit(Component):
    def provision(self, ctx: Context) -> None:
        build(ctx)

    def prepare(self, ctx: Context) -> None:
        build(ctx)
        (ctx.paths.data / self.name).mkdir(parents=True, exist_ok=True)

    def command(self, ctx: Context) -> list[str]:
        return [
            str(binary(ctx)),
            *("--smtp", f"127.0.0.1:{ctx.port('MAILPIT_SMTP_PORT')}"),
            *("--listen", f"127.0.0.1:{ctx.port(self.port_var)}"),
            *("--database", str(ctx.paths.data / self.name / "mailpit.db")),
            *("--max", "5000"),
            "--disable-version-check",  # it would ask api.github.com at every start
            "--smtp-disable-rdns",
        ]

    def is_ready(self, ctx: Context) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{ctx.port(self.port_var)}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        smtp = f"smtp://127.0.0.1:{ctx.port('MAILPIT_SMTP_PORT')}"
        return [("mail server", f"{web_url(ctx)}  (inbox and API /api/v1; SMTP {smtp})")]
