import pytest

from servicekit.auth.tokens import Principal
from servicekit.ratelimit import client_address, rate_limit_key


class TestClientAddress:
    def test_uses_the_address_our_gateway_appended(self) -> None:
        headers = {"x-forwarded-for": "203.0.113.9", "x-real-ip": "203.0.113.9"}
        assert client_address(headers, "127.0.0.1") == "203.0.113.9"

    def test_ignores_hops_the_client_made_up(self) -> None:
        headers = {"x-forwarded-for": "1.2.3.4, 10.9.9.9, 203.0.113.9"}
        assert client_address(headers, "127.0.0.1") == "203.0.113.9"

    def test_counts_back_one_entry_per_trusted_proxy(self) -> None:
        headers = {"x-forwarded-for": "1.2.3.4, 203.0.113.9, 10.0.0.2"}
        assert client_address(headers, "10.0.0.3", proxy_hops=2) == "203.0.113.9"
        assert client_address({"x-forwarded-for": "203.0.113.9"}, "10.0.0.3", proxy_hops=2) == "203.0.113.9"

    def test_falls_back_to_x_real_ip_then_the_peer(self) -> None:
        assert client_address({"x-real-ip": "198.51.100.7"}, "127.0.0.1") == "198.51.100.7"
        assert client_address({}, "192.0.2.1") == "192.0.2.1"
        assert client_address({}, None) == "unknown"

    def test_forwarding_headers_are_ignored_without_trusted_proxies(self) -> None:
        headers = {"x-forwarded-for": "203.0.113.9"}
        assert client_address(headers, "192.0.2.1", proxy_hops=0) == "192.0.2.1"


class TestRateLimitKey:
    def test_authenticated_callers_are_limited_by_subject(self) -> None:
        assert rate_limit_key(Principal(subject="abc"), "203.0.113.9") == "sub:abc"

    @pytest.mark.parametrize("address", ["203.0.113.9", "unknown"])
    def test_anonymous_callers_are_limited_by_address(self, address: str) -> None:
        assert rate_limit_key(None, address) == f"ip:{address}"
