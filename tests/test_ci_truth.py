"""CI that tells the truth: under CI=true a test that needs PostgreSQL or Chromium fails when the service is
missing, where a developer's run skips it. Each check runs pytest itself, in a child process, against a
PostgreSQL address nothing listens on or a Chromium path that does not exist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOWHERE_PG = "postgresql+psycopg://postgres@127.0.0.1:1/test"  # port 1: connection refused at once


def _pytest(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    child = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    child.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=child,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize("ci", ["true", ""], ids=["ci", "developer"])
def test_a_missing_postgresql_fails_under_ci_and_skips_otherwise(ci: str) -> None:
    done = _pytest(
        ["tests/store/test_db.py", "-k", "migrations_are_idempotent"],
        CI=ci,
        GAZETTE_TEST_PG_URL=NOWHERE_PG,
    )
    summary = done.stdout.strip().splitlines()[-1]
    if ci:
        assert done.returncode == 1, done.stdout
        assert "1 error" in summary and "1 passed" in summary, summary  # SQLite passes, PostgreSQL fails
        assert "CI=true" in done.stdout
    else:
        assert done.returncode == 0, done.stdout
        assert "1 passed" in summary and "1 skipped" in summary, summary


def test_a_missing_chromium_fails_under_ci() -> None:
    done = _pytest(
        ["tests/browser/test_console.py", "-x"],
        CI="true",
        GAZETTE_TEST_CHROMIUM="/nonexistent/chromium",
    )
    assert done.returncode != 0, done.stdout
    assert "skipped" not in done.stdout.strip().splitlines()[-1]
    assert "/nonexistent/chromium is missing" in done.stdout and "CI=true" in done.stdout


REDOS = ROOT / ".ci" / "redos.py"


def test_redos_scan_flags_unexplained_patterns_even_when_built_at_run_time(tmp_path: Path) -> None:
    package = tmp_path / "src" / "redos_probe"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "import re\n"
        'A = "a"\n'
        'BUILT = re.compile(f"({A}+)+b")  # from an f-string: regexploit-py alone cannot see it\n'
        'SPACES = re.compile(r"\\s*\\w*\\s*\\w*\\s*=")\n'
        "# redos: only ever matched against three-character strings\n"
        'NESTED = re.compile(r"(x+)+y")\n'
        'POSSESSIVE = re.compile(r"a++b")\n'
        'PLAIN = re.compile(r"[a-z]+")\n'
    )
    done = subprocess.run(
        [sys.executable, str(REDOS), str(tmp_path / "src")], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert ":3: UNEXPLAINED: '(a+)+b'" in out
    assert ":4: UNEXPLAINED:" in out and ":7: UNEXPLAINED: 'a++b': regexploit cannot parse it" in out
    assert ":6: explained: '(x+)+y'" in out
    assert "[a-z]+" not in out
    assert out.strip().splitlines()[-1].endswith("4 findings, 3 unexplained")


def test_redos_scan_of_src_is_clean() -> None:
    done = subprocess.run(
        [sys.executable, str(REDOS), "src", "--min-starriness", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 unexplained" in done.stdout
