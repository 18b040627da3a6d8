"""errors.py: the tree its docstring draws, and how the store sorts real database errors into it."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from gazette import errors
from gazette.errors import GazetteError, StorageError, StorageRejected, StorageUnavailable
from gazette.store.db import Database
from gazette.store.schema import Source


def _drawn_tree() -> dict[str, str]:
    """Each class named in the docstring's drawing, mapped to the class drawn above it."""
    doc = errors.__doc__ or ""
    parents: dict[int, str] = {}
    tree: dict[str, str] = {}
    for line in doc.splitlines():
        match = re.match(r"^[\s│]*(?:[├└]── )?([A-Z][A-Za-z]+)", line)  # linear: one class of leading marks
        if not match or not line.strip().startswith(("├", "└", "│", "GazetteError")):
            continue
        depth = line.index(match.group(1))
        parents = {d: name for d, name in parents.items() if d < depth}
        if parents:
            tree[match.group(1)] = parents[max(parents)]
        parents[depth] = match.group(1)
    return tree


def test_every_error_is_drawn_under_its_parent() -> None:
    tree = _drawn_tree()
    classes = {
        name: cls
        for name, cls in vars(errors).items()
        if inspect.isclass(cls) and issubclass(cls, GazetteError) and not name.startswith("_")
    }
    classes.pop("GazetteError")
    assert set(tree) == set(classes), "errors.py's docstring and its classes disagree"
    for name, cls in classes.items():
        drawn = next(
            base for base in cls.__mro__[1:] if not base.__name__.startswith("_")
        )  # private shapes aside
        assert drawn.__name__ == tree[name], f"{name} is drawn under {tree[name]}"
    assert sorted(errors.__all__) == errors.__all__
    assert set(errors.__all__) == set(classes) | {"GazetteError"}


def test_exceptions_live_only_in_errors_py() -> None:
    src = Path(errors.__file__).parent
    ours = set(errors.__all__)
    misplaced = []
    for path in sorted(src.rglob("*.py")):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if bases & ours:
                    misplaced.append(f"{path.relative_to(src)}:{node.lineno} {node.name}")
    assert not misplaced, f"exceptions defined outside errors.py: {misplaced}"


def test_web_errors_carry_their_status() -> None:
    assert errors.BadRequest("bad cursor").status == 400
    assert errors.InputError("no such file").status == 400
    assert errors.NotFound("/nowhere").status == 404


def _source(name: str) -> Source:
    return Source(name=name, slug=name.lower())


def test_a_duplicate_row_is_rejected(db: Database) -> None:
    with db.session() as s:
        s.add(_source("Example"))
    with pytest.raises(StorageRejected) as caught, db.session() as s:
        s.add(_source("Example"))
    assert "unique" in str(caught.value).lower() or "duplicate" in str(caught.value).lower()
    assert "\n" not in str(caught.value)
    with db.session() as s:  # the database is fine: the next row is stored
        s.add(_source("Other"))


@pytest.mark.postgres
def test_a_value_too_long_for_its_column_is_rejected(pg_url: str) -> None:
    db = Database(pg_url)
    db.init()
    try:
        with pytest.raises(StorageRejected, match="too long"), db.session() as s:
            s.add(Source(name="x", slug="x", country="VEN"))  # country is String(2)
    finally:
        db.dispose()


def test_an_unopenable_sqlite_file_is_unavailable(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/no/such/folder/gazette.db")
    try:
        with pytest.raises(StorageUnavailable, match="unable to open"), db.session() as s:
            s.execute(text("SELECT 1"))
    finally:
        db.dispose()


def test_a_locked_sqlite_database_is_unavailable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/gazette.db"
    holder, waiter = Database(url), Database(url)
    holder.init()
    try:
        with holder.engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # holds the write lock
            with pytest.raises(StorageUnavailable, match="locked"), waiter.session() as s:
                s.execute(text("PRAGMA busy_timeout=0"))  # fail at once instead of waiting 10 s
                s.add(_source("Example"))
            conn.rollback()
    finally:
        holder.dispose()
        waiter.dispose()


@pytest.mark.postgres
def test_a_dropped_postgresql_connection_is_unavailable(pg_url: str) -> None:
    db = Database(pg_url)
    db.init()
    try:
        with pytest.raises(StorageUnavailable), db.session() as s:
            s.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        with db.session() as s:  # the pool reconnects: the database is back
            assert s.scalar(text("SELECT 1")) == 1
    finally:
        db.dispose()


def test_a_wrong_statement_is_neither_rejected_nor_unavailable(db: Database) -> None:
    with pytest.raises(StorageError) as caught, db.session() as s:
        s.execute(text("SELECT * FROM no_such_table"))
    assert type(caught.value) is StorageError
