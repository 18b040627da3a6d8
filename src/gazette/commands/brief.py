"""Command line for the briefs stage: `gazette brief` and `gazette brief --check`.

Output formats here are parsed by other tools; keep them stable:
- ``--check SOURCE BRIEF``: one line per brief sentence, ``SUPPORTED<TAB>sentence`` or
  ``UNSUPPORTED<TAB>sentence<TAB>reason``; with ``--json`` one object per line with
  ``sentence``, ``supported``, ``reason``, ``source_span`` ([start, end] in the source, or null).
  Exit status 1 if any sentence is unsupported.
- ``--check --jsonl FILE``: input lines ``{"id", "source", "brief"}``, output lines
  ``{"id", "supported", "score", "sentences"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from gazette.commands.common import NO_TEXT, ConfigOpt, console, fail, settings_from


def _read(path: Path) -> str:

    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise fail(f"{path}: no such file", 2) from exc
    except UnicodeDecodeError as exc:
        raise fail(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})", 2) from exc
    except OSError as exc:
        raise fail(f"{path}: {exc.strerror or exc}", 2) from exc


def _emit(line: str) -> None:
    # Plain stdout, not Rich: tabs and long lines must reach other tools untouched.
    typer.echo(line)


def brief(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="ARTICLE_FILE to brief; with --check: SOURCE_FILE BRIEF_FILE (UTF-8 text).",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Verify a brief against its source instead of writing one."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    jsonl: Annotated[
        Path | None,
        typer.Option(
            "--jsonl",
            help='With --check: verify every {"id", "source", "brief"} line of FILE in one process.',
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Write a brief for an article file, or check any brief against its source (--check).

    The check prints SUPPORTED or UNSUPPORTED (with the reason) for each brief sentence and exits 1
    if any sentence is unsupported. It works on briefs written anywhere, not only Gazette's.
    """

    paths = files or []
    if jsonl is not None:
        if not check:
            raise fail("--jsonl goes with --check", 2)
        if paths:
            raise fail("--check --jsonl FILE takes no other files", 2)
        raise typer.Exit(_check_batch(jsonl))
    if check:
        if len(paths) != 2:
            raise fail("--check needs SOURCE_FILE BRIEF_FILE (or --jsonl FILE)", 2)
        raise typer.Exit(_check_pair(paths[0], paths[1], as_json=as_json))
    if len(paths) != 1:
        raise fail("give one ARTICLE_FILE to brief, or --check SOURCE_FILE BRIEF_FILE", 2)
    _write_brief(paths[0], as_json=as_json, config=config)


def _check_pair(source_path: Path, brief_path: Path, *, as_json: bool) -> int:
    from gazette.enrich.briefs import verify_brief

    checks = verify_brief(_read(source_path), _read(brief_path))
    for item in checks:
        if as_json:
            _emit(json.dumps(item.as_json(), ensure_ascii=False))
        elif item.supported:
            _emit(f"SUPPORTED\t{_one_line(item.sentence)}")
        else:
            _emit(f"UNSUPPORTED\t{_one_line(item.sentence)}\t{_one_line(item.reason)}")
    return 1 if any(not item.supported for item in checks) else 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _check_batch(path: Path) -> int:
    from gazette.enrich.briefs import brief_score, verify_brief

    bad = 0
    for number, line in enumerate(_read(path).splitlines(), start=1):
        if not line.strip():
            continue
        item: Any = None
        try:
            item = json.loads(line)
            source, text = item["source"], item["brief"]
            if not isinstance(source, str) or not isinstance(text, str):
                raise TypeError("source and brief must be strings")
        except (ValueError, KeyError, TypeError) as exc:
            # One bad line never stops the batch: say so on stderr and in its output line.
            bad += 1
            problem = f"line {number}: {exc.__class__.__name__}: {exc}"
            console.print(problem, markup=False)
            item_id = item.get("id") if isinstance(item, dict) else None
            _emit(json.dumps({"id": item_id, "error": problem}, ensure_ascii=False))
            continue
        checks = verify_brief(source, text)
        _emit(
            json.dumps(
                {
                    "id": item.get("id"),
                    "supported": all(c.supported for c in checks),
                    "score": brief_score(checks),
                    "sentences": [c.as_json() for c in checks],
                },
                ensure_ascii=False,
            )
        )
    return 2 if bad else 0


def _write_brief(path: Path, *, as_json: bool, config: Path | None) -> None:
    from gazette.enrich.briefs import make_brief

    settings = settings_from(config)
    text = _read(path)
    if not text.strip():
        raise fail(f"{NO_TEXT}: {path}", 2)
    for sentence in make_brief(text, settings.brief, max_chars=settings.enrich.max_chars):
        if as_json:
            _emit(
                json.dumps(
                    {
                        "position": sentence.position,
                        "text": sentence.text,
                        "kind": sentence.kind,
                        "source_span": [sentence.source_start, sentence.source_end],
                        "check": sentence.check,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            _emit(sentence.text)


def register(app: typer.Typer) -> None:
    app.command("brief")(brief)


__all__ = ["brief", "register"]
