"""The analytics-keeper component's loop (see bookstore/components/analytics_keeper.py for why it exists)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import httpx

from bookstore import analytics, connectors, flink_jobs, flink_status, star
from bookstore.components.analytics_keeper import alive_file
from bookstore.components.base import Context

log = logging.getLogger("analytics-keeper")
FIRST_BACKOFF_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 300.0
HEALTHY_RESETS_AFTER_SECONDS = 120.0


@dataclass
class Backoff:
    """Per connector: when it may next be restarted; the wait doubles while it keeps failing."""

    wait: float = FIRST_BACKOFF_SECONDS
    next_at: float = 0.0
    healthy_since: float | None = None
    restarts: int = 0

    def due(self, now: float) -> bool:
        return now >= self.next_at

    def restarted(self, now: float) -> None:
        self.restarts += 1
        self.next_at = now + self.wait
        self.wait = min(self.wait * 2, MAX_BACKOFF_SECONDS)
        self.healthy_since = None

    def running(self, now: float) -> None:
        self.healthy_since = self.healthy_since or now
        if now - self.healthy_since > HEALTHY_RESETS_AFTER_SECONDS:
            self.wait, self.restarts = FIRST_BACKOFF_SECONDS, 0


def restart_failed_connectors(ctx: Context, backoffs: dict[str, Backoff], now: float) -> None:
    found = connectors.statuses(ctx)
    for name in analytics.platform_connectors():
        if name not in found:
            continue  # not registered yet: `make up` does that
        backoff = backoffs.setdefault(name, Backoff())
        failed = connectors.failed_parts(found[name])
        if not failed:
            backoff.running(now)
            continue
        if not backoff.due(now):
            continue
        reason = connectors.failure_reason(failed[0])
        log.warning("connector %s failed (%s); restart %d", name, reason, backoff.restarts + 1)
        url = f"http://127.0.0.1:{ctx.port('CONNECT_PORT')}/connectors/{name}/restart"
        httpx.post(url, params={"includeTasks": "true", "onlyFailed": "true"}, timeout=30)
        backoff.restarted(now)


def keep_star_job(ctx: Context) -> None:
    state = flink_status.job_state(ctx, star.JOB)  # every few seconds: the overview alone
    if (state is not None and state not in flink_status.TERMINAL_STATES) or flink_jobs.held(ctx):
        return
    checkpoint = flink_jobs.latest_checkpoint(ctx, star.JOB)
    if checkpoint is not None:
        log.info("job %s is not running (%s); resubmitting from %s", star.JOB, state, checkpoint)
        jid = star.submit(ctx)
        log.info("job %s runs again as %s", star.JOB, jid)


def _loop(ctx: Context, interval: float) -> None:
    log.info("keeping the CDC connectors and Flink job %s running (every %.0fs)", star.JOB, interval)
    backoffs: dict[str, Backoff] = {}
    down: set[str] = set()
    while True:
        for what, step in (
            ("kafka-connect", lambda: restart_failed_connectors(ctx, backoffs, time.monotonic())),
            ("flink", lambda: keep_star_job(ctx)),
        ):
            try:
                step()
                if what in down:
                    log.info("%s answers again", what)
                    down.discard(what)
            except httpx.TransportError as exc:
                if what not in down:
                    log.warning("%s does not answer (%s); waiting for it", what, exc)
                down.add(what)
            except Exception:  # noqa: BLE001 - e.g. a submission that failed: say why, retry next round
                log.exception("keeping %s running failed; retrying in %.0fs", what, interval)
        time.sleep(interval)


def run(ctx: Context, interval: float = 5.0) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll would drown what matters
    # Alive while the loop thread is: a Flink submission takes tens of seconds, and `up` restarts a component
    # that looks unready.
    loop = threading.Thread(target=_loop, args=(ctx, interval), name="keeper", daemon=True)
    loop.start()
    while loop.is_alive():
        alive_file(ctx).touch()
        loop.join(interval)
    raise SystemExit("the keeper loop ended")
