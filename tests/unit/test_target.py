"""Which deployment the platform tests address (tests/target.py): local by default, kind by BOOKSTORE_TARGET."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.target import Target, select

LOCAL_CA = Path("/repo/var/tls/ca.pem")


def pick(**env: str) -> Target:
    return select(env, local_port=31443, local_ca=LOCAL_CA)


class TestDefault:
    def test_without_variables_the_local_platform_is_addressed_as_before(self) -> None:
        chosen = pick()
        assert (chosen.name, chosen.gateway_port, chosen.ca_file) == ("local", 31443, LOCAL_CA)
        assert chosen.origin("api.service.net") == "https://api.service.net:31443"
        assert chosen.realm == "https://idp.keycloak.net:31443/realms/bookstore"

    def test_an_empty_target_means_local(self) -> None:
        assert pick(BOOKSTORE_TARGET="").name == "local"


class TestKind:
    def test_kind_uses_nodeport_30000_and_the_cluster_ca(self) -> None:
        chosen = pick(BOOKSTORE_TARGET="kind", BOOKSTORE_CA_FILE="/home/me/kind-ca.pem")
        assert (chosen.name, chosen.gateway_port, chosen.ca_file) == ("kind", 30000, Path("/home/me/kind-ca.pem"))
        assert chosen.origin("myecom.net") == "https://myecom.net:30000"
        assert chosen.realm == "https://idp.keycloak.net:30000/realms/bookstore"

    def test_kind_without_its_ca_is_refused_with_how_to_get_it(self) -> None:
        with pytest.raises(ValueError, match="BOOKSTORE_CA_FILE.*bookstore-ca"):
            pick(BOOKSTORE_TARGET="kind")

    def test_target_name_is_case_insensitive(self) -> None:
        assert pick(BOOKSTORE_TARGET="KIND", BOOKSTORE_CA_FILE="/ca.pem").name == "kind"


class TestOverrides:
    def test_port_and_ca_override_either_target(self) -> None:
        local = pick(BOOKSTORE_GATEWAY_PORT="8443", BOOKSTORE_CA_FILE="/other/ca.pem")
        assert (local.gateway_port, local.ca_file) == (8443, Path("/other/ca.pem"))
        kind = pick(BOOKSTORE_TARGET="kind", BOOKSTORE_CA_FILE="/ca.pem", BOOKSTORE_GATEWAY_PORT="31000")
        assert kind.origin("api.service.net") == "https://api.service.net:31000"

    @pytest.mark.parametrize("port", ["0", "65536", "abc", "-1"])
    def test_a_port_that_is_not_a_port_is_refused(self, port: str) -> None:
        with pytest.raises(ValueError, match="BOOKSTORE_GATEWAY_PORT"):
            pick(BOOKSTORE_GATEWAY_PORT=port)

    def test_an_unknown_target_is_refused(self) -> None:
        with pytest.raises(ValueError, match="expected one of local, kind"):
            pick(BOOKSTORE_TARGET="staging")
