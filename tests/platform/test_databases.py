"""The four PostgreSQL instances: own credentials only, logical WAL where CDC reads."""

from __future__ import annotations

import psycopg
import pytest

from bookstore.components import DATABASES, Context

INSTANCES = list(DATABASES.items())


def _dsn(ctx: Context, instance_db: str, creds_db: str) -> str:
    up_i, up_c = instance_db.upper(), creds_db.upper()
    return (
        f"host=127.0.0.1 port={ctx.port(f'{up_i}_DB_PORT')} dbname={instance_db} "
        f"user={ctx.env[f'{up_c}_DB_USER']} password={ctx.env[f'{up_c}_DB_PASSWORD']} connect_timeout=5"
    )


class TestDatabases:
    @pytest.mark.parametrize(("name", "db"), INSTANCES)
    def test_instance_accepts_its_own_credentials(self, ctx: Context, name: str, db: str) -> None:
        with psycopg.connect(_dsn(ctx, db, db)) as conn:
            row = conn.execute("select current_user, current_database()").fetchone()
        assert row is not None
        user, current_db = row
        assert (user, current_db) == (ctx.env[f"{db.upper()}_DB_USER"], db)

    @pytest.mark.parametrize(("name", "db"), INSTANCES)
    def test_instance_refuses_another_instances_credentials(self, ctx: Context, name: str, db: str) -> None:
        others = [other for other in DATABASES.values() if other != db]
        for other in others:
            with pytest.raises(psycopg.OperationalError, match="authentication failed"):
                psycopg.connect(_dsn(ctx, db, other).replace(f"dbname={db}", f"dbname={other}"))

    @pytest.mark.parametrize(("name", "db"), INSTANCES)
    def test_database_url_in_secrets_connects(self, ctx: Context, name: str, db: str) -> None:
        with psycopg.connect(ctx.env[f"{db.upper()}_DATABASE_URL"], connect_timeout=5) as conn:
            assert conn.execute("select current_database()").fetchone() == (db,)

    @pytest.mark.parametrize("db", ["ecom", "inventory", "keycloak"])
    def test_cdc_sources_use_logical_wal_with_bounded_slot_retention(self, ctx: Context, db: str) -> None:
        with psycopg.connect(_dsn(ctx, db, db)) as conn:
            assert conn.execute("show wal_level").fetchone() == ("logical",)
            row = conn.execute("show max_slot_wal_keep_size").fetchone()
        assert row is not None
        (keep,) = row
        assert keep not in ("-1", "")

    @pytest.mark.parametrize("db", ["analytics"])
    def test_other_instances_do_not_pay_for_logical_wal(self, ctx: Context, db: str) -> None:
        with psycopg.connect(_dsn(ctx, db, db)) as conn:
            assert conn.execute("show wal_level").fetchone() == ("replica",)

    @pytest.mark.parametrize("db", ["ecom", "inventory", "keycloak"])
    def test_cdc_role_may_replicate_but_not_write(self, ctx: Context, db: str) -> None:
        dsn = (
            f"host=127.0.0.1 port={ctx.port(f'{db.upper()}_DB_PORT')} dbname={db} user=debezium "
            f"password={ctx.env[f'{db.upper()}_CDC_PASSWORD']} connect_timeout=5"
        )
        with psycopg.connect(dsn) as conn:
            assert conn.execute("select rolreplication from pg_roles where rolname = current_user").fetchone() == (
                True,
            )
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("create table cdc_must_not_write (id int)")

    def test_cdc_role_reads_keycloaks_user_table_but_no_credentials(self, ctx: Context) -> None:
        dsn = (
            f"host=127.0.0.1 port={ctx.port('KEYCLOAK_DB_PORT')} dbname=keycloak user=debezium "
            f"password={ctx.env['KEYCLOAK_CDC_PASSWORD']} connect_timeout=5"
        )
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute("select count(*) from user_entity").fetchone() != (0,)
            for table in ("credential", "user_attribute", "client"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f"select * from {table} limit 1")  # noqa: S608 - fixed names

    def test_instances_are_separate_servers(self, ctx: Context) -> None:
        ids = set()
        for db in DATABASES.values():
            with psycopg.connect(_dsn(ctx, db, db)) as conn:
                row = conn.execute("select system_identifier from pg_control_system()").fetchone()
                assert row is not None
                ids.add(row[0])
        assert len(ids) == len(DATABASES)
