"""CLI: editors' corrections — ``gazette correct`` changes an article's section, title, date, author or places
(winning over every later re-ingest until reverted), and ``gazette history`` shows the audit."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from gazette.commands.common import (
    ConfigOpt,
    fail,
    open_db,
    out,
    print_records,
    resolve_section,
    settings_from,
)
from gazette.errors import CorrectionRefused, GazetteError

FIELDS = ("section", "title", "published", "author", "places")
# A correction may date an article a little ahead of this machine's clock (a publisher's time zone), not more.
FUTURE_SLACK = timedelta(days=1)

UrlArg = Annotated[
    str,
    typer.Argument(help="The article's original URL, or its permalink on this site.", metavar="URL"),
]


def default_editor() -> str:
    """Who a correction is by when --by is not given: the OS user name, else "editor"."""
    try:
        return getpass.getuser() or "editor"
    except (OSError, KeyError, ImportError):
        return "editor"


def parse_published(value: str) -> datetime:
    """An ISO-8601 date ("2026-11-03", midnight UTC) or date and time ("2026-11-03T14:30:00-04:00"; UTC when
    no zone is given); refused when unreadable or more than a day ahead."""
    text = value.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise CorrectionRefused(f"bad date {value!r}: give YYYY-MM-DD or an ISO-8601 date and time") from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if when > datetime.now(UTC) + FUTURE_SLACK:
        raise CorrectionRefused(f"bad date {value!r}: it is in the future")
    return when


def resolve_places(queries: list[str]) -> list[Any]:
    """Each PLACE ("Name, CC", an ISO 3166-2 code or a GeoNames id) as a ``models.Locale``; an unknown or
    ambiguous one is refused with the candidates listed."""
    if not queries:
        return []
    from gazette.enrich.locales import load_gazetteer, place_locale
    from gazette.enrich.locales.lookup import describe, find_places

    gaz = load_gazetteer()
    found = []
    for query in queries:
        places = find_places(gaz, query)
        if not places:
            raise CorrectionRefused(
                f'unknown place {query!r}: give "Name, CC", an ISO 3166-2 code or a GeoNames id'
            )
        if len(places) > 1:
            shown = "; ".join(describe(p) for p in places[:10])
            more = f"; and {len(places) - 10} more" if len(places) > 10 else ""
            raise CorrectionRefused(
                f"ambiguous place {query!r}: {shown}{more} (name one by its code or GeoNames id)"
            )
        p = places[0]
        loc = place_locale(p, gaz, confidence=1.0, salience=1.0)
        if p.kind == "region":
            loc.region_name = p.region_name or p.name  # a region is its own region
        found.append(loc)
    return found


def correct(
    url: UrlArg,
    section: Annotated[
        str | None,
        typer.Option("--section", help="File the article in this section.", metavar="NAME_OR_SLUG"),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="The corrected headline.", metavar="TEXT")
    ] = None,
    published: Annotated[
        str | None,
        typer.Option(
            "--published",
            help="The corrected publication date: YYYY-MM-DD or an ISO-8601 date and time.",
            metavar="DATE",
        ),
    ] = None,
    author: Annotated[
        str | None, typer.Option("--author", help='The corrected byline ("" for none).', metavar="TEXT")
    ] = None,
    add_place: Annotated[
        list[str] | None,
        typer.Option(
            "--add-place",
            help='Tag the article with a place: "Name, CC", an ISO 3166-2 code or a GeoNames id (repeatable).',
            metavar="PLACE",
        ),
    ] = None,
    remove_place: Annotated[
        list[str] | None,
        typer.Option(
            "--remove-place",
            help="Untag a place, with what lies inside it (a country's regions and cities; repeatable).",
            metavar="PLACE",
        ),
    ] = None,
    revert: Annotated[
        list[str] | None,
        typer.Option(
            "--revert",
            help="Drop the correction of a field (section, title, published, author or places) and restore "
            "the extracted value (repeatable).",
            metavar="FIELD",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who made the correction (default: your user name).", metavar="NAME"),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Correct an article. The editor's value wins over every later re-ingest, recluster, backfill and
    migrate-db until reverted with --revert; each change is audited (see `gazette history`) and the page says
    "Corrected on DATE"."""
    from gazette.store import articles as article_store
    from gazette.store import corrections as store

    settings = settings_from(config)
    changes = store.Changes(revert=list(revert or []))
    try:
        for name in changes.revert:
            if name not in FIELDS:
                raise CorrectionRefused(f"unknown field {name!r} for --revert; one of {', '.join(FIELDS)}")
        if section is not None:
            changes.values["section"] = resolve_section(settings, section)
        if title is not None:
            clean = " ".join(title.split())
            if not clean:
                raise CorrectionRefused("bad title: it is empty")
            changes.values["title"] = clean
        if published is not None:
            changes.values["published"] = parse_published(published)
        if author is not None:
            changes.values["author"] = " ".join(author.split()) or None
        if not changes and not add_place and not remove_place:
            raise CorrectionRefused("nothing to change: give a field to correct or --revert FIELD")
        db = open_db(settings)
        try:
            with db.session() as s:
                # the article first: an unknown URL is said before the gazetteer is loaded
                if article_store.find_by_url(s, url, settings.site.base_url) is None:
                    raise CorrectionRefused(f"no article at {url}")
            changes.add_places = resolve_places(list(add_place or []))
            changes.remove_places = resolve_places(list(remove_place or []))
            with db.session() as s:
                row = article_store.find_by_url(s, url, settings.site.base_url)
                if row is None:
                    raise CorrectionRefused(f"no article at {url}")
                audit = store.correct(
                    s, row, changes, by=" ".join((by or default_editor()).split()) or "editor"
                )
                lines = [(c.field, c.old, c.new) for c in audit]
                path = row.path
        finally:
            db.dispose()
    except GazetteError as exc:
        raise fail(str(exc)) from exc
    for name, old, new in lines:
        out.print(f"{name}: {_quoted(old)} → {_quoted(new)}", markup=False)
    out.print(f"corrected {path}", markup=False)


def _quoted(value: str | None) -> str:
    return "(none)" if value is None else repr(value)


def _history_table(rows: list[dict[str, Any]]) -> Table:
    table = Table()
    for name in ("time", "field", "old", "new", "by"):
        table.add_column(name, overflow="fold")
    for r in rows:
        table.add_row(
            Text(r["time"][:19].replace("T", " ")),
            Text(r["field"]),
            Text(r["old"] if r["old"] is not None else "-"),
            Text(r["new"] if r["new"] is not None else "-"),
            Text(r["by"]),
        )
    return table


def history(
    url: UrlArg,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per change (keys field, old, new, by, time).")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Print every correction of an article: which field, from what to what, by whom and when."""
    rows = _history_rows(config, url)

    print_records(rows, as_json=as_json, empty=f"no corrections of {url}", table=_history_table)


def _history_rows(config: Path | None, url: str) -> list[dict[str, Any]]:
    from gazette.store import articles as article_store
    from gazette.store import corrections as store

    settings = settings_from(config)
    db = open_db(settings)
    try:
        with db.session() as s:
            row = article_store.find_by_url(s, url, settings.site.base_url)
            if row is None:
                raise fail(f"no article at {url}")
            return [
                {
                    "field": c.field,
                    "old": c.old,
                    "new": c.new,
                    "by": c.by,
                    "time": c.time.astimezone(UTC).isoformat(),
                }
                for c in store.history(s, row.id)
            ]
    except GazetteError as exc:
        raise fail(str(exc)) from exc
    finally:
        db.dispose()


def register(app: typer.Typer) -> None:
    app.command("correct")(correct)
    app.command("history")(history)
