"""What the benchmark scripts share: running wrk with a Lua script and printing its numbers."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile

# Appended to every wrk script: one machine-readable line with the run's numbers.
WRK_DONE = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.1f %.1f %.1f %.1f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""


def require_wrk() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")


def wrk(name: str, url: str, lua: str, clients: int, seconds: int, threads: int = 2) -> None:
    """Run wrk against `url` with the script `lua` and print throughput and latency percentiles."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua + WRK_DONE)
        script.flush()
        out = subprocess.run(
            ["wrk", f"-t{min(threads, clients)}", f"-c{clients}", f"-d{seconds}s", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    requests, errors, p50, p95, p99, duration = next(
        line.split()[1:] for line in out.splitlines() if line.startswith("RESULT")
    )
    rate = int(requests) / float(duration)
    print(
        f"{name}: {rate:7.1f} req/s  p50 {p50} ms  p95 {p95} ms  p99 {p99} ms  ({requests} requests, "
        f"{errors} non-2xx/errors, {clients} connections, {float(duration):.0f}s)"
    )


def summarize(name: str, latencies_ms: list[float], seconds: float, failures: int, clients: int) -> None:
    """Print a Python-driven run's numbers in the same shape as wrk's."""
    ordered = sorted(latencies_ms)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")

    print(
        f"{name}: {len(ordered) / seconds:7.1f} req/s  p50 {pct(50):.1f} ms  p95 {pct(95):.1f} ms  "
        f"p99 {pct(99):.1f} ms  mean {statistics.fmean(ordered) if ordered else float('nan'):.1f} ms  "
        f"({len(ordered)} requests, {failures} failures, {clients} clients, {seconds:.0f}s)"
    )
