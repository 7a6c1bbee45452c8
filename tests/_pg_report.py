"""PostgreSQL coverage of a run: how many tests ran on the server, how many were skipped for
want of it. A run can pass with every PostgreSQL test skipped; this line says so.

A test ran on PostgreSQL when it opened a connection to a PostgreSQL server (any engine,
during its setup or call) or asked for the server by its fixtures (`pg_url`, a
`postgresql` parameter). It was skipped for want of one when its skip reason names
`QBANK_TEST_PG_URL` (see `conftest.pg_schema_url`). Works under xdist: the mark travels
with each report as a user property. With `QBANK_PG_SUMMARY=FILE` the line is also written
to FILE, for `.ci/run` to print last.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, event

PG_URL_VAR = "QBANK_TEST_PG_URL"
_PROPERTY = "ran_on_postgresql"


class _Seen:
    """Whether the test now running has connected to PostgreSQL."""

    connected = False


@event.listens_for(Engine, "engine_connect")
def _on_connect(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        _Seen.connected = True


def _asks_for_postgresql(item: pytest.Item) -> bool:
    if "pg_url" in getattr(item, "fixturenames", ()):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and any(
        v in ("postgresql", "pg_url") for v in callspec.params.values()
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    _Seen.connected = False
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when != "teardown" and (_Seen.connected or _asks_for_postgresql(item)):
        report.user_properties.append((_PROPERTY, True))
    return report


class _Counts:
    def __init__(self) -> None:
        self.ran: set[str] = set()
        self.skipped: set[str] = set()

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped:
            if PG_URL_VAR in _reason(report):
                self.skipped.add(report.nodeid)
        elif report.when == "call" and (_PROPERTY, True) in report.user_properties:
            self.ran.add(report.nodeid)

    def line(self) -> str:
        configured = "set" if os.environ.get(PG_URL_VAR) else "not set"
        return (
            f"PostgreSQL coverage: {len(self.ran)} tests ran on PostgreSQL, "
            f"{len(self.skipped)} skipped for want of it ({PG_URL_VAR} {configured})"
        )

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        line = self.line()
        terminalreporter.write_line(line)
        target = os.environ.get("QBANK_PG_SUMMARY")
        if target:
            Path(target).write_text(line + "\n", encoding="utf-8")


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # (file, line, "Skipped: reason")
        return str(longrepr[2])
    return str(longrepr)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the counting happens where reports arrive
        config.pluginmanager.register(_Counts(), "pg_report_counts")
