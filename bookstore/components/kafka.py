"""Kafka (KRaft, single node) with the platform's topics, and the Kafka Connect worker that runs Debezium."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
from confluent_kafka import KafkaError
from confluent_kafka.admin import AdminClient, NewTopic

from bookstore.components.base import IDLE_HEAP_RETURN, Component, Context, render

TOPICS = (
    "order.created",
    "order.cancelled",
    "inventory.updated",
    "order.created.dlq",
    "order.cancelled.dlq",  # the notifier dead-letters both order topics
    "inventory.updated.dlq",
    "cdc.dlq",  # change events the analytics mirrors could not apply, with the error in headers
)


def java_cmd(ctx: Context, heap: str, log_config: Path, main: str, *args: str) -> list[str]:
    """A JVM on Kafka's class path (the broker, its tools, the Connect worker)."""
    return [
        ctx.java,
        f"-Xmx{heap}",
        "-Xms128m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=50",
        *IDLE_HEAP_RETURN,
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log_config}",
        "-cp",
        str(ctx.paths.jvm / "kafka" / "libs" / "*"),
        main,
        *args,
    ]


@dataclass
class Kafka(Component):
    def props(self, ctx: Context) -> Path:
        return ctx.paths.run / "kafka" / "server.properties"

    def config_files(self, ctx: Context) -> list[Path]:
        return [self.props(ctx), ctx.paths.run / "kafka" / "log4j2.properties"]

    def prepare(self, ctx: Context) -> None:
        logdir = ctx.paths.data / "kafka"
        render(
            "kafka/server.properties.j2",
            self.props(ctx),
            port=ctx.port("KAFKA_PORT"),
            controller_port=ctx.port("KAFKA_CONTROLLER_PORT"),
            log_dir=logdir,
        )
        render("kafka/log4j2.properties", ctx.paths.run / "kafka" / "log4j2.properties")
        if (logdir / "meta.properties").exists():
            return
        cmd = java_cmd(
            ctx,
            "256m",
            ctx.paths.run / "kafka" / "log4j2.properties",
            "kafka.tools.StorageTool",
            "format",
            "--ignore-formatted",
            # One token: a base64url id may start with "-", which argparse would take for an option.
            f"--cluster-id={ctx.env['KAFKA_CLUSTER_ID']}",
            "-c",
            str(self.props(ctx)),
        )
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"formatting Kafka's storage failed:\n{result.stdout}{result.stderr}")

    def command(self, ctx: Context) -> list[str]:
        return java_cmd(ctx, "512m", ctx.paths.run / "kafka" / "log4j2.properties", "kafka.Kafka", str(self.props(ctx)))

    def bootstrap(self, ctx: Context) -> str:
        return f"127.0.0.1:{ctx.port(self.port_var)}"

    def is_ready(self, ctx: Context) -> bool:
        try:
            md = AdminClient({"bootstrap.servers": self.bootstrap(ctx), "log_level": 0}).list_topics(timeout=2)
            return bool(md.brokers)
        except Exception:  # noqa: BLE001 - any client error means "not ready yet"
            return False

    def after_ready(self, ctx: Context) -> None:
        admin = AdminClient({"bootstrap.servers": self.bootstrap(ctx)})
        existing = set(admin.list_topics(timeout=10).topics)
        missing = [NewTopic(t, num_partitions=3, replication_factor=1) for t in TOPICS if t not in existing]
        if not missing:
            return
        for topic, future in admin.create_topics(missing).items():
            try:
                future.result(timeout=30)
            except Exception as exc:
                err = exc.args[0] if exc.args else None
                if isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                    continue
                raise RuntimeError(f"creating topic {topic} failed: {exc}") from exc

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [("kafka", f"{self.bootstrap(ctx)}  topics: {', '.join(TOPICS)}")]


@dataclass
class KafkaConnect(Component):
    def props(self, ctx: Context) -> Path:
        return ctx.paths.run / "kafka-connect" / "connect-distributed.properties"

    def config_files(self, ctx: Context) -> list[Path]:
        return [self.props(ctx), ctx.paths.run / "kafka-connect" / "log4j2.properties"]

    def prepare(self, ctx: Context) -> None:
        render(
            "kafka/connect-distributed.properties.j2",
            self.props(ctx),
            bootstrap=f"127.0.0.1:{ctx.port('KAFKA_PORT')}",
            port=ctx.port(self.port_var),
            plugin_path=ctx.paths.jvm / "connect-plugins",
            # Listed in the rendered file so that a newly installed plugin restarts the worker (it scans at start).
            plugins=sorted(p.name for p in (ctx.paths.jvm / "connect-plugins").glob("*") if p.is_dir()),
        )
        render("kafka/log4j2.properties", ctx.paths.run / "kafka-connect" / "log4j2.properties")

    def command(self, ctx: Context) -> list[str]:
        return java_cmd(
            ctx,
            "512m",
            ctx.paths.run / "kafka-connect" / "log4j2.properties",
            "org.apache.kafka.connect.cli.ConnectDistributed",
            str(self.props(ctx)),
        )

    def environment(self, ctx: Context) -> dict[str, str]:
        # Only what connector configs reference as ${env:...}: the CDC roles' passwords (sources) and
        # analytics-db's owner password (the mirror sinks).
        return {k: v for k, v in ctx.env.items() if k.endswith("_CDC_PASSWORD") or k == "ANALYTICS_DB_PASSWORD"}

    def base_url(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{ctx.port(self.port_var)}"

    def is_ready(self, ctx: Context) -> bool:
        try:
            return httpx.get(f"{self.base_url(ctx)}/connector-plugins", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [("kafka-connect", f"{self.base_url(ctx)}/connector-plugins")]
