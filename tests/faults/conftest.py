"""Counts the fault tests and what they survived, printed at the end of the run (issue 6)."""

from __future__ import annotations

from typing import Any

import pytest

_outcomes: dict[str, str] = {}
_details: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "tests/faults/" not in report.nodeid.replace("\\", "/"):
        return
    if report.when == "call" or report.outcome != "passed":
        _outcomes[report.nodeid] = report.outcome
        for key, value in report.user_properties:
            if key == "fault_summary":
                _details.append(str(value))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _outcomes:
        return
    passed = sum(1 for o in _outcomes.values() if o == "passed")
    failed = sum(1 for o in _outcomes.values() if o == "failed")
    skipped = sum(1 for o in _outcomes.values() if o == "skipped")
    terminalreporter.write_sep("-", "faults")
    terminalreporter.write_line(
        f"fault tests: {passed} survived, {failed} failed, {skipped} skipped — of {len(_outcomes)}"
    )
    for line in _details:
        terminalreporter.write_line(line)
