"""Builds the storefront (ui/) into ui/dist, which the gateway serves; rebuilt only when its inputs change."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from rich.console import Console

from bookstore.config import Paths

# What the build depends on; node_modules and dist are outputs.
INPUTS = ("src", "index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts")


def _digest(ui: Path, names: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in names:
        target = ui / name
        files = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
        for path in files:
            digest.update(str(path.relative_to(ui)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _npm(args: list[str], ui: Path, paths: Paths) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing: install Node.js 20 (Debian package nodejs) to build the storefront")
    # Downloads are cached outside the repository, shared by every clone.
    env = {**os.environ, "npm_config_cache": str(paths.cache / "npm"), "npm_config_update_notifier": "false"}
    result = subprocess.run([npm, *args], cwd=ui, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"npm {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def build(paths: Paths, console: Console) -> None:
    ui = paths.root / "ui"
    stamps = paths.run / "stamps"
    stamps.mkdir(parents=True, exist_ok=True)
    lock = _digest(ui, ("package-lock.json",))
    if not (ui / "node_modules").is_dir() or _read(stamps / "ui-deps") != lock:
        # `npm ci` installs exactly the committed lock and never rewrites it (the checkout stays as cloned).
        # The lock lists every platform's optional packages; regenerate it from a clean tree (no
        # node_modules), or npm drops the other platforms' entries and `npm ci` elsewhere refuses it.
        with console.status("installing the storefront's npm packages (npm ci)"):
            _npm(["ci", "--no-audit", "--no-fund"], ui, paths)
        (stamps / "ui-deps").write_text(lock)
    inputs = _digest(ui, INPUTS)
    if not (ui / "dist" / "index.html").exists() or _read(stamps / "ui-build") != inputs:
        with console.status("building the storefront (vite build)"):
            _npm(["run", "build"], ui, paths)
        (stamps / "ui-build").write_text(inputs)
        console.print("[green]✓[/] storefront built into ui/dist")


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None
