"""The committed connector templates render to the configurations the CDC design asks for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bookstore import cdc, star
from bookstore.components import Context
from bookstore.config import DEFAULT_PORTS, Paths

BY_SCHEMA = {s.schema: s for s in cdc.SOURCES}


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    paths = Paths(root=Path(__file__).resolve().parents[2], var=tmp_path / "var", cache=tmp_path / "cache")
    env = {k: str(v) for k, v in DEFAULT_PORTS.items()} | {"ANALYTICS_DB_USER": "analytics"}
    return Context(paths=paths, env=env, run_as=None)


class TestSources:
    def test_service_databases_capture_every_table_but_outbox_and_migrations(self, ctx: Context) -> None:
        config = cdc.source_config(ctx, BY_SCHEMA["ecom"])
        assert config["table.exclude.list"] == "public.outbox,public.alembic_version"
        assert "table.include.list" not in config and "column.include.list" not in config
        assert config["slot.name"] == config["publication.name"] == "cdc_ecom"
        assert config["topic.prefix"] == "cdc.ecom"
        assert config["decimal.handling.mode"] == "precise"  # money stays exact in the mirrors

    def test_keycloak_captures_the_user_table_with_an_allow_list_of_columns(self, ctx: Context) -> None:
        config = cdc.source_config(ctx, BY_SCHEMA["identity"])
        assert config["table.include.list"] == "public.user_entity,public.cdc_heartbeat"
        allowed = str(config["column.include.list"]).split(",")
        assert all(re.fullmatch(allowed[0], f"public.user_entity.{c}") for c in ("id", "username", "enabled"))
        for secret in ("email", "first_name", "not_before", "federation_link"):
            assert not any(re.fullmatch(p, f"public.user_entity.{secret}") for p in allowed), secret

    def test_passwords_are_references_never_values(self, ctx: Context) -> None:
        for src in cdc.SOURCES:
            assert cdc.source_config(ctx, src)["database.password"] == f"${{env:{src.db().prefix}_CDC_PASSWORD}}"
            assert cdc.sink_config(ctx, src)["connection.password"] == "${env:ANALYTICS_DB_PASSWORD}"


class TestMirrorSinks:
    @pytest.mark.parametrize("schema", list(BY_SCHEMA))
    def test_upserts_deletes_and_new_columns_into_the_sources_schema(self, ctx: Context, schema: str) -> None:
        config = cdc.sink_config(ctx, BY_SCHEMA[schema])
        assert config["insert.mode"] == "upsert"
        assert config["delete.enabled"] == "true" and config["primary.key.mode"] == "record_key"
        assert config["schema.evolution"] == "basic"
        assert config["collection.name.format"] == f"{schema}.${{source.table}}"
        assert re.fullmatch(str(config["topics.regex"]), f"cdc.{schema}.public.book")
        assert not re.fullmatch(str(config["topics.regex"]), f"__debezium-heartbeat.cdc.{schema}")

    def test_the_sinks_metadata_reads_are_prepared_once_per_connection(self, ctx: Context) -> None:
        # The sink re-reads every table's metadata for every batch; pgjdbc sends those catalog queries as one-shot
        # statements, planned each time, unless it caches every statement (analytics/README.md).
        url = str(cdc.sink_config(ctx, BY_SCHEMA["ecom"])["connection.url"])
        parameters = dict(p.split("=", 1) for p in url.partition("?")[2].split("&"))
        assert parameters["preferQueryMode"] == "extendedCacheEverything"

    def test_bad_records_go_to_the_dead_letter_topic_with_the_error(self, ctx: Context) -> None:
        config = cdc.sink_config(ctx, BY_SCHEMA["ecom"])
        assert config["errors.tolerance"] == "all"
        assert config["errors.deadletterqueue.topic.name"] == cdc.DLQ_TOPIC
        assert config["errors.deadletterqueue.context.headers.enable"] == "true"


class TestFlinkFeed:
    @pytest.mark.parametrize("source", star.flink_sources(), ids=lambda s: s.schema)
    def test_the_feed_topics_keep_every_rows_latest_change(self, ctx: Context, source: cdc.Source) -> None:
        # A rebuilt star-schema job reads its topics from the start: compacted, they hold every row that exists.
        config = star.source_config(ctx, source)
        assert config["topic.creation.default.cleanup.policy"] == "compact"
        # `make up` also compacts exactly the topics this connector writes (topics made before it was set).
        included = {f"flink.{source.schema}.{t}" for t in str(config["table.include.list"]).split(",")}
        assert {t for t in star.feed_topics() if t.startswith(f"flink.{source.schema}.")} == included
