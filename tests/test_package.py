"""The package's front door: ``gazette.__all__`` is the public API, and every room says what it holds."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gazette

SRC = Path(gazette.__file__).parent


def test_the_public_api_is_sorted_and_every_name_resolves() -> None:
    assert gazette.__all__ == sorted(gazette.__all__)
    for name in gazette.__all__:
        obj = getattr(gazette, name)
        assert obj.__name__ == name
    assert gazette.Pipeline.__module__ == "gazette.pipeline"
    assert issubclass(gazette.GazetteError, Exception)


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        gazette.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("gazette.no_such_name resolved")


def test_importing_gazette_loads_no_stage() -> None:
    code = "import sys, gazette; print(sorted(m for m in sys.modules if m.startswith('gazette.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_package_says_in_one_line_what_its_room_holds() -> None:
    for init in sorted(SRC.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc, f"{init.relative_to(SRC.parent)} has no docstring"
        first = doc.splitlines()[0]
        assert first.endswith((".", ":")) or len(doc.splitlines()) == 1, f"{init}: {first!r}"
