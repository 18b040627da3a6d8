"""Contract tests: every setting and every CLI command is documented (datasette's test_docs idea)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from gazette.cli import app
from gazette.config import describe_settings, load_settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("key", [k for k, _, _ in describe_settings(load_settings(env={}))])
def test_every_setting_is_documented(key: str) -> None:
    assert f"`{key}`" in (DOCS / "settings.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    names = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(cmd, "commands", None)
        names.extend(f"{name} {s}" for s in sub) if sub else names.append(name)
    return sorted(names)


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_documented_and_explained(command: str) -> None:
    assert f"gazette {command}" in (DOCS / "cli.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    cmd = group
    for part in command.split():
        cmd = cmd.commands[part]  # type: ignore[attr-defined]
    assert cmd.help and len(cmd.help) > 20
