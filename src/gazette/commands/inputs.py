"""What CLI commands share: the ``--config`` option and reading "FILE_OR_TEXT…" arguments."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from gazette.errors import GazetteError

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Settings file (default: $GAZETTE_CONFIG or ./gazette.toml).",
        show_default=False,
    ),
]


NO_TEXT = "no text to read"  # an empty (or blank) input: said, never classified or tagged as if it were text


class InputError(GazetteError):
    """An input named on the command line cannot be read."""


def read_inputs(inputs: list[str] | None) -> list[tuple[str, str]]:
    """(label, text) for each argument: a readable file's contents, else the argument itself as text; standard
    input when there is no argument."""
    texts: list[tuple[str, str]] = []
    for item in inputs or []:
        path = Path(item)
        if len(item) < 4096 and "\n" not in item and path.is_file():
            try:
                texts.append((item, path.read_text(encoding="utf-8", errors="replace")))
            except OSError as exc:
                raise InputError(f"cannot read {item}: {exc.strerror}") from exc
        else:
            texts.append(("text", item))
    if not texts:
        texts.append(("stdin", sys.stdin.read()))
    return texts


def jsonl_objects(path: Path) -> Iterator[dict[str, Any]]:
    """Each JSON object of a JSON-lines file, in order; blank lines are skipped and a line that is not an object
    is answered on standard output with ``{"line": N, "error": ...}`` so batch output stays one line per input."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            obj = None
        if not isinstance(obj, dict):
            sys.stdout.write(json.dumps({"line": n, "error": "not a JSON object"}) + "\n")
            continue
        yield obj
