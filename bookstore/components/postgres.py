"""PostgreSQL: one instance per database, its owner role, a test twin, and Debezium's replication role."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from bookstore.components.base import Component, Context, chown

CDC_USER = "debezium"


def _id(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def ensure_role(conn: psycopg.Connection, name: str, password: str, *options: str) -> None:
    """Create the login role, or bring its password (maybe overridden since) up to date."""
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone()
    conn.execute(
        sql.SQL("{} role {} with login {} password {}").format(
            sql.SQL("alter" if exists else "create"),
            _id(name),
            sql.SQL(" ".join(options)),
            sql.Literal(password),
        )
    )


def ensure_database(conn: psycopg.Connection, name: str, owner: str) -> None:
    if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
        conn.execute(sql.SQL("create database {} owner {}").format(_id(name), _id(owner)))


def postgres_bin(name: str) -> str:
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / name).exists():
            return str(d / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} not found: install the 'postgresql' package")
    return found


@dataclass
class Postgres(Component):
    db: str = ""
    logical: bool = False
    test_twin: bool = False
    cdc_reads_all: bool = False  # with `logical`: Debezium's role may read every table of `public`
    run_as_service_user: bool = True
    # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") would wait for every client to leave.
    stop_signal: str = "INT"

    @property
    def prefix(self) -> str:
        return self.db.upper()

    def datadir(self, ctx: Context) -> Path:
        return ctx.paths.data / self.name

    def prepare(self, ctx: Context) -> None:
        datadir = self.datadir(ctx)
        if (datadir / "PG_VERSION").exists():
            return
        datadir.mkdir(parents=True, exist_ok=True)
        os.chmod(datadir, 0o700)
        chown(datadir, ctx.run_as)
        pwfile = ctx.paths.run / f"{self.name}.pw"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(ctx.env[f"{self.prefix}_DB_ADMIN_PASSWORD"] + "\n")
        chown(pwfile, ctx.run_as)
        cmd = [
            postgres_bin("initdb"),
            "-D",
            str(datadir),
            "-U",
            "postgres",
            f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256",
            "--auth-local=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ]
        if ctx.run_as:
            cmd = ["runuser", "-u", ctx.run_as, "--", *cmd]
        try:
            subprocess.run(cmd, check=True, capture_output=True, text=True)
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"initdb for {self.name} failed:\n{exc.stdout}{exc.stderr}") from exc
        finally:
            pwfile.unlink(missing_ok=True)

    def command(self, ctx: Context) -> list[str]:
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(ctx.port(self.port_var)),
            "unix_socket_directories": "",
            "max_connections": "200",
            "shared_buffers": "64MB",
            "log_destination": "stderr",
            "logging_collector": "off",
            "log_line_prefix": f"%m [{self.name}] %u@%d ",
            "password_encryption": "scram-sha-256",
        }
        if self.logical:
            # Logical decoding for Debezium; cap the WAL an idle replication slot may pin.
            settings |= {
                "wal_level": "logical",
                "max_wal_senders": "10",
                "max_replication_slots": "10",
                "max_slot_wal_keep_size": ctx.env.get("BOOKSTORE_MAX_SLOT_WAL_KEEP_SIZE", "2GB"),
            }
        cmd = [postgres_bin("postgres"), "-D", str(self.datadir(ctx))]
        for k, v in settings.items():
            cmd += ["-c", f"{k}={v}"]
        return cmd

    def admin_dsn(self, ctx: Context, dbname: str = "postgres") -> str:
        pw = ctx.env[f"{self.prefix}_DB_ADMIN_PASSWORD"]
        return f"host=127.0.0.1 port={ctx.port(self.port_var)} user=postgres password={pw} dbname={dbname}"

    def connect_admin(self, ctx: Context, dbname: str | None = None, timeout: int = 10) -> psycopg.Connection:
        """An autocommit superuser connection to this instance's own database (or `dbname`)."""
        return psycopg.connect(self.admin_dsn(ctx, dbname or self.db), autocommit=True, connect_timeout=timeout)

    def is_ready(self, ctx: Context) -> bool:
        try:
            with psycopg.connect(self.admin_dsn(ctx), connect_timeout=2) as conn:
                conn.execute("select 1")
            return True
        except psycopg.Error:
            return False

    def after_ready(self, ctx: Context) -> None:
        with psycopg.connect(self.admin_dsn(ctx), autocommit=True) as conn:
            owner = ctx.env[f"{self.prefix}_DB_USER"]
            ensure_role(conn, owner, ctx.env[f"{self.prefix}_DB_PASSWORD"])
            ensure_database(conn, self.db, owner)
            conn.execute(sql.SQL("revoke connect on database {} from public").format(_id(self.db)))
            conn.execute(sql.SQL("grant connect on database {} to {}").format(_id(self.db), _id(owner)))
            if self.test_twin:
                # A disposable twin for the owning service's integration tests.
                ensure_database(conn, f"{self.db}_test", owner)
            if not self.logical:
                return
            # Debezium's role: may stream changes and read (only read) what the owner creates.
            cdc = CDC_USER
            ensure_role(conn, cdc, ctx.env[f"{self.prefix}_CDC_PASSWORD"], "replication")
            conn.execute(sql.SQL("grant connect on database {} to {}").format(_id(self.db), _id(cdc)))
        if not self.cdc_reads_all:
            return
        with self.connect_admin(ctx) as conn:
            conn.execute(sql.SQL("grant usage on schema public to {}").format(_id(cdc)))
            conn.execute(sql.SQL("grant select on all tables in schema public to {}").format(_id(cdc)))
            conn.execute(
                sql.SQL("alter default privileges for role {} in schema public grant select on tables to {}").format(
                    _id(owner), _id(cdc)
                )
            )

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [
            (
                self.name,
                f"postgresql://127.0.0.1:{ctx.port(self.port_var)}/{self.db}  (${self.prefix}_DATABASE_URL)",
            )
        ]
