"""The TLS gateway: certificates from the local CA, routing per host name, security headers."""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from bookstore.components import Context

HOSTS = ["myecom.net", "api.service.net", "idp.keycloak.net"]


@pytest.fixture
def client(ca_file: str, public_dns: None) -> Iterator[httpx.Client]:
    with httpx.Client(verify=ssl.create_default_context(cafile=ca_file), timeout=10) as c:
        yield c


class TestTls:
    @pytest.mark.parametrize("host", HOSTS)
    def test_certificate_chain_validates_against_local_ca(self, ctx: Context, ca_file: str, host: str) -> None:
        context = ssl.create_default_context(cafile=ca_file)
        context.set_alpn_protocols(["h2", "http/1.1"])
        with (
            socket.create_connection(("127.0.0.1", ctx.port("GATEWAY_PORT")), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            cert = tls.getpeercert()
            assert cert is not None
            alt_names = cert.get("subjectAltName", ())
            assert isinstance(alt_names, tuple)
            names = [v for k, v in alt_names if k == "DNS"]
            assert host in names
            assert tls.selected_alpn_protocol() == "h2"

    def test_certificate_is_rejected_without_the_local_ca(self, ctx: Context) -> None:
        context = ssl.create_default_context()  # system trust store only
        with (
            socket.create_connection(("127.0.0.1", ctx.port("GATEWAY_PORT")), timeout=5) as raw,
            pytest.raises(ssl.SSLCertVerificationError),
        ):
            context.wrap_socket(raw, server_hostname="myecom.net")

    def test_unknown_host_name_gets_no_certificate(self, ctx: Context, ca_file: str) -> None:
        context = ssl.create_default_context(cafile=ca_file)
        with (
            socket.create_connection(("127.0.0.1", ctx.port("GATEWAY_PORT")), timeout=5) as raw,
            pytest.raises(ssl.SSLError),
        ):
            context.wrap_socket(raw, server_hostname="evil.example")


class TestHeadersAndRoutes:
    @pytest.mark.parametrize(
        "url",
        [
            "https://myecom.net:{port}/",
            "https://myecom.net:{port}/some/client/route",
            "https://api.service.net:{port}/nowhere",
            "https://api.service.net:{port}/ecom/health/live",
            "https://idp.keycloak.net:{port}/realms/bookstore/.well-known/openid-configuration",
        ],
    )
    def test_security_headers_on_every_response(self, client: httpx.Client, gateway_port: int, url: str) -> None:
        response = client.get(url.format(port=gateway_port))
        h = response.headers
        assert h["strict-transport-security"].startswith("max-age=")
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"]
        assert "server" not in h or "nginx/" not in h["server"]

    def test_ui_csp_forbids_inline_script_and_limits_connections(self, client: httpx.Client, gateway_port: int) -> None:
        csp = client.get(f"https://myecom.net:{gateway_port}/").headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives["script-src"] == "'self'"
        assert set(directives["connect-src"].split()) == {
            "'self'",
            f"https://api.service.net:{gateway_port}",
            f"https://idp.keycloak.net:{gateway_port}",
        }

    def test_storefront_serves_html_for_client_side_routes(self, client: httpx.Client, gateway_port: int) -> None:
        response = client.get(f"https://myecom.net:{gateway_port}/orders/123")
        assert response.status_code == 200 and "<html" in response.text.lower()
        assert response.http_version in ("HTTP/1.1", "HTTP/2")

    def test_unrouted_api_path_is_a_json_404(self, client: httpx.Client, gateway_port: int) -> None:
        response = client.get(f"https://api.service.net:{gateway_port}/internal/admin")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"

    @pytest.mark.parametrize(
        "path",
        [
            "/inven/reservations",
            "/inven/reservations/0b4f6d4e-9c1a-4f51-8d57-8f3c1d2b9a10",
            "/inven//reservations",
            "/inven/%72eservations",
            "/inven/metrics",
            "/ecom/metrics",
            "/inven/docs",
        ],
    )
    def test_internal_and_operator_paths_are_not_routed(
        self, client: httpx.Client, gateway_port: int, path: str
    ) -> None:
        for method in ("GET", "POST", "DELETE"):
            response = client.request(method, f"https://api.service.net:{gateway_port}{path}", json={})
            assert response.status_code == 404, (method, path)
            assert response.json()["error"] == "not_found"

    def test_oversized_request_body_is_refused(self, client: httpx.Client, gateway_port: int) -> None:
        response = client.post(f"https://api.service.net:{gateway_port}/ecom/cart", content=b"x" * (2 * 1024 * 1024))
        assert response.status_code == 413

    def test_keycloak_admin_console_is_not_published(self, client: httpx.Client, gateway_port: int) -> None:
        for path in ("/admin/", "/admin/master/console/", "/realms/master/.well-known/openid-configuration"):
            assert client.get(f"https://idp.keycloak.net:{gateway_port}{path}").status_code == 403

    def test_keycloak_admin_console_answers_on_loopback(self, ctx: Context) -> None:
        response = httpx.get(f"http://localhost:{ctx.port('KEYCLOAK_PORT')}/admin/master/console/", timeout=10)
        assert response.status_code == 200

    def test_keycloak_sees_forwarded_client_address(self, client: httpx.Client, gateway_port: int) -> None:
        # With X-Forwarded-* honoured, Keycloak builds https URLs on the public host name and port.
        config = client.get(
            f"https://idp.keycloak.net:{gateway_port}/realms/bookstore/.well-known/openid-configuration"
        ).json()
        assert config["authorization_endpoint"].startswith(f"https://idp.keycloak.net:{gateway_port}/")


class TestUpstreamKeepAlive:
    def test_the_gateway_drops_idle_service_connections_before_the_services_do(self, ctx: Context) -> None:
        """Otherwise a request sent on a kept-alive connection the service is closing at that moment is reset,
        and nginx does not retry a POST: the shopper gets a 503 (seen under the Locust mix)."""
        conf = (ctx.paths.run / "nginx" / "nginx.conf").read_text()
        upstreams = re.findall(r"upstream (\w+) \{(.*?)\}", conf, re.S)
        assert {name for name, _ in upstreams} >= {"ecom", "inventory"}
        service_timeout = uvicorn.Config(app="x").timeout_keep_alive  # the services run uvicorn's default
        for name, body in upstreams:
            found = re.search(r"keepalive_timeout (\d+)s;", body)
            assert found is not None, f"upstream {name} keeps nginx's 60 s default"
            assert int(found.group(1)) < service_timeout, name
