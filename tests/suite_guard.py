"""A pytest plugin for `make test`: no suite may silently shrink or empty.

`-p tests.suite_guard --min-tests DIR=N` (repeatable): the run stops at collection, before any test runs,
when fewer than N tests were collected under DIR; the count per DIR is printed in the summary either way.
One pytest call may hold several suites (tests/ holds unit, platform and e2e), so each is counted apart:
pytest's own empty-run exit code (5) only notices when the whole call is empty."""

from __future__ import annotations

from pathlib import Path

import pytest

_COUNTS = pytest.StashKey[list[tuple[str, int, int]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--min-tests",
        action="append",
        default=[],
        metavar="DIR=N",
        help="fail at collection when fewer than N tests are collected under DIR (repeatable)",
    )


def _floors(config: pytest.Config) -> list[tuple[str, Path, int]]:
    floors = []
    for spec in config.getoption("min_tests"):
        folder, _, minimum = spec.rpartition("=")
        if not folder or not minimum.isdigit():
            raise pytest.UsageError(f"--min-tests takes DIR=N, not {spec!r}")
        floors.append((folder, Path(folder).resolve(), int(minimum)))
    return floors


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    floors = _floors(session.config)
    if not floors:
        return
    counts = [
        (folder, sum(1 for item in session.items if item.path.is_relative_to(path)), minimum)
        for folder, path, minimum in floors
    ]
    session.config.stash[_COUNTS] = counts
    short = [
        f"{folder} collected {count} tests, fewer than {minimum}"
        for folder, count, minimum in counts
        if count < minimum
    ]
    if short:
        raise pytest.UsageError(
            "suite guard: " + "; ".join(short) + " (a suite emptied or lost tests; if tests were removed on "
            "purpose, lower its floor in scripts/test.sh)"
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    counts = config.stash.get(_COUNTS, None)
    if not counts:
        return
    terminalreporter.write_sep("-", "tests collected per suite")
    for folder, count, minimum in counts:
        verdict = "ok" if count >= minimum else "TOO FEW"
        terminalreporter.write_line(f"{folder}: {count} collected (at least {minimum}) {verdict}")
