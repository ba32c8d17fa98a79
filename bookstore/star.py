"""The star schema's feed: Debezium sources for Flink (string decimals, schemaless JSON) and the Flink SQL job.

The mirrors keep exact types (precise decimals with schemas, for the JDBC sink); Flink's `debezium-json`
cannot read those base64 decimals, so a second, narrower source per database feeds Flink only the tables
the star schema needs (see analytics/README.md).
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime

import jinja2
import psycopg
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType
from psycopg import sql

from bookstore import connectors, flink_jobs, flink_status
from bookstore.cdc import SOURCES, Check, Source
from bookstore.components.base import Context

JOB = "star-schema"
# What the Flink job reads, per mirror schema.
FLINK_TABLES = {"ecom": ("book", "customer_order", "order_item"), "inventory": ("stock", "stock_movement")}
STALE_CHECKPOINT_SECONDS = 60.0
log = logging.getLogger(__name__)


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


def _template_text(ctx: Context) -> str:
    return (ctx.paths.root / "analytics" / "flink" / "star.sql.j2").read_text()


def _template(ctx: Context) -> jinja2.Template:
    return jinja2.Template(_template_text(ctx), undefined=jinja2.StrictUndefined)


def plan(ctx: Context) -> str:
    """The job's plan: a fingerprint of its SQL template without comments and layout. The job's state belongs to
    it; when it changes, the job is rebuilt from its topics (`flink_jobs.submit_sql_job`). Addresses and
    passwords are rendered into the SQL, not part of the template, so moving a port rebuilds nothing."""
    text = re.sub(r"\{#.*?#\}", " ", _template_text(ctx), flags=re.DOTALL)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def sink_tables(ctx: Context) -> list[str]:
    """The star tables the job writes (each declared through the template's `jdbc` macro)."""
    return re.findall(r"jdbc\('(\w+)'\)", _template_text(ctx))


def _template_vars(ctx: Context) -> dict[str, str]:
    return {
        "bootstrap": f"127.0.0.1:{ctx.port('KAFKA_PORT')}",
        # stringtype=unspecified: Flink binds its STRING ids as text, PostgreSQL casts them to uuid.
        "jdbc_url": f"jdbc:postgresql://127.0.0.1:{ctx.port('ANALYTICS_DB_PORT')}/analytics?stringtype=unspecified",
        "user": "flink_writer",
        "password": ctx.env["ANALYTICS_FLINK_PASSWORD"],
    }


def job_sql(ctx: Context) -> str:
    return _template(ctx).render(**_template_vars(ctx))


def kafka_source_options(ctx: Context, topic: str) -> str:
    """The WITH options the job's sources read `topic` with (the template's own `kafka` macro): a test runs a
    job on a throwaway topic with exactly the job's format options."""
    macro = getattr(_template(ctx).make_module(_template_vars(ctx)), "kafka")  # noqa: B009 - a template macro
    return str(macro(topic))


def feed_topics() -> list[str]:
    return [f"flink.{schema}.public.{table}" for schema, tables in FLINK_TABLES.items() for table in tables]


def compact_feed_topics(ctx: Context) -> None:
    """Flink's topics keep each source row's latest change for ever (`cleanup.policy=compact`; the connectors
    create them so, and this converges topics made before that), so a rebuild of the job reads every row that
    exists, however old. Missing topics are left to the connectors."""
    admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{ctx.port('KAFKA_PORT')}"})
    existing = set(admin.list_topics(timeout=10).topics)
    compact = [ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.SET)]
    resources = [
        ConfigResource(ResourceType.TOPIC, topic, incremental_configs=compact)
        for topic in feed_topics()
        if topic in existing
    ]
    if not resources:
        return
    for future in admin.incremental_alter_configs(resources).values():
        future.result(timeout=30)


def _empty_sink_tables(ctx: Context) -> None:
    tables = sink_tables(ctx)
    log.warning("emptying star.%s for the rebuilt job", ", star.".join(tables))
    with psycopg.connect(ctx.env["ANALYTICS_DATABASE_URL"], autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("truncate {}").format(sql.SQL(", ").join(sql.Identifier("star", t) for t in tables)))


def submit(ctx: Context) -> str:
    """Make sure the star-schema job runs: resumed from its latest checkpoint or savepoint, or, when its SQL
    changed since that state was written, rebuilt: the star tables it writes emptied and recomputed from the
    compacted topics."""
    return flink_jobs.submit_sql_job(ctx, JOB, job_sql(ctx), plan=plan(ctx), on_rebuild=lambda: _empty_sink_tables(ctx))


def ensure(ctx: Context) -> None:
    """Register the Flink-facing sources, then make sure the star-schema job runs (see `submit`)."""
    for source in flink_sources():
        connectors.register(ctx, connector_name(source), source_config(ctx, source))
    compact_feed_topics(ctx)
    submit(ctx)


def _job_check(job: flink_status.Job) -> Check:
    """Healthy: RUNNING, not failed since its latest completed checkpoint, which is younger than a minute."""
    age = job.checkpoint_age_s
    detail = "no completed checkpoint yet" if age is None else f"last checkpoint {age:.1f}s ago"
    if job.failed_since_checkpoint and job.last_failure is not None:
        failed_s = (datetime.now(UTC) - job.last_failure).total_seconds()
        detail += f"; failed {failed_s:.1f}s ago since then, in {job.last_failure_cause}"
    ok = (
        job.state == "RUNNING"
        and age is not None
        and age <= STALE_CHECKPOINT_SECONDS
        and not job.failed_since_checkpoint
    )
    state = job.state
    if not ok and job.state == "RUNNING":
        # Running again after a failure with no checkpoint since (a bad record fails every restart), or stuck.
        state = "FAILING" if job.failed_since_checkpoint else "STALE"
    return Check(f"flink job {job.name}", state, detail, ok)


def checks(ctx: Context) -> list[Check]:
    """Every job on the session cluster: the star-schema job (missing is a failure), and any other job unless it
    was cancelled or finished: the cluster is the platform's, and a job failing there that the platform does not
    know is still failing (a bad record in its input, say) and must be named."""
    try:
        found = flink_status.jobs(ctx, ended_too={JOB})
    except Exception as exc:  # noqa: BLE001 - any failure to ask the JobManager is what we report
        return [Check(f"flink job {JOB}", "UNREACHABLE", str(exc)[:200], False)]
    result = (
        []
        if any(job.name == JOB for job in found)
        else [Check(f"flink job {JOB}", "MISSING", "not running (run make up)", False)]
    )
    # The platform's own job first, as before; then the others by name.
    return result + [_job_check(job) for job in sorted(found, key=lambda j: (j.name != JOB, j.name))]
