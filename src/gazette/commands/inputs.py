"""What CLI commands share: the ``--config`` option and reading "FILE_OR_TEXT…" arguments."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

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
