"""Which bound addresses count as loopback, and how a listener is shown."""

from __future__ import annotations

import pytest

from bookstore.sockets import Listener


class TestLoopback:
    @pytest.mark.parametrize("address", ["127.0.0.1", "127.0.1.1", "::1", "::ffff:127.0.0.1"])
    def test_loopback_addresses(self, address: str) -> None:
        assert Listener("tcp", address, 80, 1).loopback

    @pytest.mark.parametrize(
        "address",
        ["0.0.0.0", "::", "192.0.2.2", "::ffff:192.0.2.2", "10.1.2.3", "fe80::1%eth0"],  # noqa: S104 - not bound
    )
    def test_every_interface_and_network_addresses_are_not(self, address: str) -> None:
        assert not Listener("udp", address, 57800, 1).loopback

    def test_shown_as_address_and_port_with_udp_marked(self) -> None:
        assert str(Listener("tcp", "::ffff:127.0.0.1", 18080, 1)) == "127.0.0.1:18080"
        assert str(Listener("udp", "::", 57800, 1)) == "[::]:57800/udp"
