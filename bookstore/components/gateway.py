"""The nginx TLS gateway: the three public host names on one port, the storefront's files, the APIs."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from bookstore import netutil, tls
from bookstore.components.base import Component, Context, chown, render
from bookstore.config import PUBLIC_HOSTS


def ssl_context(ctx: Context) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ctx.paths.tls / "ca.pem"))


def _nginx() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


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
        tls.ensure(ctx.paths.tls, PUBLIC_HOSTS)
        temp = ctx.paths.run / "nginx" / "temp"
        temp.mkdir(parents=True, exist_ok=True)
        chown(temp, ctx.run_as)
        gw = ctx.port("GATEWAY_PORT")
        render(
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
        result = subprocess.run(
            [_nginx(), "-t", "-q", "-e", "stderr", "-c", str(self.conf(ctx))], capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"nginx configuration is invalid:\n{result.stderr}")

    def command(self, ctx: Context) -> list[str]:
        return [_nginx(), "-e", "stderr", "-c", str(self.conf(ctx)), "-g", "daemon off;"]

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
