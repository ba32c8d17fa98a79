"""Nothing the platform runs listens beyond loopback: every socket of every supervised process tree."""

from __future__ import annotations

import os
import subprocess

from bookstore import sockets
from bookstore.components import COMPONENTS, Context
from bookstore.config import ROOT
from bookstore.supervise import Supervisor


def _platform_processes(ctx: Context) -> dict[str, list[int]]:
    """Component name -> the pids of its process tree; supervisord itself too (it starts them all)."""
    sup = Supervisor(ctx)
    trees = {"supervisord": [sup.proxy.supervisor.getPID()]}
    for name, info in sup.all_info().items():
        if info["pid"]:
            trees[name] = sockets.process_tree(info["pid"])
    return trees


class TestLoopbackOnly:
    def test_every_listening_socket_of_the_platform_is_on_loopback(self, ctx: Context) -> None:
        trees = _platform_processes(ctx)
        # Every component is running: a component that is down would escape the check.
        assert {c.name for c in COMPONENTS} <= {n for n, pids in trees.items() if pids}
        bound = sockets.all_listeners()
        seen = {name: sockets.owned_by(pids, bound) for name, pids in trees.items()}
        # The check sees what it checks: each component's own port is among its sockets.
        for comp in COMPONENTS:
            assert {p for p in comp.ports(ctx)} <= {s.port for s in seen[comp.name]}, (comp.name, seen[comp.name])
        exposed = [
            f"{name} listens on {s.address} port {s.port} ({s.protocol}, pid {s.pid})"
            for name, found in seen.items()
            for s in found
            if not s.loopback
        ]
        assert exposed == [], "reachable from the network:\n" + "\n".join(exposed)

    def test_status_shows_each_components_listening_addresses(self, ctx: Context) -> None:
        result = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "bookstore"), "status"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "250"},
        )
        assert result.returncode == 0, result.stdout
        rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") > 2}
        for comp in COMPONENTS:
            for port in comp.ports(ctx):
                assert f"127.0.0.1:{port}" in rows[comp.name], rows[comp.name]
