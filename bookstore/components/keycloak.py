"""Keycloak: the identity provider, with the bookstore realm imported from deploy/local/keycloak."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bookstore.components.base import IDLE_HEAP_RETURN, Component, Context
from bookstore.components.notifier import smtp

KEYCLOAK_VERSION = "26.5.4"
BUILD_OPTIONS = ("--db=postgres", "--health-enabled=true", "--metrics-enabled=true")


def keycloak_home(ctx: Context) -> Path:
    return ctx.paths.jvm / f"keycloak-{KEYCLOAK_VERSION}"


def keycloak_build(ctx: Context) -> None:
    """`kc.sh build` once per set of build options (stamped in the distribution)."""
    home = keycloak_home(ctx)
    stamp = home / "data" / ".bookstore-build"
    wanted = " ".join(BUILD_OPTIONS)
    if stamp.exists() and stamp.read_text() == wanted:
        return
    env = {**os.environ, "JAVA_HOME": ctx.java_home, "JAVA_OPTS_KC_HEAP": "-Xmx512m"}
    result = subprocess.run(
        [str(home / "bin" / "kc.sh"), "build", *BUILD_OPTIONS],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"kc.sh build failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(wanted)


REALM_SECRETS = (
    "BOOKSTORE_CUSTOMER_USER",
    "BOOKSTORE_CUSTOMER_PASSWORD",
    "BOOKSTORE_ADMIN_USER",
    "BOOKSTORE_ADMIN_PASSWORD",
    "BOOKSTORE_ANALYST_USER",
    "BOOKSTORE_ANALYST_PASSWORD",
    "ECOM_SERVICE_CLIENT_SECRET",
    "INVENTORY_SERVICE_CLIENT_SECRET",
    "SUPERSET_OIDC_CLIENT_SECRET",
)
_PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)\}")


def realm_values(ctx: Context) -> dict[str, str]:
    """What the realm file's ${PLACEHOLDERS} stand for."""
    relay = smtp(ctx)
    return {
        "BOOKSTORE_PUBLIC_UI_URL": f"https://myecom.net:{ctx.port('GATEWAY_PORT')}",
        "SUPERSET_PUBLIC_URL": f"http://localhost:{ctx.port('SUPERSET_PORT')}",
        # The realm's mail (verification, password reset): the same relay as the notifier.
        "BOOKSTORE_SMTP_HOST": relay["host"],
        "BOOKSTORE_SMTP_PORT": relay["port"],
        "BOOKSTORE_SMTP_FROM": relay["from"],
        "BOOKSTORE_SMTP_STARTTLS": str(relay["tls"] == "starttls").lower(),
        "BOOKSTORE_SMTP_SSL": str(relay["tls"] == "tls").lower(),
        "BOOKSTORE_SMTP_AUTH": str(bool(relay["user"])).lower(),
        "BOOKSTORE_SMTP_USER": relay["user"],
        "BOOKSTORE_SMTP_PASSWORD": relay["password"],
        **{k: ctx.env[k] for k in REALM_SECRETS},
    }


def _realm_file(ctx: Context) -> dict[str, Any]:
    text = (ctx.paths.deploy / "keycloak" / "realm-bookstore.json").read_text()
    values = realm_values(ctx)
    realm: dict[str, Any] = json.loads(_PLACEHOLDER.sub(lambda m: json.dumps(values[m.group(1)])[1:-1], text))
    return realm


# Realm-level settings the realm file sets that a partial import cannot change on an existing realm.
REALM_SETTINGS = ("registrationAllowed", "verifyEmail", "resetPasswordAllowed", "passwordPolicy", "smtpServer")


def apply_realm_settings(ctx: Context, comp: Keycloak) -> list[str]:
    """Brings an existing realm's REALM_SETTINGS and default groups to the realm file's (admin API; a no-op when
    they already match). Returns what changed."""
    wanted = _realm_file(ctx)
    base = f"http://127.0.0.1:{ctx.port(comp.port_var)}/admin/realms/{wanted['realm']}"
    with httpx.Client(headers={"Authorization": f"Bearer {admin_token(ctx, comp)}"}, timeout=30) as admin:
        current = admin.get(base).raise_for_status().json()
        changed = [k for k in REALM_SETTINGS if not _same(k, current.get(k), wanted[k])]
        if changed:
            admin.put(base, json={k: wanted[k] for k in changed}).raise_for_status()
        defaults = {g["path"] for g in admin.get(f"{base}/default-groups").raise_for_status().json()}
        for path in set(wanted.get("defaultGroups", [])) - defaults:
            group = admin.get(f"{base}/group-by-path/{path.lstrip('/')}").raise_for_status().json()
            admin.put(f"{base}/default-groups/{group['id']}").raise_for_status()
            changed.append(f"default group {path}")
    return changed


def _same(key: str, current: Any, wanted: Any) -> bool:
    if key == "smtpServer" and isinstance(current, dict):
        # Keycloak masks a stored SMTP password: compare everything else, and the password only when unset.
        current = {k: v for k, v in current.items() if k != "password" or v != "**********"}
        wanted = {k: v for k, v in wanted.items() if v != "" and (k != "password" or "password" not in current)}
        return {k: v for k, v in current.items() if v != ""} == wanted
    return bool(current == wanted)


def admin_token(ctx: Context, comp: Keycloak) -> str:
    response = httpx.post(
        f"http://127.0.0.1:{ctx.port(comp.port_var)}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": ctx.env["KEYCLOAK_ADMIN_USER"],
            "password": ctx.env["KEYCLOAK_ADMIN_PASSWORD"],
        },
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def add_missing_realm_parts(ctx: Context, comp: Keycloak) -> list[str]:
    """`--import-realm` skips a realm that exists: roles, groups, users and clients added to the realm file since are
    created by a partial import that skips whatever exists (nothing there is overwritten). Returns what was
    added ("client superset", ...)."""
    realm = _realm_file(ctx)
    parts = {k: realm[k] for k in ("roles", "groups", "users", "clients") if k in realm}
    response = httpx.post(
        f"http://127.0.0.1:{ctx.port(comp.port_var)}/admin/realms/{realm['realm']}/partialImport",
        headers={"Authorization": f"Bearer {admin_token(ctx, comp)}"},
        json={"ifResourceExists": "SKIP", **parts},
        timeout=30,
    )
    if response.status_code != 200:
        raise RuntimeError(f"adding new realm parts failed: {response.status_code} {response.text[:500]}")
    return [
        f"{r['resourceType'].lower()} {r['resourceName']}"
        for r in response.json().get("results", [])
        if r.get("action") == "ADDED"
    ]


@dataclass
class Keycloak(Component):
    ready_timeout: float = 240.0

    def public_url(self, ctx: Context) -> str:
        return f"https://idp.keycloak.net:{ctx.port('GATEWAY_PORT')}"

    def provision(self, ctx: Context) -> None:
        keycloak_build(ctx)

    def prepare(self, ctx: Context) -> None:
        keycloak_build(ctx)
        import_dir = keycloak_home(ctx) / "data" / "import"
        import_dir.mkdir(parents=True, exist_ok=True)
        # The realm file holds ${PLACEHOLDERS}, never secrets; Keycloak resolves them from our environment.
        for stale in import_dir.glob("*.json"):
            stale.unlink()
        shutil.copy(ctx.paths.deploy / "keycloak" / "realm-bookstore.json", import_dir / "realm-bookstore.json")

    def command(self, ctx: Context) -> list[str]:
        return [str(keycloak_home(ctx) / "bin" / "kc.sh"), "start", "--optimized", "--import-realm"]

    def environment(self, ctx: Context) -> dict[str, str]:
        env = ctx.env
        return {
            "JAVA_HOME": ctx.java_home,
            "JAVA_OPTS_KC_HEAP": " ".join(("-Xms128m -Xmx512m -XX:MaxMetaspaceSize=256m", *IDLE_HEAP_RETURN)),
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
            # A single node: local caches, no Infinispan cluster. In Keycloak 26 `cache` is a runtime option
            # (a `kc.sh build --cache=local` is ignored), and clustered mode opens JGroups ports (7800,
            # 57800) on the machine's network address.
            "KC_CACHE": "local",
            # Values the realm file's placeholders refer to.
            **realm_values(ctx),
        }

    def after_ready(self, ctx: Context) -> None:
        add_missing_realm_parts(ctx, self)
        apply_realm_settings(ctx, self)

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
