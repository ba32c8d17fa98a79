"""The analytics half of the platform, set up by `up` once every component runs, and its health.

Order: CDC sources and mirrors (bookstore.cdc, which also migrates analytics-db: bookstore.warehouse), then
the star schema's feed and Flink job (bookstore.star).
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bookstore import cdc, star
from bookstore.components.base import Context
from bookstore.components.registry import COMPONENTS
from bookstore.components.services import FastApiService


def platform_connectors() -> list[str]:
    """Every connector `make up` registers: CDC sources and mirror sinks, Flink's sources, the outboxes."""
    names = [n for s in cdc.SOURCES for n in (s.source_connector, s.sink_connector)]
    names += [star.connector_name(s) for s in star.flink_sources()]
    return names + [c.outbox_connector for c in COMPONENTS if isinstance(c, FastApiService)]


def ensure(ctx: Context) -> None:
    cdc.ensure(ctx)
    star.ensure(ctx)


def health(ctx: Context) -> list[cdc.Check]:
    return [*cdc.health(ctx, platform_connectors()), *star.checks(ctx)]


def print_health(ctx: Context, console: Console) -> bool:
    """The analytics table of `make status` and `bookstore cdc status`; False when anything is failed or stale."""
    checks = health(ctx)
    table = Table(title="Change data capture and analytics")
    for col in ("what", "state", "detail"):
        table.add_column(col)
    for check in checks:
        colour = "green" if check.ok else "red"
        table.add_row(check.what, f"[{colour}]{check.state}[/]", check.detail)
    console.print(table)
    bad = [c.what for c in checks if not c.ok]
    if bad:
        console.print("[red]not healthy:[/] " + ", ".join(bad))
    return not bad
