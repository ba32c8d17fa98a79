"""Shared fixtures: the running platform's context, its TLS trust, and a Chromium that maps the
public host names to 127.0.0.1 as a person's /etc/hosts would."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from bookstore import netutil
from bookstore.components import Context
from bookstore.config import PUBLIC_HOSTS
from bookstore.platform import build_context
from tests import target

CHROMIUM = os.environ.get("BOOKSTORE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def ctx() -> Context:
    return build_context(write_secrets=False)


@pytest.fixture(scope="session")
def deployment(ctx: Context) -> target.Target:
    """The deployment under test: the local platform unless BOOKSTORE_TARGET says otherwise (tests/target.py)."""
    return target.current(ctx)


@pytest.fixture(scope="session")
def gateway_port(deployment: target.Target) -> int:
    return deployment.gateway_port


@pytest.fixture(scope="session")
def ca_file(deployment: target.Target) -> str:
    return str(deployment.ca_file)


@pytest.fixture
def public_dns() -> Iterator[None]:
    """Resolve myecom.net, api.service.net and idp.keycloak.net to the local gateway."""
    with netutil.resolve_locally(PUBLIC_HOSTS):
        yield


def _gateway_spki_hash(ctx: Context) -> str:
    cert = x509.load_pem_x509_certificate((ctx.paths.tls / "gateway.pem").read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture(scope="session")
def browser_type_launch_args(ctx: Context, browser_type_launch_args: dict) -> dict:
    """Debian's Chromium; our gateway certificate is trusted by its key (and nothing else is)."""
    rules = ",".join(f"MAP {h} 127.0.0.1" for h in PUBLIC_HOSTS)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--host-resolver-rules={rules}",
            f"--ignore-certificate-errors-spki-list={_gateway_spki_hash(ctx)}",
        ],
    }
