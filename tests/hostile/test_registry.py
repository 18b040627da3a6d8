"""The corpus keeps its own books: every case has a test and a README line, every fixture states its
expectation and belongs to a case, and there are at least 30 of each."""

from __future__ import annotations

import re
from pathlib import Path

from tests.hostile.cases import CASES

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
_CASE_USE = re.compile(r'@case\("([a-z0-9_]+)"\)')


def _test_sources() -> str:
    return "\n".join(p.read_text() for p in sorted(HERE.glob("test_*.py")))


def test_every_case_has_a_test() -> None:
    used = set(_CASE_USE.findall(_test_sources()))
    assert sorted(set(CASES) - used) == []
    assert sorted(used - set(CASES)) == []


def test_every_hostile_md_row_is_covered() -> None:
    assert {c.row for c in CASES.values()} - {0} == set(range(1, 33))


def test_at_least_thirty_cases_and_fixtures() -> None:
    fixtures = [p for p in FIXTURES.iterdir() if p.is_file()]
    assert len(CASES) >= 30 and len(fixtures) >= 30


def test_fixtures_state_their_expectation_and_belong_to_a_case() -> None:
    listed = {name for c in CASES.values() for name in c.fixtures}
    sources = _test_sources() + (HERE / "conftest.py").read_text()
    for path in sorted(FIXTURES.iterdir()):
        assert b"Expect:" in path.read_bytes()[:2048], f"{path.name} does not state what must happen"
        assert path.name in listed or path.name in sources, f"{path.name} is used by no case"
    assert sorted(n for n in listed if not (FIXTURES / n).is_file()) == []


def test_readme_lists_every_case() -> None:
    readme = (HERE / "README.md").read_text()
    missing = [name for name in CASES if f"`{name}`" not in readme]
    assert missing == []
