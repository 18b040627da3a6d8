"""The rooms keep to themselves (docs: STYLE.md, "Layout" and "Seams"), checked on the source with ``ast``.

- The stages (``ingest/``, ``extract/``, ``enrich/``) are pure: they import neither ``store/`` nor ``publish/``,
  nor each other, nor what chains them (``pipeline``, ``commands/``, ``cli``); they exchange ``models``.
- ``store/`` owns the database and knows no stage; ``publish/`` reads through ``store/``, never the stages, and
  runs no SQL of its own: nothing under ``publish/`` imports ``sqlalchemy`` (a query it needs is a named function
  in a ``store/`` module).
- Rooms split along their seams: no module under ``publish/`` or ``store/`` passes 600 lines (``publish/pages/``
  is one renderer per area behind the ``Site`` façade).
- ``commands/`` share plumbing through ``commands/common.py``: nothing imports ``gazette.cli`` back.
Every import counts, at the top of a module or inside a function (where a cycle is usually being dodged).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gazette

SRC = Path(gazette.__file__).parent
STAGES = ("ingest", "extract", "enrich")
CHAINING = ("pipeline", "webhooks", "commands", "cli", "demo")


def _all_imports(path: Path) -> set[str]:
    """Every module that ``path`` imports, by absolute name (``from gazette import x`` counts as both
    ``gazette`` and ``gazette.x``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import (this code base imports absolutely)"
            if node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _imports(path: Path) -> set[str]:
    """Every ``gazette.*`` module that ``path`` imports."""
    return {name for name in _all_imports(path) if name.startswith("gazette.")}


def _room_of(module: str) -> str:
    return module.split(".")[1]


def _breaches(room: str, forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted((SRC / room).rglob("*.py")):
        for module in sorted(_imports(path)):
            if _room_of(module) in forbidden:
                out.append(f"{path.relative_to(SRC)} imports {module}")
    return out


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_no_store_no_publish_and_no_other_stage(stage: str) -> None:
    others = tuple(s for s in STAGES if s != stage)
    assert _breaches(stage, ("store", "publish", *others, *CHAINING)) == []


def test_the_store_knows_no_stage_and_no_publisher() -> None:
    assert _breaches("store", (*STAGES, "publish", *CHAINING)) == []


def test_publish_reads_through_the_store_never_the_stages() -> None:
    assert _breaches("publish", (*STAGES, *CHAINING)) == []


def test_publish_runs_no_sql_of_its_own() -> None:
    importers = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in sorted((SRC / "publish").rglob("*.py"))
        for name in sorted(_all_imports(path))
        if name.split(".")[0] == "sqlalchemy"
    ]
    assert importers == []


MAX_LINES = 600


@pytest.mark.parametrize("room", ("publish", "store"))
def test_no_module_in_the_room_passes_600_lines(room: str) -> None:
    big = [
        f"{path.relative_to(SRC)}: {n} lines"
        for path in sorted((SRC / room).rglob("*.py"))
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert big == []


def test_no_command_imports_the_cli_back() -> None:
    assert _breaches("commands", ("cli",)) == []
    importers = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "cli.py" and "gazette.cli" in _imports(path)
    ]
    assert importers == []


def test_the_checker_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from gazette.cli import app\n    import gazette.store.db\n")
    assert _imports(module) == {"gazette.cli", "gazette.cli.app", "gazette.store.db"}


def test_the_checker_sees_a_third_party_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from sqlalchemy.orm import Session\n\ndef f():\n    import sqlalchemy\n")
    assert {n.split(".")[0] for n in _all_imports(module)} == {"sqlalchemy"}
