"""The star schema's feed: Debezium sources for Flink (string decimals, schemaless JSON) and the Flink SQL job.

The mirrors keep exact types (precise decimals with schemas, for the JDBC sink); Flink's `debezium-json`
cannot read those base64 decimals, so a second, narrower source per database feeds Flink only the tables
the star schema needs (see analytics/README.md).
"""

from __future__ import annotations

import jinja2

from bookstore import connectors, flink_jobs
from bookstore.cdc import SOURCES, Check, Source
from bookstore.components.base import Context

JOB = "star-schema"
# What the Flink job reads, per mirror schema.
FLINK_TABLES = {"ecom": ("book", "customer_order", "order_item"), "inventory": ("stock", "stock_movement")}
STALE_CHECKPOINT_SECONDS = 60.0


def flink_sources() -> list[Source]:
    return [s for s in SOURCES if s.schema in FLINK_TABLES]


def connector_name(source: Source) -> str:
    return f"flink-{source.schema}"


def source_config(ctx: Context, source: Source) -> dict[str, object]:
    db = source.db()
    return connectors.render(
        ctx.paths.root / "analytics" / "debezium" / "flink-source.json.j2",
        source=source.schema,
        database=db.db,
        port=db.ports(ctx)[0],
        password_env=f"{db.prefix}_CDC_PASSWORD",
        table_include=",".join(f"public.{t}" for t in FLINK_TABLES[source.schema]),
    )


def job_sql(ctx: Context) -> str:
    template = (ctx.paths.root / "analytics" / "flink" / "star.sql.j2").read_text()
    return jinja2.Template(template, undefined=jinja2.StrictUndefined).render(
        bootstrap=f"127.0.0.1:{ctx.port('KAFKA_PORT')}",
        # stringtype=unspecified: Flink binds its STRING ids as text, PostgreSQL casts them to uuid.
        jdbc_url=f"jdbc:postgresql://127.0.0.1:{ctx.port('ANALYTICS_DB_PORT')}/analytics?stringtype=unspecified",
        user="flink_writer",
        password=ctx.env["ANALYTICS_FLINK_PASSWORD"],
    )


def ensure(ctx: Context) -> None:
    """Register the Flink-facing sources, then make sure the star-schema job runs (resumed if it ran before)."""
    for source in flink_sources():
        connectors.register(ctx, connector_name(source), source_config(ctx, source))
    flink_jobs.submit_sql_job(ctx, JOB, job_sql(ctx))


def checks(ctx: Context) -> list[Check]:
    """The Flink job: RUNNING, with a completed checkpoint younger than a minute."""
    try:
        job = flink_jobs.job(ctx, JOB)
    except Exception as exc:  # noqa: BLE001 - any failure to ask the JobManager is what we report
        return [Check(f"flink job {JOB}", "UNREACHABLE", str(exc)[:200], False)]
    if job is None:
        return [Check(f"flink job {JOB}", "MISSING", "not running (run make up)", False)]
    age = job.checkpoint_age_s
    detail = "no completed checkpoint yet" if age is None else f"last checkpoint {age:.1f}s ago"
    ok = job.state == "RUNNING" and age is not None and age <= STALE_CHECKPOINT_SECONDS
    return [Check(f"flink job {JOB}", job.state if ok or job.state != "RUNNING" else "STALE", detail, ok)]
