"""The notification worker (services/notifier): order.created and order.cancelled -> emails over SMTP.

It sends through the local mail server unless `BOOKSTORE_SMTP_*` name another relay (`BOOKSTORE_SMTP_HOST=relay
BOOKSTORE_SMTP_TLS=starttls make up`); sent event ids live in Redis database 3 (ecom 0, inventory 1, Superset 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from bookstore.components.base import Component, Context

REDIS_DB = 3
# Settings a person may point at a real relay (recorded per `make up`, like the services' tunables).
SMTP_SETTINGS = (
    "BOOKSTORE_SMTP_HOST",
    "BOOKSTORE_SMTP_PORT",
    "BOOKSTORE_SMTP_TLS",
    "BOOKSTORE_SMTP_USER",
    "BOOKSTORE_SMTP_PASSWORD",
    "BOOKSTORE_SMTP_FROM",
)


def smtp(ctx: Context) -> dict[str, str]:
    """The relay everything that sends mail uses (the notifier, Keycloak): the local mail server by default."""
    env = ctx.env
    return {
        "host": env.get("BOOKSTORE_SMTP_HOST", "127.0.0.1"),
        "port": env.get("BOOKSTORE_SMTP_PORT", str(ctx.port("MAILPIT_SMTP_PORT"))),
        "tls": env.get("BOOKSTORE_SMTP_TLS", "none"),
        "user": env.get("BOOKSTORE_SMTP_USER", ""),
        "password": env.get("BOOKSTORE_SMTP_PASSWORD", ""),
        "from": env.get("BOOKSTORE_SMTP_FROM", "orders@myecom.net"),
    }


@dataclass
class Notifier(Component):
    def base_url(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{ctx.port(self.port_var)}/notifier"

    def command(self, ctx: Context) -> list[str]:
        return [str(ctx.venv_bin / "notifier-service")]

    def code_dirs(self, ctx: Context) -> list[Path]:
        services = ctx.paths.root / "services"  # installed editable: the checkout is what runs
        return [services / "notifier" / "src", services / "common" / "src"]

    def environment(self, ctx: Context) -> dict[str, str]:
        relay = smtp(ctx)
        return {
            "NOTIFIER_KAFKA_BOOTSTRAP": f"127.0.0.1:{ctx.port('KAFKA_PORT')}",
            "NOTIFIER_REDIS_URL": f"redis://:{ctx.env['REDIS_PASSWORD']}@127.0.0.1:{ctx.port('REDIS_PORT')}/{REDIS_DB}",
            "NOTIFIER_SMTP_HOST": relay["host"],
            "NOTIFIER_SMTP_PORT": relay["port"],
            "NOTIFIER_SMTP_TLS": relay["tls"],
            "NOTIFIER_SMTP_USERNAME": relay["user"],
            "NOTIFIER_SMTP_PASSWORD": relay["password"],
            "NOTIFIER_MAIL_FROM": f"Bookstore <{relay['from']}>",
            "NOTIFIER_SHOP_URL": f"https://myecom.net:{ctx.port('GATEWAY_PORT')}",
            "NOTIFIER_HOST": "127.0.0.1",
            "NOTIFIER_PORT": str(ctx.port(self.port_var)),
        }

    def is_ready(self, ctx: Context) -> bool:
        try:
            return httpx.get(f"{self.base_url(ctx)}/health/ready", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [("notifier", f"{self.base_url(ctx)}/health/ready  (metrics: {self.base_url(ctx)}/metrics)")]
