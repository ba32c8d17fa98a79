"""Every component of the local platform, in the order `up` starts them (each after its `depends`)."""

from __future__ import annotations

from bookstore.components.analytics_keeper import AnalyticsKeeper
from bookstore.components.base import Component
from bookstore.components.flink import FlinkJobManager, FlinkTaskManager
from bookstore.components.gateway import Gateway
from bookstore.components.kafka import Kafka, KafkaConnect
from bookstore.components.keycloak import Keycloak
from bookstore.components.mailpit import Mailpit
from bookstore.components.notifier import Notifier
from bookstore.components.pgadmin import PgAdmin
from bookstore.components.postgres import Postgres
from bookstore.components.redis import Redis
from bookstore.components.services import FastApiService
from bookstore.components.superset import Superset

DATABASES = {
    "ecom-db": "ecom",
    "inventory-db": "inventory",
    "analytics-db": "analytics",
    "keycloak-db": "keycloak",
}
CDC_SOURCES = {"ecom-db", "inventory-db", "keycloak-db"}  # wal_level=logical and a Debezium role
SERVICE_DATABASES = {"ecom-db", "inventory-db"}  # owned by the FastAPI services
# The analytics pipeline (Connect, Flink, its keeper) yields the cores to the shop: on a machine whose cores it
# shares, a checkout should not wait behind the pipeline, which catches up afterwards (docs/benchmarks.md). Flink
# and the keeper run as SCHED_IDLE: only on CPU time the shop leaves, and a waking shop process preempts them at
# once (a niced process keeps its core for the rest of its time slice, a few ms at every hop of a checkout).
# Connect carries the outbox connectors too (the shop's own events: inventory commits reservations from them, which
# expire after 15 minutes), so it must never starve: the lowest niceness instead, a small but certain share.
CONNECT_NICE = 19
# The order mails too: a confirmation may come a little later under load, the checkout should not wait behind it
# (Mailpit stands in for the mail relay, which in production does not share the shop's cores). Niced rather than
# SCHED_IDLE: a mail is never starved, it gets a small but certain share.
MAIL_NICE = 19

POSTGRES = {
    name: Postgres(
        name=name,
        port_var=f"{db.upper()}_DB_PORT",
        db=db,
        logical=name in CDC_SOURCES,
        test_twin=name in SERVICE_DATABASES,
        # Debezium may read every table the services create; in keycloak-db only what bookstore.cdc grants.
        cdc_reads_all=name in SERVICE_DATABASES,
    )
    for name, db in DATABASES.items()
}

COMPONENTS: list[Component] = [
    *POSTGRES.values(),
    Redis(name="redis", port_var="REDIS_PORT"),
    Kafka(name="kafka", port_var="KAFKA_PORT", extra_port_vars=("KAFKA_CONTROLLER_PORT",), ready_timeout=120),
    KafkaConnect(
        name="kafka-connect", port_var="CONNECT_PORT", depends=("kafka",), ready_timeout=180, nice=CONNECT_NICE
    ),
    Mailpit(name="mailpit", port_var="MAILPIT_PORT", extra_port_vars=("MAILPIT_SMTP_PORT",), nice=MAIL_NICE),
    Keycloak(
        name="keycloak",
        port_var="KEYCLOAK_PORT",
        depends=("keycloak-db",),
        extra_port_vars=("KEYCLOAK_MANAGEMENT_PORT",),
    ),
    Gateway(name="gateway", port_var="GATEWAY_PORT"),
    PgAdmin(name="pgadmin", port_var="PGADMIN_PORT", depends=tuple(DATABASES)),
    FlinkJobManager(
        name="flink-jobmanager", port_var="FLINK_REST_PORT", extra_port_vars=("FLINK_RPC_PORT",), idle=True
    ),
    FlinkTaskManager(
        name="flink-taskmanager",
        port_var="FLINK_TASKMANAGER_PORT",
        depends=("flink-jobmanager",),
        idle=True,
    ),
    AnalyticsKeeper(name="analytics-keeper", depends=("kafka-connect", "flink-taskmanager"), idle=True),
    Superset(
        name="superset", port_var="SUPERSET_PORT", depends=("analytics-db", "redis"), analytics=POSTGRES["analytics-db"]
    ),
    FastApiService(
        name="inventory",
        port_var="INVENTORY_SERVICE_PORT",
        depends=("inventory-db", "redis", "kafka-connect"),
        db=POSTGRES["inventory-db"],
        prefix="inven",
        env_prefix="INVENTORY",
        redis_db=1,
        executable="inventory-service",
        extra_env={
            "INVENTORY_KAFKA_BOOTSTRAP": "127.0.0.1:{kafka_port}",
            "INVENTORY_EXPIRY_INTERVAL_SECONDS": "10",
        },
    ),
    FastApiService(
        name="ecom",
        port_var="ECOM_SERVICE_PORT",
        depends=("ecom-db", "redis", "kafka-connect", "inventory"),
        db=POSTGRES["ecom-db"],
        prefix="ecom",
        env_prefix="ECOM",
        redis_db=0,
        executable="ecom-service",
        extra_env={
            "ECOM_INVENTORY_URL": "http://127.0.0.1:{inventory_service_port}",
            "ECOM_OIDC_TOKEN_URL": "{keycloak}/token",
            "ECOM_RECOVERY_INTERVAL_SECONDS": "10",
        },
        secret_env={"ECOM_SERVICE_CLIENT_SECRET": "ECOM_SERVICE_CLIENT_SECRET"},
    ),
    Notifier(name="notifier", port_var="NOTIFIER_PORT", depends=("kafka", "redis", "mailpit"), nice=MAIL_NICE),
]

BY_NAME = {c.name: c for c in COMPONENTS}
