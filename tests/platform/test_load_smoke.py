"""A few seconds of the Locust shopping mix (tests/load/locustfile.py) against the running platform: every kind of
request is made and none fails. The two-minute run that reports throughput is `make load`."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

from bookstore.config import ROOT

KINDS = ("GET /ecom/csrf", "GET /ecom/books", "GET /ecom/books/search", "POST /ecom/cart", "POST /ecom/checkout")


def test_a_short_run_of_the_shopping_mix_makes_every_kind_of_request_without_an_error(tmp_path: Path) -> None:
    # 6 shoppers for 20 s make ~200 requests, so the 10% cart + checkout share is never empty in practice.
    run = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "locust"),
            *("-f", str(ROOT / "tests" / "load" / "locustfile.py")),
            *("--headless", "--users", "6", "--spawn-rate", "6", "--run-time", "20s"),
            *("--csv", str(tmp_path / "smoke"), "--only-summary"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    with (tmp_path / "smoke_stats.csv").open() as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    for kind in KINDS:
        assert int(rows[kind]["Request Count"]) > 0, f"no {kind} in {sorted(rows)}"
        assert int(rows[kind]["Failure Count"]) == 0, f"{kind} failed: {run.stderr[-3000:]}"
    assert int(rows["Aggregated"]["Failure Count"]) == 0
