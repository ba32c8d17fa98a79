"""Kafka Connect's REST API, with the Debezium PostgreSQL connector plugin installed."""

from __future__ import annotations

import ipaddress

import httpx

from bookstore.components import Context


def _is_loopback(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    mapped = getattr(addr, "ipv4_mapped", None)  # Java reports IPv4 listeners as ::ffff:a.b.c.d
    return (mapped or addr).is_loopback


class TestKafkaConnect:
    def test_debezium_postgres_plugin_is_listed(self, ctx: Context) -> None:
        plugins = httpx.get(f"http://127.0.0.1:{ctx.port('CONNECT_PORT')}/connector-plugins", timeout=10).json()
        postgres = [p for p in plugins if p["class"] == "io.debezium.connector.postgresql.PostgresConnector"]
        assert postgres and postgres[0]["type"] == "source"
        assert postgres[0]["version"].startswith("3.4.")

    def test_worker_runs_in_distributed_mode_with_internal_topics(self, ctx: Context) -> None:
        from confluent_kafka.admin import AdminClient

        root = httpx.get(f"http://127.0.0.1:{ctx.port('CONNECT_PORT')}/", timeout=10).json()
        assert root["kafka_cluster_id"] == ctx.env["KAFKA_CLUSTER_ID"]
        topics = (
            AdminClient({"bootstrap.servers": f"127.0.0.1:{ctx.port('KAFKA_PORT')}"}).list_topics(timeout=10).topics
        )
        assert {"_connect-configs", "_connect-offsets", "_connect-status"} <= set(topics)

    def test_rest_api_listens_on_loopback_only(self, ctx: Context) -> None:
        import psutil

        port = ctx.port("CONNECT_PORT")
        listeners = [
            c.laddr.ip
            for c in psutil.net_connections("inet")
            if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
        ]
        assert listeners and all(_is_loopback(ip) for ip in listeners)
