"""The local CA and the gateway certificate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509

from bookstore import tls

HOSTS = ("myecom.net", "api.service.net", "idp.keycloak.net")


def _load(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


class TestTls:
    def test_gateway_certificate_is_signed_by_the_ca_and_names_every_host(self, tmp_path: Path) -> None:
        tls.ensure(tmp_path, HOSTS)
        leaf, chained_ca = _load(tmp_path / "gateway.pem")
        (ca,) = _load(tmp_path / "ca.pem")
        assert chained_ca == ca
        leaf.verify_directly_issued_by(ca)
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName
        )
        assert set(HOSTS) <= set(names)
        assert leaf.not_valid_after_utc - dt.datetime.now(dt.UTC) <= dt.timedelta(days=398)

    def test_private_keys_are_private(self, tmp_path: Path) -> None:
        tls.ensure(tmp_path, HOSTS)
        assert (tmp_path / "ca.key").stat().st_mode & 0o077 == 0
        assert (tmp_path / "gateway.key").stat().st_mode & 0o077 == 0

    def test_rerun_keeps_the_ca_and_reissues_only_for_new_hosts(self, tmp_path: Path) -> None:
        tls.ensure(tmp_path, HOSTS)
        ca_before = (tmp_path / "ca.pem").read_bytes()
        leaf_before = (tmp_path / "gateway.pem").read_bytes()
        tls.ensure(tmp_path, HOSTS)
        assert (tmp_path / "gateway.pem").read_bytes() == leaf_before
        tls.ensure(tmp_path, (*HOSTS, "new.example"))
        assert (tmp_path / "ca.pem").read_bytes() == ca_before
        assert (tmp_path / "gateway.pem").read_bytes() != leaf_before
