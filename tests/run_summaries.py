"""What the end of a test run prints beside pytest's own summary: the hostile corpus's case count and what the
fault tests survived (issues 3 and 6).

Read from the test reports alone, which pytest-xdist sends to the controlling process: a hostile test's reports
carry its case names (``HOSTILE_CASE`` properties, put on each item when tests/hostile is collected) and a fault
test its summary line (``FAULT_SUMMARY``), so the count is the same in one process or several.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

HOSTILE_CASE = "hostile_case"
FAULT_SUMMARY = "fault_summary"
HOSTILE_FIXTURES = Path(__file__).parent / "hostile" / "fixtures"

_hostile: dict[str, list[str]] = {}
_faults: dict[str, str] = {}
_fault_lines: list[str] = []


def record(report: pytest.TestReport) -> None:
    """Take one report (every phase of a test; the call's outcome counts, or a setup or teardown that failed)."""
    if not (report.when == "call" or report.outcome != "passed"):
        return
    outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome
    for key, value in report.user_properties:
        if key == HOSTILE_CASE:
            _hostile.setdefault(str(value), []).append(outcome)
        elif key == FAULT_SUMMARY:
            _fault_lines.append(str(value))
    if "tests/faults/" in report.nodeid.replace("\\", "/"):
        _faults[report.nodeid] = report.outcome


def write(terminalreporter: Any) -> None:
    if _hostile:
        _write_hostile(terminalreporter)
    if _faults:
        _write_faults(terminalreporter)


def _write_hostile(terminalreporter: Any) -> None:
    from tests.hostile.cases import CASES

    # A case passes when none of its tests failed and at least one passed; an xfail inside it is a known bug.
    passed = sorted(n for n, o in _hostile.items() if "failed" not in o and "passed" in o)
    known = sorted(n for n, o in _hostile.items() if "xfailed" in o and "failed" not in o)
    only_known = [n for n in known if n not in passed]
    failed = sorted(n for n, o in _hostile.items() if "failed" in o)
    fixtures = sum(1 for p in HOSTILE_FIXTURES.iterdir() if p.is_file())
    terminalreporter.write_sep("-", "hostile corpus")
    terminalreporter.write_line(
        f"hostile cases: {len(passed)} passed ({len(known)} of them with a known-bug xfail), "
        f"{len(only_known)} only xfail, {len(failed)} failed — of {len(CASES)} registered; fixture files: {fixtures}"
    )
    if known:
        terminalreporter.write_line("known bugs: " + ", ".join(known))
    if failed:
        terminalreporter.write_line("failed: " + ", ".join(failed))


def _write_faults(terminalreporter: Any) -> None:
    outcomes = list(_faults.values())
    terminalreporter.write_sep("-", "faults")
    terminalreporter.write_line(
        f"fault tests: {outcomes.count('passed')} survived, {outcomes.count('failed')} failed, "
        f"{outcomes.count('skipped')} skipped — of {len(outcomes)}"
    )
    for line in _fault_lines:
        terminalreporter.write_line(line)
