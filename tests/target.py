"""Which deployment the platform tests talk to: the local platform (default) or a kind deployment.

Both publish the same host names (myecom.net, api.service.net, idp.keycloak.net) on 127.0.0.1; what differs is
the gateway's port and the CA that signed its certificate. The suite picks them from the environment:

    BOOKSTORE_TARGET=local (default)  the running `make up` platform: its GATEWAY_PORT and var/tls/ca.pem
    BOOKSTORE_TARGET=kind             deploy/kind/up.sh's cluster: port 30000 and the CA in BOOKSTORE_CA_FILE
    BOOKSTORE_GATEWAY_PORT            overrides the port for either target
    BOOKSTORE_CA_FILE                 overrides the CA for either target (required for kind)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bookstore.components import Context

TARGETS = ("local", "kind")
KIND_GATEWAY_PORT = 30000
KIND_CA_HINT = (
    "Export it with: kubectl --context kind-bookstore -n gateway get secret bookstore-ca "
    "-o jsonpath='{.data.ca\\.crt}' | base64 -d > /tmp/bookstore-kind-ca.pem; "
    "export BOOKSTORE_CA_FILE=/tmp/bookstore-kind-ca.pem"
)


@dataclass(frozen=True)
class Target:
    name: str
    gateway_port: int
    ca_file: Path

    def origin(self, host: str) -> str:
        """https://<host>:<gateway port>: where a browser reaches that host name."""
        return f"https://{host}:{self.gateway_port}"

    @property
    def realm(self) -> str:
        """The bookstore realm's issuer URL (the same string the services check `iss` against)."""
        return f"{self.origin('idp.keycloak.net')}/realms/bookstore"


def select(env: Mapping[str, str], *, local_port: int, local_ca: Path) -> Target:
    """The target the environment names; without any BOOKSTORE_* variable, the local platform exactly as before."""
    name = env.get("BOOKSTORE_TARGET", "local").strip().lower() or "local"
    if name not in TARGETS:
        raise ValueError(f"BOOKSTORE_TARGET={name!r}: expected one of {', '.join(TARGETS)}")
    port_text = env.get("BOOKSTORE_GATEWAY_PORT", "").strip()
    ca_text = env.get("BOOKSTORE_CA_FILE", "").strip()
    if name == "local":
        port, ca = local_port, local_ca
    else:
        if not ca_text:
            raise ValueError(
                f"BOOKSTORE_TARGET=kind needs BOOKSTORE_CA_FILE (the cluster's gateway CA). {KIND_CA_HINT}"
            )
        port, ca = KIND_GATEWAY_PORT, Path(ca_text)
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"BOOKSTORE_GATEWAY_PORT={port_text!r} is not a TCP port")
        port = int(port_text)
    if ca_text:
        ca = Path(ca_text)
    return Target(name=name, gateway_port=port, ca_file=ca)


def current(ctx: Context) -> Target:
    """The target for this run, given the local platform's context (its port and CA are the default)."""
    return select(os.environ, local_port=ctx.port("GATEWAY_PORT"), local_ca=ctx.paths.tls / "ca.pem")
