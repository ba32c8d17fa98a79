"""Operating the platform: idempotent `make up`, restart after a crash, clear failures."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import psutil
import pytest

from bookstore.components import COMPONENTS, Context
from bookstore.config import ROOT
from bookstore.supervise import Supervisor
from tests.waiting import wait_for

BOOKSTORE = str(ROOT / ".venv" / "bin" / "bookstore")


def _status() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BOOKSTORE, "status"], capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"}
    )


class TestUpIsIdempotent:
    def test_second_make_up_keeps_every_process(self, ctx: Context) -> None:
        before = {name: info["pid"] for name, info in Supervisor(ctx).all_info().items()}
        result = subprocess.run(["make", "up"], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        after = {name: info["pid"] for name, info in Supervisor(ctx).all_info().items()}
        assert after == before
        assert all(f"{c.name} already running" in result.stdout for c in COMPONENTS)
        assert "https://myecom.net:" in result.stdout  # the URL table

    def test_status_reports_every_component_ready(self, ctx: Context) -> None:
        result = _status()
        assert result.returncode == 0, result.stdout
        for comp in COMPONENTS:
            line = next(line for line in result.stdout.splitlines() if f" {comp.name} " in line)
            assert "RUNNING" in line and "ready" in line and "not ready" not in line


class TestCrashRecovery:
    def test_sigkilled_component_is_restarted_and_status_shows_it(self, ctx: Context) -> None:
        sup = Supervisor(ctx)
        old_pid = sup.info("redis")["pid"]
        os.kill(old_pid, signal.SIGKILL)
        new_pid = wait_for(
            lambda: (info := sup.info("redis"))["statename"] == "RUNNING" and info["pid"] != old_pid and info["pid"],
            timeout=30,
            what="supervisor to restart redis",
        )
        redis_comp = next(c for c in COMPONENTS if c.name == "redis")
        wait_for(lambda: redis_comp.is_ready(ctx), timeout=30, what="redis to be ready again")
        result = _status()
        line = next(line for line in result.stdout.splitlines() if " redis " in line)
        assert str(new_pid) in line and "RUNNING" in line and "not ready" not in line


class TestFailFast:
    def test_taken_port_fails_up_naming_port_and_component(self, tmp_path: Path) -> None:
        with socket.socket() as blocker:
            blocker.bind(("127.0.0.1", 0))
            blocker.listen()
            port = blocker.getsockname()[1]
            env = {
                **os.environ,
                "BOOKSTORE_VAR_DIR": str(tmp_path / "var"),
                "REDIS_PORT": str(port),
                "COLUMNS": "200",
            }
            result = subprocess.run(
                [BOOKSTORE, "up", "--no-provision"], capture_output=True, text=True, env=env, timeout=120
            )
        assert result.returncode == 1
        assert f"port {port} for redis (set REDIS_PORT to move it)" in result.stdout
        # Nothing was started for that state directory.
        assert not (tmp_path / "var" / "run" / "supervisor.sock").exists()
        assert not (tmp_path / "var" / "data" / "ecom-db").exists()


class TestStatusAndLogs:
    def test_status_exits_non_zero_when_nothing_runs(self, tmp_path: Path) -> None:
        env = {**os.environ, "BOOKSTORE_VAR_DIR": str(tmp_path / "var"), "COLUMNS": "200"}
        result = subprocess.run([BOOKSTORE, "status"], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 1
        assert result.stdout.count("NOT STARTED") == len(COMPONENTS)

    def test_logs_shows_the_components_log(self, ctx: Context) -> None:
        result = subprocess.run(
            ["make", "-s", "logs", "S=kafka"], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0
        shown = result.stdout.strip().splitlines()
        logged = (ctx.paths.log / "kafka.log").read_text().splitlines()
        assert shown and len(shown) <= 200
        assert shown[0] in logged and shown[-1] in logged

    def test_logs_of_unknown_component_names_the_valid_ones(self) -> None:
        result = subprocess.run(
            [BOOKSTORE, "logs", "kafak"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert result.returncode == 1
        assert "unknown component 'kafak'" in result.stdout and "kafka-connect" in result.stdout


class TestPgAdmin:
    def test_login_page_answers(self, ctx: Context) -> None:
        response = httpx.get(f"http://localhost:{ctx.port('PGADMIN_PORT')}/login", timeout=10, follow_redirects=True)
        assert response.status_code == 200
        assert "pgAdmin" in response.text


class TestServiceWorkers:
    """ecom and inventory run several uvicorn workers by default, and /metrics adds up what all of them counted."""

    @pytest.mark.parametrize(
        ("service", "prefix", "metric"), [("ecom", "ecom", "ecom"), ("inventory", "inven", "inventory")]
    )
    def test_several_workers_serve_and_metrics_count_every_request(
        self, ctx: Context, service: str, prefix: str, metric: str
    ) -> None:
        main = psutil.Process(Supervisor(ctx).info(service)["pid"])
        workers = [child for child in main.children() if "multiprocessing-fork" in " ".join(child.cmdline())]
        assert len(workers) >= 2, f"{service} runs {len(workers)} worker(s)"

        component = next(c for c in COMPONENTS if c.name == service)
        base = f"http://127.0.0.1:{ctx.port(component.port_var)}/{prefix}"
        sample = (
            f'{metric}_http_request_duration_seconds_count{{method="GET",route="/{prefix}/health/live",status="200"}}'
        )

        def counted() -> float:
            lines = httpx.get(f"{base}/metrics").text.splitlines()
            return next((float(line.split()[-1]) for line in lines if line.startswith(sample)), 0.0)

        before = counted()
        # A new connection each time, so the kernel spreads them over the workers (keep-alive would stay put).
        for _ in range(40):
            assert httpx.get(f"{base}/health/live").status_code == 200
        # Exactly 40 more whichever worker answered each request, and whichever answers the scrape.
        assert counted() - before == 40
