"""Command line for the locales stage: `gazette locales` tags texts with the places they are about."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from gazette.commands.common import jsonl_objects, read_texts


def locales(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(help="Files, or texts, to tag (default: standard input); plain UTF-8."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per locale.")] = False,
    jsonl: Annotated[
        Path | None,
        typer.Option(
            "--jsonl",
            help='Batch: each line {"id", "text"[, "title", "source_country"]}; prints id with its locales.',
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="Article title; places in it add to salience.")
    ] = None,
    source_country: Annotated[
        str | None,
        typer.Option("--source-country", help="ISO 3166-1 alpha-2 code of the publisher's country."),
    ] = None,
) -> None:
    """Print the places a text is about: kind, codes, coordinates, spans, confidence and the page line."""
    from gazette.enrich import locales as locales_stage

    if jsonl is not None:
        for obj in jsonl_objects(jsonl):
            text = str(obj.get("text") or "")
            item_title = obj.get("title") or title
            country = obj.get("source_country") or source_country
            found = locales_stage.tag_locales(text, title=item_title, source_country=country)
            row = {
                "id": obj.get("id"),
                "locales": [loc.as_json() for loc in found],
                "line": locales_stage.locale_line(found),
            }
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return

    texts = read_texts(inputs)
    for label, text in texts:
        found = locales_stage.tag_locales(text, title=title, source_country=source_country)
        if as_json:
            for loc in found:
                sys.stdout.write(json.dumps(loc.as_json(), ensure_ascii=False) + "\n")
            continue
        if len(texts) > 1:
            sys.stdout.write(f"{label}:\n")
        for loc in found:
            where = f"{loc.lat:.4f},{loc.lon:.4f}" if loc.lat is not None and loc.lon is not None else "-"
            spans = " ".join(f"{s}-{e}" for s, e in loc.spans) or "title"
            codes = loc.region_code or loc.country_code
            gid = f" geonames:{loc.geonames_id}" if loc.geonames_id else ""
            sys.stdout.write(
                f"{loc.name}\t{loc.kind}\t{codes}{gid}\t{where}\tspans {spans}\t"
                f"confidence {loc.confidence:.2f}\n"
            )
        sys.stdout.write(f"Locales: {locales_stage.locale_line(found)}\n")


def register(app: typer.Typer) -> None:
    app.command("locales")(locales)
