"""Change data capture into analytics-db: Debezium sources on every source table, JDBC-sink mirrors.

`ensure` (run by `up` once every component is ready) prepares the source databases (heartbeat table,
publication, replica identity), the mirror schemas in analytics-db, and registers the connectors from
analytics/debezium/. `health` is what `bookstore cdc status` and `make status` show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import psycopg
from psycopg import sql

from bookstore import connectors, warehouse
from bookstore.components.base import Context
from bookstore.components.postgres import CDC_USER, Postgres
from bookstore.components.registry import BY_NAME

# Not mirrored: the outbox is already published as events on their own topics (and pruned daily), and
# alembic_version is migration bookkeeping, not business data.
EXCLUDED_TABLES = ("outbox", "alembic_version")
HEARTBEAT_MS = 2000
STALE_AFTER_SECONDS = 30.0
DLQ_TOPIC = "cdc.dlq"


@dataclass(frozen=True)
class Source:
    schema: str  # the mirror schema in analytics-db, and the topic segment: cdc.<schema>.public.<table>
    component: str  # the PostgreSQL component captured
    tables: tuple[str, ...] = ()  # empty: every table of `public` but EXCLUDED_TABLES
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column allow-list per table

    def db(self) -> Postgres:
        comp = BY_NAME[self.component]
        assert isinstance(comp, Postgres)
        return comp

    @property
    def source_connector(self) -> str:
        return f"cdc-{self.schema}"

    @property
    def sink_connector(self) -> str:
        return f"mirror-{self.schema}"


SOURCES = (
    Source("ecom", "ecom-db"),
    Source("inventory", "inventory-db"),
    # Keycloak: the user table only, for a customer dimension; no credentials, no other table.
    # realm_id tells the bookstore realm's customers from the master realm's administrators.
    Source(
        "identity",
        "keycloak-db",
        tables=("user_entity",),
        columns={"user_entity": ("id", "username", "created_timestamp", "enabled", "realm_id")},
    ),
)


def _prepare_source(ctx: Context, source: Source) -> None:
    db = source.db()
    publication = sql.Identifier(f"cdc_{db.db}")
    debezium = sql.Identifier(CDC_USER)
    with db.connect_admin(ctx) as conn:
        # Debezium's heartbeat writes here: idle slots advance, and analytics-db's mirror of this row says
        # how fresh the mirror is.
        conn.execute(
            "create table if not exists public.cdc_heartbeat (id int primary key, beat_at timestamptz not null)"
        )
        conn.execute(sql.SQL("grant select, insert, update on public.cdc_heartbeat to {}").format(debezium))
        if source.tables:
            for table in source.tables:
                conn.execute(sql.SQL("grant select on public.{} to {}").format(sql.Identifier(table), debezium))
            members = sql.SQL(", ").join(
                sql.SQL("public.{}{}").format(
                    sql.Identifier(table),
                    sql.SQL(" ({})").format(sql.SQL(", ").join(map(sql.Identifier, source.columns[table])))
                    if table in source.columns
                    else sql.SQL(""),
                )
                for table in (*source.tables, "cdc_heartbeat")
            )
            scope: sql.Composable = sql.SQL("for table {}").format(members)
        else:
            # Full before-images on UPDATE/DELETE (stream processors need them to retract old values).
            rows = conn.execute(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                " where n.nspname = 'public' and c.relkind = 'r' and c.relreplident <> 'f'"
                " and not (c.relname = any(%s))",
                (list(EXCLUDED_TABLES),),
            ).fetchall()
            for (table,) in rows:
                conn.execute(sql.SQL("alter table public.{} replica identity full").format(sql.Identifier(table)))
            # Every table of the schema, present and future (a new table is captured without a restart).
            scope = sql.SQL("for tables in schema public")
        if not conn.execute("select 1 from pg_publication where pubname = %s", (f"cdc_{db.db}",)).fetchone():
            conn.execute(sql.SQL("create publication {} {}").format(publication, scope))


def source_config(ctx: Context, source: Source) -> dict[str, object]:
    db = source.db()
    qualified = [f"public.{t}" for t in source.tables]
    return connectors.render(
        ctx.paths.root / "analytics" / "debezium" / "source.json.j2",
        source=source.schema,
        database=db.db,
        port=db.ports(ctx)[0],
        password_env=f"{db.prefix}_CDC_PASSWORD",
        table_include=",".join([*qualified, "public.cdc_heartbeat"]) if source.tables else "",
        table_exclude=",".join(f"public.{t}" for t in EXCLUDED_TABLES),
        column_include=",".join(f"public\\.{table}\\.({'|'.join(cols)})" for table, cols in source.columns.items())
        + (",public\\.cdc_heartbeat\\..*" if source.columns else ""),
        heartbeat_ms=HEARTBEAT_MS,
    )


def sink_config(ctx: Context, source: Source) -> dict[str, object]:
    return connectors.render(
        ctx.paths.root / "analytics" / "debezium" / "mirror-sink.json.j2",
        source=source.schema,
        port=ctx.port("ANALYTICS_DB_PORT"),
        user=ctx.env["ANALYTICS_DB_USER"],
        password_env="ANALYTICS_DB_PASSWORD",  # noqa: S106 - names the variable Connect reads, not a value
    )


def ensure(ctx: Context) -> None:
    """Idempotent: prepare sources and mirror schemas, then create or update every CDC connector."""
    for source in SOURCES:
        _prepare_source(ctx, source)
    warehouse.ensure(ctx)  # the mirror schemas too: the sinks write into them
    for source in SOURCES:
        connectors.register(ctx, source.source_connector, source_config(ctx, source))
        connectors.register(ctx, source.sink_connector, sink_config(ctx, source))


@dataclass
class Check:
    what: str
    state: str
    detail: str
    ok: bool


def _connector_checks(ctx: Context, expected: list[str]) -> list[Check]:
    """Every connector on the worker, and each `expected` one even when it is missing."""
    try:
        found = connectors.statuses(ctx)
    except (httpx.HTTPError, ValueError) as exc:
        return [Check("kafka-connect", "UNREACHABLE", str(exc), False)]
    checks = []
    for name in [*expected, *sorted(set(found) - set(expected))]:
        if name not in found:
            checks.append(Check(f"connector {name}", "MISSING", "not registered (run make up)", False))
            continue
        body = found[name]
        failed = connectors.failed_parts(body)
        detail = f"{len(body['tasks'])} task(s): " + ", ".join(t["state"] for t in body["tasks"])
        if failed:
            detail += " — " + connectors.failure_reason(failed[0])
        state = "FAILED" if failed else body["connector"]["state"]
        checks.append(Check(f"connector {name}", state, detail, connectors.is_running(body)))
    return checks


def _slot_checks(ctx: Context) -> list[Check]:
    """Every replication slot of each captured instance (mirror, Flink and outbox slots) and the WAL it pins."""
    checks = []
    for source in SOURCES:
        db = source.db()
        try:
            with db.connect_admin(ctx, timeout=3) as conn:
                rows = conn.execute(
                    "select slot_name, active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint"
                    " from pg_replication_slots order by slot_name"
                ).fetchall()
        except psycopg.Error as exc:
            checks.append(Check(f"slots of {db.name}", "UNREACHABLE", str(exc).strip(), False))
            continue
        if f"cdc_{db.db}" not in {name for name, _, _ in rows}:
            checks.append(Check(f"slot cdc_{db.db}", "MISSING", f"no replication slot on {db.name}", False))
        for name, active, retained in rows:
            state = "active" if active else "INACTIVE"
            checks.append(Check(f"slot {name}", state, f"{(retained or 0) / 2**20:.1f} MiB WAL retained", bool(active)))
    return checks


def _freshness_checks(ctx: Context) -> list[Check]:
    analytics = BY_NAME["analytics-db"]
    assert isinstance(analytics, Postgres)
    checks = []
    try:
        with analytics.connect_admin(ctx, timeout=3) as conn:
            for source in SOURCES:
                row = None
                if conn.execute("select to_regclass(%s)", (f"{source.schema}.cdc_heartbeat",)).fetchone() != (None,):
                    query = sql.SQL("select extract(epoch from now() - max(beat_at)) from {}.cdc_heartbeat")
                    row = conn.execute(query.format(sql.Identifier(source.schema))).fetchone()
                if row is None or row[0] is None:
                    checks.append(Check(f"mirror {source.schema}", "NO DATA", "no heartbeat mirrored yet", False))
                    continue
                age = float(row[0])
                fresh = age <= STALE_AFTER_SECONDS
                checks.append(
                    Check(
                        f"mirror {source.schema}",
                        "fresh" if fresh else "STALE",
                        f"last heartbeat {age:.1f}s ago",
                        fresh,
                    )
                )
    except psycopg.Error as exc:
        checks.append(Check("analytics-db", "UNREACHABLE", str(exc).strip(), False))
    return checks


def health(ctx: Context, expected_connectors: list[str]) -> list[Check]:
    """Connectors and tasks, replication slots with retained WAL, and mirror freshness from heartbeats."""
    return [*_connector_checks(ctx, expected_connectors), *_slot_checks(ctx), *_freshness_checks(ctx)]
