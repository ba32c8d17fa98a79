"""Measures the local platform: cold provisioning, warm `up` to all-ready, idle memory per component.

    .venv/bin/python scripts/bench_platform.py rss            # idle resident memory per component
    .venv/bin/python scripts/bench_platform.py warm-up        # `down`, then time `up` with warm caches
    .venv/bin/python scripts/bench_platform.py cold-provision # provision into an empty cache dir

Prints numbers; asserts nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bookstore.platform import build_context  # noqa: E402
from bookstore.supervise import Supervisor  # noqa: E402

BOOKSTORE = str(ROOT / ".venv" / "bin" / "bookstore")


def rss() -> None:
    """RSS counts a shared page once per process that maps it (PostgreSQL's shared buffers once per backend, the
    workers' common pages once per worker), so the RSS sum overstates; PSS divides each shared page among its
    sharers, and its sum is what the platform really holds."""
    infos = Supervisor(build_context(write_secrets=False)).all_info()
    total_rss = total_pss = 0.0
    print(f"{'component':<18}{'RSS MiB':>9}{'PSS MiB':>9}{'processes':>11}")
    for name, info in infos.items():
        if not info["pid"]:
            print(f"{name:<18}{'-':>9}")
            continue
        proc = psutil.Process(info["pid"])
        procs = [proc, *proc.children(recursive=True)]
        rss_mib = sum(p.memory_info().rss for p in procs) / 2**20
        pss_mib = sum(p.memory_full_info().pss for p in procs) / 2**20
        total_rss += rss_mib
        total_pss += pss_mib
        print(f"{name:<18}{rss_mib:>9.0f}{pss_mib:>9.0f}{len(procs):>11}")
    print(f"{'total':<18}{total_rss:>9.0f}{total_pss:>9.0f}")
    memory = psutil.virtual_memory()
    print(f"machine: {(memory.total - memory.available) / 2**20:.0f} MiB in use (total minus available)")


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    started = time.monotonic()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def warm_up() -> None:
    timed([BOOKSTORE, "down"])
    print(f"make up (warm caches, data kept): {timed([BOOKSTORE, 'up']):.1f}s to all components ready")


def cold_provision() -> None:
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as uv_cache:
        env = {**os.environ, "BOOKSTORE_CACHE_DIR": cache, "UV_CACHE_DIR": uv_cache}
        seconds = timed([BOOKSTORE, "provision"], env=env)
        print(f"cold provision (empty Maven/JVM/venv caches, apt packages present): {seconds:.1f}s")
        again = timed([BOOKSTORE, "provision"], env=env)
        print(f"second provision from the cache: {again:.1f}s")


if __name__ == "__main__":
    {"rss": rss, "warm-up": warm_up, "cold-provision": cold_provision}[sys.argv[1]]()
