"""`gazette extract FILE… --json`: one object per line, in input order, an error object for a bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gazette.cli import app

FIXTURES = Path(__file__).parents[1] / "extract" / "fixtures"
KEYS = {"url", "title", "date", "author", "site", "language", "text"}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no gazette.toml from the checkout
    for name in list(__import__("os").environ):
        if name.startswith("GAZETTE_"):
            monkeypatch.delenv(name)
    for name in ("news_chrome.html", "cp1252_no_charset.html", "hostile.html"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def test_extract_json_lines_in_input_order(workdir: Path) -> None:
    targets = ["news_chrome.html", "missing.html", "cp1252_no_charset.html", "hostile.html"]
    result = CliRunner().invoke(app, ["extract", *targets, "--json"])
    assert result.exit_code == 1, result.output  # one input failed
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [r["url"] for r in lines] == targets

    news, missing, spanish, hostile = lines
    assert set(news) == KEYS
    assert news["title"] == "Prisoner releases prove slower than promised"
    # The page's own offset is kept, so the first ten characters are the day the publisher states.
    assert news["date"] == "2026-02-20T14:30:00+01:00"
    assert news["author"] == "Maria Gonzalez"
    assert news["site"] == "The Example Times"
    assert news["language"] == "en"
    assert "far more nuanced process" in news["text"] and "cookies" not in news["text"]

    assert set(missing) == {"url", "error"} and "cannot read file" in missing["error"]

    assert set(spanish) == KEYS
    assert spanish["title"] == "Bolívar llega a Caracas — “día histórico”"
    assert spanish["date"] is None and spanish["language"] == "es"
    assert "El señor Bolívar llegó ayer" in spanish["text"]

    assert "document.cookie" not in hostile["text"]


def test_extract_plain_output(workdir: Path) -> None:
    result = CliRunner().invoke(app, ["extract", "cp1252_no_charset.html"])
    assert result.exit_code == 0, result.output
    assert "title: Bolívar llega a Caracas" in result.stdout
    assert "date: date unknown" in result.stdout
    assert "El señor Bolívar llegó ayer" in result.stdout
