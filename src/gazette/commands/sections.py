"""Command line for the sections stage: `gazette section` and `gazette train-sections`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from gazette.commands.common import (
    NO_TEXT,
    ConfigOpt,
    fail,
    jsonl_objects,
    out,
    read_texts,
    resolve_section,
    settings_from,
)


def train_sections(
    labelled: Annotated[
        Path,
        typer.Argument(
            help="JSON lines, one {title, text, section} object per article.", exists=True, dir_okay=False
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to save the model (default: sections.model_path)."),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Train a site-specific section classifier from labelled articles; later runs use it."""
    from gazette.enrich import sections
    from gazette.errors import GazetteError

    settings = settings_from(config)
    target = output or (Path(settings.sections.model_path) if settings.sections.model_path else None)
    if target is None:
        raise fail("no place to save the model: set sections.model_path or pass --output", 2)
    try:
        items = sections.read_labelled(labelled)
    except (GazetteError, OSError) as exc:
        raise fail(str(exc), 2) from exc
    for item in items:  # accept names as well as slugs, as add-feed does
        item.section = resolve_section(settings, item.section)
    try:
        model = sections.train_classifier(items)
    except GazetteError as exc:
        raise fail(str(exc), 2) from exc
    model.save(target)
    counts = {slug: sum(1 for it in items if it.section == slug) for slug in model.labels}
    out.print(f"trained on {len(items)} articles: " + ", ".join(f"{s} {n}" for s, n in counts.items()))
    out.print(f"model saved: {target}")
    if output is not None and str(output) != settings.sections.model_path:
        out.print("set sections.model_path to this file to use it")


def _result(title: str, text: str, classifier: Any, settings: Any) -> dict[str, Any]:
    from gazette.enrich import sections

    assignment = sections.assign_section(
        title,
        text,
        feed_section=None,
        classifier=classifier,
        settings=settings.sections,
        max_chars=settings.enrich.max_chars,
    )
    return {
        "section": assignment.name,
        "slug": assignment.slug,
        "confidence": assignment.confidence,
        "method": assignment.method,
    }


def section(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files, or texts, to classify (default: standard input). First line is the title."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per input.")] = False,
    jsonl: Annotated[
        Path | None,
        typer.Option(
            "--jsonl", help='Batch: each line {"id", "text"[, "title"]}; prints id with the section keys.'
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Print the section an article would be filed in, and the classifier's confidence."""
    from gazette.enrich import sections
    from gazette.errors import GazetteError

    settings = settings_from(config)
    try:
        classifier = sections.load_classifier(settings.sections)
    except GazetteError as exc:
        raise fail(str(exc), 2) from exc

    if jsonl is not None:
        for obj in jsonl_objects(jsonl):
            title, text = str(obj.get("title") or ""), str(obj.get("text") or "")
            if not title:
                title, text = _split_title(text)
            if not (title or text):
                sys.stdout.write(json.dumps({"id": obj.get("id"), "error": NO_TEXT}) + "\n")
                continue
            row = {"id": obj.get("id"), **_result(title, text, classifier, settings)}
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return

    texts = read_texts(inputs)
    for label, content in texts:
        title, text = _split_title(content)
        row = _result(title, text, classifier, settings)
        if as_json:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            prefix = f"{label}: " if len(texts) > 1 else ""
            sys.stdout.write(
                f"{prefix}{row['section']} ({row['slug']}) confidence {row['confidence']:.2f} [{row['method']}]\n"
            )


def _split_title(content: str) -> tuple[str, str]:
    """First non-empty line is the title when more lines follow; else the whole text is the body."""
    lines = content.strip().splitlines()
    if len(lines) > 1:
        return lines[0].strip(), "\n".join(lines[1:]).strip()
    return "", content.strip()


def register(app: typer.Typer) -> None:
    app.command("train-sections")(train_sections)
    app.command("section")(section)
