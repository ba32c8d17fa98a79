"""The storefront renders API data as text: no raw-HTML escape hatch anywhere in its sources."""

from __future__ import annotations

from bookstore.config import ROOT

SOURCES = sorted((ROOT / "ui" / "src").rglob("*.ts*"))


def test_there_are_sources_to_check() -> None:
    assert len(SOURCES) > 20


def test_no_source_injects_html() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in SOURCES
        if any(marker in path.read_text() for marker in ("dangerouslySetInnerHTML", ".innerHTML", "insertAdjacentHTML"))
    ]
    assert offenders == []
