"""What the benchmark scripts share: running wrk with a Lua script, the nginx static baseline measured in the same
run, and one table that prints every figure beside it and as a share of it."""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass

# Appended to every wrk script: one machine-readable line with the run's numbers.
WRK_DONE = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.1f %.1f %.1f %.1f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""
# Each wrk thread has its own Lua state: seeded alike, the threads would send the same "random" ids.
SEEDED = """
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end
init = function(args)
  math.randomseed(os.time() * 100 + id)
end
"""
STATIC = 'request = function() return wrk.format("GET", "/index.html") end'
PUBLIC_HOSTS_LINE = "127.0.0.1 myecom.net api.service.net idp.keycloak.net"


@dataclass(frozen=True)
class Result:
    name: str
    rate: float  # requests (or checkouts) per second
    p50: float  # milliseconds
    p95: float
    p99: float
    requests: int
    errors: int
    clients: int
    goal: str = ""

    def line(self) -> str:
        return (
            f"{self.name}: {self.rate:7.1f} req/s  p50 {self.p50:.1f} ms  p95 {self.p95:.1f} ms  p99 {self.p99:.1f} ms"
            f"  ({self.requests} requests, {self.errors} non-2xx/errors, {self.clients} connections)"
        )


def require_wrk() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")


def require_public_hosts() -> None:
    """wrk resolves names itself, so the gateway's names must be in /etc/hosts."""
    try:
        resolved = {socket.gethostbyname(name) for name in ("api.service.net", "myecom.net")}
    except OSError:  # not resolvable at all (a fresh machine)
        resolved = set()
    if resolved != {"127.0.0.1"}:
        sys.exit(f"the gateway's names must resolve to 127.0.0.1: add '{PUBLIC_HOSTS_LINE}' to /etc/hosts")


def wrk(name: str, url: str, lua: str, clients: int, seconds: int, threads: int = 2, goal: str = "") -> Result:
    """Run wrk against `url` with the script `lua`; print and return throughput and latency percentiles."""
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
    result = Result(name, rate, float(p50), float(p95), float(p99), int(requests), int(errors), clients, goal)
    print(result.line(), flush=True)
    return result


def static_baseline(gateway_port: int, clients: int, seconds: int) -> Result:
    """nginx serving the storefront's index.html through the TLS gateway: the most this box answers per second."""
    return wrk("static file (baseline)", f"https://myecom.net:{gateway_port}", STATIC, clients, seconds)


def summarize(
    name: str, latencies_ms: list[float], seconds: float, failures: int, clients: int, goal: str = ""
) -> Result:
    """A Python-driven run's numbers in the same shape as wrk's."""
    ordered = sorted(latencies_ms)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")

    result = Result(name, len(ordered) / seconds, pct(50), pct(95), pct(99), len(ordered), failures, clients, goal)
    mean = statistics.fmean(ordered) if ordered else float("nan")
    print(f"{result.line()}  mean {mean:.1f} ms", flush=True)
    return result


def table(baseline: Result, results: list[Result]) -> str:
    """Every figure beside the static baseline of the same run, and as a share of it (a Markdown table)."""
    rows = [
        "| what | req/s | share of static | p50 ms | p95 ms | p99 ms | errors | conns | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for result in [baseline, *results]:
        share = result.rate / baseline.rate * 100 if baseline.rate else float("nan")
        rows.append(
            f"| {result.name.strip()} | {result.rate:.1f} | {share:.2f}% | {result.p50:.1f} | {result.p95:.1f} | "
            f"{result.p99:.1f} | {result.errors} | {result.clients} | {result.goal} |"
        )
    return "\n".join(rows)
