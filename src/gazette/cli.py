"""Command line: the only place that reads argv, configures logging and prints."""

from __future__ import annotations

import importlib
import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gazette.commands.inputs import ConfigOpt
from gazette.config import Settings, describe_settings, load_settings
from gazette.errors import GazetteError

app = typer.Typer(
    name="gazette",
    help="Gazette: turn publishers' feeds into a trustworthy news site.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Inspect settings.", no_args_is_help=True)
app.add_typer(config_app, name="config")

console = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


class State:
    config: Path | None = None
    verbose: int = 0


state = State()


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", markup=True, soft_wrap=True)  # one line, however long
    return typer.Exit(code)


def settings_from(config: Path | None = None, **overrides: Any) -> Settings:
    try:
        return load_settings(config or state.config, overrides=overrides or None)
    except GazetteError as exc:
        raise fail(str(exc), 2) from exc


def open_db(settings: Settings, *, create: bool = True) -> Any:
    from gazette.store.db import Database

    db = Database(settings.database_url)
    try:
        if create:
            db.ensure_initialized()
    except GazetteError as exc:
        raise fail(f"database {settings.database_url}: {exc}") from exc
    return db


@app.callback()
def main(
    config: ConfigOpt = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More logging (-v info, -vv debug).")
    ] = 0,
) -> None:
    """Gazette ingests RSS/Atom/JSON feeds, extracts and enriches articles, and publishes a news site."""
    state.config = config
    state.verbose = verbose
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if verbose == 0:
        logging.getLogger("gazette").setLevel(logging.ERROR)


@app.command()
def init(config: ConfigOpt = None) -> None:
    """Create the database (or bring its schema up to date)."""
    settings = settings_from(config)
    db = open_db(settings, create=False)
    try:
        db.init()
    except GazetteError as exc:
        raise fail(str(exc)) from exc
    out.print(f"database ready: {settings.database_url}")


@app.command("add-feed")
def add_feed(
    url: Annotated[str, typer.Argument(help="The feed's URL (RSS, Atom or JSON Feed).")],
    section: Annotated[
        str | None, typer.Option(help="Section for every article of this feed (name or slug).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Publisher name shown on pages.")] = None,
    republish_full_text: Annotated[
        bool,
        typer.Option("--republish-full-text", help="The source's licence allows showing the full text."),
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Subscribe to a feed; `gazette ingest` then fetches it."""
    from gazette.store import feeds as feed_store
    from gazette.urls import is_http_url

    settings = settings_from(config)
    if not is_http_url(url):
        raise fail(f"not an http(s) URL: {url}", 2)
    slug = resolve_section(settings, section) if section else None
    db = open_db(settings)
    with db.session() as s:
        feed = feed_store.add_feed(
            s, url, section=slug, source=source, republish_full_text=republish_full_text or None
        )
        out.print(f"feed added: {feed.url}" + (f" (section {slug})" if slug else ""))


def resolve_section(settings: Settings, section: str) -> str:
    from slugify import slugify

    taxonomy = settings.sections.taxonomy
    if section in taxonomy:
        return section
    for slug, name in taxonomy.items():
        if name.casefold() == section.casefold() or slugify(name) == slugify(section):
            return slug
    raise fail(f"unknown section {section!r}; known: {', '.join(taxonomy.values())}", 2)


@app.command("import-opml")
def import_opml(
    file: Annotated[Path, typer.Argument(help="OPML file listing feeds.", exists=True, dir_okay=False)],
    config: ConfigOpt = None,
) -> None:
    """Subscribe to every feed listed in an OPML file."""
    from gazette.ingest.opml import read_opml
    from gazette.store import feeds as feed_store

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
                    console.print(
                        f"warning: unknown section {entry.section!r} for {entry.url}; classifier decides"
                    )
            feed_store.add_feed(s, entry.url, section=slug, source=entry.source, title=entry.title)
            added += 1
    out.print(f"{added} feeds imported")


@app.command("export-opml")
def export_opml(config: ConfigOpt = None) -> None:
    """Print every subscribed feed as OPML."""
    from gazette.ingest.opml import OpmlFeed, write_opml
    from gazette.store import feeds as feed_store

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


def run_ingest(settings: Settings, db: Any, feed_urls: list[str] | None, force: bool = False) -> Any:
    from gazette.pipeline import Pipeline

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        feeds_task = progress.add_task("feeds", total=None)
        pages_task = progress.add_task("articles", total=0)

        def on_event(event: str, data: dict[str, Any]) -> None:
            if event == "feeds":
                progress.update(feeds_task, total=data["total"])
            elif event == "entries":
                task = progress.tasks[pages_task]
                progress.update(pages_task, total=(task.total or 0) + data["count"])
            elif event == "article":
                progress.advance(pages_task)
            elif event == "feed":
                progress.advance(feeds_task)

        with Pipeline(settings, db, progress=on_event) as pipeline:
            report = pipeline.ingest(feed_urls, force=force)
    for failure in report.failures:
        console.print(f"[red]failed[/red] {failure.url}: {failure.reason}", markup=True)
    out.print(
        f"ingested {report.feeds_ok} feeds ({report.feeds_not_modified} not modified, {report.feeds_failed} failed): "
        f"{report.new} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.articles_failed} articles failed"
    )
    return report


@app.command()
def ingest(
    feed: Annotated[list[str] | None, typer.Option("--feed", help="Only this feed URL (repeatable).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Check every feed, due or not.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Fetch every due feed and its new articles, extract, enrich and store them."""
    settings = settings_from(config)
    db = open_db(settings)
    try:
        report = run_ingest(settings, db, feed or None, force)
    except GazetteError as exc:  # the store failed (disk full, lost connection): stop, nothing half-written
        raise fail(f"ingest stopped: {exc}; articles stored so far are kept, run it again to finish") from exc
    if report.feeds_failed and not (report.feeds_ok or report.feeds_not_modified):
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    config: ConfigOpt = None,
) -> None:
    """Serve the site, feeds, search and JSON API."""
    import uvicorn

    from gazette.publish.app import create_app
    from gazette.publish.cache import cached_app

    settings = settings_from(config)
    db = open_db(settings)
    out.print(f"Gazette at http://{host}:{port}/")
    app_ = cached_app(create_app(settings, db), db)
    uvicorn.run(app_, host=host, port=port, log_level="warning", backlog=2048)


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port for the Gazette site.")] = 8000,
    database: Annotated[Path, typer.Option(help="SQLite file for the demo.")] = Path("gazette-demo.db"),
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Ingest only; do not start the site.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Start a local demo publisher, ingest it over HTTP and serve Gazette at http://127.0.0.1:PORT."""
    import uvicorn

    from gazette.demo.publisher import DEMO_PORT, DemoPublisher
    from gazette.publish.app import create_app
    from gazette.publish.cache import cached_app
    from gazette.store import feeds as feed_store

    settings = settings_from(
        config,
        database_url=f"sqlite:///{database}",
        fetch={"allow_hosts": ["127.0.0.1"], "delay_seconds": 0.02},
        site={"base_url": f"http://127.0.0.1:{port}"},
    )
    with DemoPublisher(port=DEMO_PORT, fallback=True) as publisher:
        console.print(f"demo publisher at {publisher.base_url}")
        db = open_db(settings)
        with db.session() as s:
            for f in publisher.feeds():
                feed_store.add_feed(s, f.url, section=f.section, source=f.source)
        run_ingest(settings, db, [f.url for f in publisher.feeds()], force=True)
        if no_serve:
            return
        out.print(f"Gazette demo at http://127.0.0.1:{port}/  (Ctrl-C to stop)")
        uvicorn.run(
            cached_app(create_app(settings, db), db), host="127.0.0.1", port=port, log_level="warning"
        )


@app.command()
def extract(
    targets: Annotated[
        list[str], typer.Argument(help="Article URLs or local HTML files.", metavar="URL_OR_FILE...")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line, in input order.")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Fetch (for a URL) and extract each page; print title, date, author, site, language and text."""
    from gazette.ingest.fetcher import Fetcher
    from gazette.pipeline import extract_one

    settings = settings_from(config)
    failed = 0
    with Fetcher(settings.fetch) as fetcher:
        for target in targets:
            try:
                article = extract_one(settings, target, fetcher)
            except GazetteError as exc:
                failed += 1
                console.print(f"[red]failed[/red] {target}: {exc.reason}", markup=True)
                if as_json:
                    out.print(
                        json.dumps({"url": target, "error": exc.reason}, ensure_ascii=False), markup=False
                    )
                continue
            url = article.canonical_url if article.canonical_url.startswith("http") else target
            date = article.published_at.isoformat() if article.published_at else None
            if as_json:
                record = {
                    "url": url,
                    "title": article.title,
                    "date": date,
                    "author": article.author,
                    "site": article.site,
                    "language": article.language,
                    "text": article.text,
                }
                out.print(json.dumps(record, ensure_ascii=False), markup=False, highlight=False)
            else:
                out.print(f"url: {url}\ntitle: {article.title}\ndate: {date or 'date unknown'}", markup=False)
                out.print(
                    f"author: {article.author}\nsite: {article.site}\nlanguage: {article.language}",
                    markup=False,
                )
                out.print("", article.text, "", sep="\n", markup=False)
    if failed:
        raise typer.Exit(1)


@config_app.command("show")
def config_show(config: ConfigOpt = None) -> None:
    """Print every setting with its value (secrets masked) and what it does."""
    settings = settings_from(config)
    for key, value, help_text in describe_settings(settings):
        out.print(f"{key} = {value}    # {help_text}", markup=False)


# Commands that belong to one stage live beside it in ``gazette.commands.<name>`` and register themselves
# here, so this module stays the only place that reads argv.
COMMAND_MODULES = ("build", "sections", "locales", "brief", "maintenance", "backfill", "migrate_db")


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        module_name = f"gazette.commands.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # that stage's commands are not part of this build
            raise
        module.register(app)


_register_commands()


def run() -> None:  # pragma: no cover - console entry point wrapper
    app()
