"""CLI: subscribing (``add-feed``, ``import-opml``, ``export-opml``) and feed care — ``gazette feeds``, ``remove-feed``, ``pause-feed``, ``resume-feed`` and ``set-feed``."""

from __future__ import annotations

import sys
from datetime import datetime
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
    print_error,
    print_listing,
    resolve_section,
    settings_and_db,
    settings_from,
)
from gazette.errors import GazetteError
from gazette.schedule import feed_status

UrlArg = Annotated[str, typer.Argument(help="The feed's URL, as subscribed.", metavar="URL")]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _feed_or_fail(session: Any, url: str) -> Any:
    from gazette.store import subscriptions as feed_store

    feed = feed_store.get_feed(session, url)
    if feed is None:
        raise fail(f"no feed subscribed at {url} (see `gazette feeds`)")
    return feed


def _feeds_table(records: list[dict[str, Any]]) -> Table:
    table = Table()
    table.add_column("url", overflow="fold", min_width=24)  # the key for the other commands: never cut short
    for name in ("status", "source", "section", "last fetched", "next due", "errors", "articles"):
        table.add_column(name, min_width=min(len(name), 8))
    for r in records:
        status = Text(r["status"], style={"failing": "red", "paused": "yellow"}.get(r["status"], "green"))
        table.add_row(
            Text(r["url"]),
            status,
            Text(r["source"] or "-"),
            Text(r["section"] or (f"({r['default_section']})" if r["default_section"] else "-")),
            Text(_short(r["last_fetched"])),
            Text("paused" if r["status"] == "paused" else _short(r["next_due"]) or "now"),
            Text(str(r["error_count"]) + (f": {r['last_error'][:60]}" if r["last_error"] else "")),
            Text(str(r["articles"])),
        )
    return table


def feeds(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per feed and line instead of a table.")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """List subscribed feeds with their status (active, paused or failing), schedule, errors and articles."""
    from gazette.store import subscriptions as feed_store

    def collect(s: Any) -> list[dict[str, Any]]:
        counts = feed_store.article_counts(s)
        return [
            {
                "url": f.url,
                "source": f.source.name if f.source else None,
                "section": f.section,
                "default_section": f.default_section,
                "status": feed_status(paused=bool(f.paused), error_count=f.error_count or 0),
                "last_fetched": _iso(f.last_checked),
                "last_success": _iso(f.last_success),
                "last_error": f.last_error,
                "error_count": f.error_count or 0,
                "next_due": None if f.paused else _iso(f.next_check),
                "articles": counts.get(f.id, 0),
            }
            for f in feed_store.list_feeds(s)
        ]

    print_listing(
        config,
        collect,
        as_json=as_json,
        empty="no feeds; subscribe with `gazette add-feed URL`",
        table=_feeds_table,
    )


def _short(value: str | None) -> str:
    return value[:19].replace("T", " ") if value else ""


def remove_feed(
    url: UrlArg,
    delete_articles: Annotated[
        bool,
        typer.Option("--delete-articles", help="Delete the feed's stored articles too (kept by default)."),
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Unsubscribe from a feed; its articles stay published unless --delete-articles."""
    from gazette.store import subscriptions as feed_store

    _, db = settings_and_db(config)
    with db.session() as s:
        feed = _feed_or_fail(s, url)
        kept = feed_store.article_counts(s).get(feed.id, 0)
        deleted = feed_store.remove_feed(s, feed, delete_articles=delete_articles)
    db.dispose()
    detail = f"{deleted} articles deleted" if delete_articles else f"{kept} articles kept"
    out.print(f"feed removed: {url} ({detail})", markup=False)


def pause_feed(url: UrlArg, config: ConfigOpt = None) -> None:
    """Stop fetching a feed (its articles stay); `gazette resume-feed` starts again."""
    _set_paused(url, config, True)


def resume_feed(url: UrlArg, config: ConfigOpt = None) -> None:
    """Fetch a paused feed again, starting with the next ingest."""
    _set_paused(url, config, False)


def _set_paused(url: str, config: Path | None, paused: bool) -> None:
    from gazette.store import subscriptions as feed_store

    _, db = settings_and_db(config)
    with db.session() as s:
        feed_store.set_paused(s, _feed_or_fail(s, url), paused)
    db.dispose()
    out.print(f"feed {'paused' if paused else 'resumed'}: {url}", markup=False)


def set_feed(
    url: UrlArg,
    section: Annotated[
        str | None,
        typer.Option(
            help="File every article of this feed in this section (name or slug).", metavar="NAME_OR_SLUG"
        ),
    ] = None,
    default_section: Annotated[
        str | None,
        typer.Option(
            "--default-section",
            help="Section for this feed's articles when the classifier is unsure (name or slug).",
            metavar="NAME_OR_SLUG",
        ),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Publisher name shown on pages.", metavar="NAME")] = None,
    interval: Annotated[
        int | None,
        typer.Option(
            help="Check this feed every SECONDS instead of the adaptive schedule; 0 restores the adaptive one.",
            metavar="SECONDS",
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Change a subscribed feed's section, default section, publisher name or check interval."""
    from gazette.store import subscriptions as feed_store
    from gazette.store.sources import get_or_create_source

    if section is None and default_section is None and source is None and interval is None:
        raise fail("nothing to change: give --section, --default-section, --source or --interval", 2)
    if interval is not None and interval < 0:
        raise fail(f"--interval must be 0 (adaptive) or a number of seconds, not {interval}", 2)
    if source is not None and not source.strip():
        raise fail("--source must not be empty", 2)
    settings, db = settings_and_db(config)
    slug = resolve_section(settings, section) if section is not None else None
    default_slug = resolve_section(settings, default_section) if default_section is not None else None
    changes: list[str] = []
    with db.session() as s:
        feed = _feed_or_fail(s, url)
        if slug is not None:
            feed.section = slug
            changes.append(f"section {slug}")
        if default_slug is not None:
            feed.default_section = default_slug
            changes.append(f"default section {default_slug}")
        if source is not None:
            feed.source = get_or_create_source(s, source.strip())
            changes.append(f"source {source.strip()}")
        if interval is not None:
            feed_store.set_fixed_interval(feed, interval or None)
            changes.append(f"interval {interval} s" if interval else "adaptive interval")
    db.dispose()
    out.print(f"feed updated: {url}: " + ", ".join(changes), markup=False)


def add_feed(
    url: Annotated[str, typer.Argument(help="The feed's URL (RSS, Atom or JSON Feed).")],
    section: Annotated[
        str | None, typer.Option(help="Section for every article of this feed (name or slug).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Publisher name shown on pages.")] = None,
    default_section: Annotated[
        str | None,
        typer.Option(
            "--default-section",
            help="Section for this feed's articles when the classifier is unsure (name or slug).",
        ),
    ] = None,
    republish_full_text: Annotated[
        bool,
        typer.Option("--republish-full-text", help="The source's licence allows showing the full text."),
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Subscribe to a feed; `gazette ingest` then fetches it."""
    from gazette.store import subscriptions as feed_store
    from gazette.urls import is_http_url

    settings = settings_from(config)
    if not is_http_url(url):
        raise fail(f"not an http(s) URL: {url}", 2)
    slug = resolve_section(settings, section) if section else None
    default_slug = resolve_section(settings, default_section) if default_section else None
    db = open_db(settings)
    with db.session() as s:
        feed = feed_store.add_feed(
            s,
            url,
            section=slug,
            source=source,
            republish_full_text=republish_full_text or None,
            default_section=default_slug,
        )
        out.print(f"feed added: {feed.url}" + (f" (section {slug})" if slug else ""))


def import_opml(
    file: Annotated[Path, typer.Argument(help="OPML file listing feeds.", exists=True, dir_okay=False)],
    config: ConfigOpt = None,
) -> None:
    """Subscribe to every feed listed in an OPML file."""
    from gazette.ingest.opml import read_opml
    from gazette.store import subscriptions as feed_store

    settings = settings_from(config)
    try:
        entries = read_opml(file.read_bytes())
    except GazetteError as exc:
        raise fail(str(exc)) from exc
    db = open_db(settings)
    added = 0
    with db.session() as s:
        for entry in entries:
            slug = None
            if entry.section:
                try:
                    slug = resolve_section(settings, entry.section)
                except typer.Exit:
                    print_error(
                        f"unknown section {entry.section!r} for {entry.url}; classifier decides", "warning:"
                    )
            feed_store.add_feed(s, entry.url, section=slug, source=entry.source, title=entry.title)
            added += 1
    out.print(f"{added} feeds imported")


def export_opml(config: ConfigOpt = None) -> None:
    """Print every subscribed feed as OPML."""
    from gazette.ingest.opml import OpmlFeed, write_opml
    from gazette.store import subscriptions as feed_store

    settings = settings_from(config)
    db = open_db(settings)
    with db.session() as s:
        feeds = [
            OpmlFeed(
                url=f.url,
                title=f.title,
                section=settings.section_name(f.section) if f.section else None,
                source=f.source.name if f.source else None,
            )
            for f in feed_store.list_feeds(s)
        ]
    sys.stdout.write(write_opml(feeds))


def register(app: typer.Typer) -> None:
    app.command("add-feed")(add_feed)
    app.command("import-opml")(import_opml)
    app.command("export-opml")(export_opml)
    app.command("feeds")(feeds)
    app.command("remove-feed")(remove_feed)
    app.command("pause-feed")(pause_feed)
    app.command("resume-feed")(resume_feed)
    app.command("set-feed")(set_feed)
