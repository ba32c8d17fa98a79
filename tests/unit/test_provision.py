"""Provisioning decisions that need no root and no network."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from bookstore import provision
from bookstore.cli import app


class TestMissingPrerequisites:
    def test_non_root_without_redis_gets_a_message_naming_the_package(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path
    ) -> None:
        # A PATH with none of the tools: every PATH-probed package is missing.
        monkeypatch.setenv("PATH", str(tmp_path))
        monkeypatch.setattr(provision.os, "geteuid", lambda: 1000)
        monkeypatch.setattr(provision.shutil, "which", lambda name, path=None: None)
        with pytest.raises(provision.PrerequisiteError) as err:
            provision.ensure_apt(console=None)  # type: ignore[arg-type]
        assert "redis-server" in str(err.value)
        assert "sudo apt-get install -y" in str(err.value)

    def test_cli_exits_non_zero_with_the_install_command(self, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
        monkeypatch.setenv("BOOKSTORE_VAR_DIR", str(tmp_path / "var"))
        monkeypatch.setattr(provision.os, "geteuid", lambda: 1000)
        real_which = provision.shutil.which
        monkeypatch.setattr(
            provision.shutil,
            "which",
            lambda name, path=None: None if name == "redis-server" else real_which(name, path=path),
        )
        result = CliRunner().invoke(app, ["provision"], env={"COLUMNS": "200"})
        assert result.exit_code == 1
        assert "missing system packages: redis-server" in result.output
        assert "sudo apt-get install -y redis-server" in result.output

    def test_nothing_missing_means_nothing_to_install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(provision, "APT_PACKAGES", {"present": lambda: True})
        assert provision.missing_packages() == []
        provision.ensure_apt(console=None)  # type: ignore[arg-type]  # returns before using the console


def test_probe_uses_sbin_for_daemons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    seen: dict[str, str | None] = {}
    monkeypatch.setattr(provision.shutil, "which", lambda name, path=None: seen.setdefault("path", path))
    provision._which("nginx")()
    assert "/usr/sbin" in (seen["path"] or "").split(os.pathsep)
