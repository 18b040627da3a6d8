"""Command line: the only place that reads argv, configures logging and prints."""

from __future__ import annotations

import importlib
import json
import logging
import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from gazette.commands.inputs import ConfigOpt
from gazette.config import Settings, describe_settings, load_settings, mask_secrets, mask_url
from gazette.errors import GazetteError

logger = logging.getLogger(__name__)


class GazetteApp(typer.Typer):
    """The ``gazette`` command: as the console script runs it, every failure ends as one line on stderr and a
    non-zero exit status — usage errors and unexpected exceptions included, never a traceback (``-vv`` logs
    one). Tests that invoke the Typer app directly (CliRunner) see Typer's own behaviour."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return super().__call__(*args, **kwargs)
        sys.exit(self._run())

    def _run(self) -> int:
        try:
            result = super().__call__(standalone_mode=False)
        except typer.Abort:
            print_error("aborted")
            return 1
        except Exception as exc:
            code = getattr(exc, "exit_code", None)
            format_message = getattr(exc, "format_message", None)
            if isinstance(code, int) and callable(format_message):
                # Click's errors (Typer keeps its own copy of Click, so they are recognised by shape).
                if type(exc).__name__ == "NoArgsIsHelpError":
                    return code  # the help is already on the screen
                ctx = getattr(exc, "ctx", None)
                hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
                print_error(f"{format_message()}{hint}")
                return code
            # A bug: still one line, with the traceback in the log at -vv.
            logger.debug("unexpected error", exc_info=True)
            print_error(f"unexpected {type(exc).__name__}: {exc} (run with -vv for the traceback)")
            return 1
        return result if isinstance(result, int) else 0


app = GazetteApp(
    name="gazette",
    help="Gazette: turn publishers' feeds into a trustworthy news site.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Inspect settings.", no_args_is_help=True)
app.add_typer(config_app, name="config")

# Markup off: feed titles, URLs and server messages are printed as they are, so "[/red]" in a header can
# neither style nor crash the output. Colour is added with Text spans; soft_wrap keeps a message one line.
console = Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)


def print_error(message: str, label: str = "error:") -> None:
    """One line on stderr: a red label, then ``message`` as plain text (newlines folded)."""
    console.print(Text.assemble((label, "red"), " ", " ".join(message.split())))


class State:
    config: Path | None = None
    verbose: int = 0


state = State()


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as the command's one error line; raise what this returns."""
    print_error(message)
    return typer.Exit(code)


def settings_from(config: Path | None = None, **overrides: Any) -> Settings:
    try:
        return load_settings(config or state.config, overrides=overrides or None)
    except GazetteError as exc:
        raise fail(str(exc), 2) from exc


def require_extraction_stack() -> None:
    """Stop in one line when extraction cannot import its libraries, instead of failing every article."""
    from gazette.extract.article import stack_problem

    problem = stack_problem()
    if problem:
        # One line, unwrapped; library messages hold brackets ("lxml[html-clean]"), so no markup.
        console.print(f"error: {problem}", markup=False, soft_wrap=True)
        raise typer.Exit(1)


def open_db(settings: Settings, *, create: bool = True) -> Any:
    from sqlalchemy.exc import SQLAlchemyError

    from gazette.store.db import Database, describe_db_error

    url = settings.database_url
    try:
        db = Database(url)
        if create:
            db.ensure_initialized()
    except (GazetteError, SQLAlchemyError, ValueError) as exc:
        reason = describe_db_error(exc) if isinstance(exc, SQLAlchemyError) else str(exc)
        raise fail(f"database {mask_url(url)}: {mask_secrets(reason, url)}") from exc
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
        raise fail(mask_secrets(str(exc), settings.database_url)) from exc
    out.print(f"database ready: {mask_url(settings.database_url)}")


@app.command("add-feed")
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
    from gazette.store import feeds as feed_store
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
                    print_error(
                        f"unknown section {entry.section!r} for {entry.url}; classifier decides", "warning:"
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
        print_error(f"{failure.url}: {failure.reason}", "failed")
    out.print(
        f"ingested {report.feeds_ok} feeds ({report.feeds_not_modified} not modified, {report.feeds_failed} failed): "
        f"{report.new} new, {report.updated} updated, {report.unchanged} unchanged, {report.duplicates} duplicates, "
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
    require_extraction_stack()
    db = open_db(settings)
    try:
        report = run_ingest(settings, db, feed or None, force)
    except GazetteError as exc:  # the store failed (disk full, lost connection): stop, nothing half-written
        raise fail(f"ingest stopped: {exc}; articles stored so far are kept, run it again to finish") from exc
    if report.feeds_failed and not (report.feeds_ok or report.feeds_not_modified):
        raise typer.Exit(1)


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` before anything else starts, so an address in use (or a name that does not
    resolve) is the command's one error line and exit status 1, not a log line from the server and exit 0."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


def serve_on(app_: Any, sock: socket.socket) -> None:
    """Run the ASGI app under uvicorn on an already bound socket."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app_, log_level="warning", backlog=2048))
    server.run(sockets=[sock])
    if not server.started:
        raise fail("the server did not start")


PortOpt = Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: PortOpt = 8000,
    config: ConfigOpt = None,
) -> None:
    """Serve the site, feeds, search and JSON API."""
    from gazette.publish.app import create_app
    from gazette.publish.cache import cached_app

    settings = settings_from(config)
    db = open_db(settings)
    sock = listen_socket(host, port)
    out.print(f"Gazette at http://{host}:{port}/")
    app_: Any = create_app(settings, db)
    if settings.site.cache:
        app_ = cached_app(app_, db)
    serve_on(app_, sock)


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port for the Gazette site.", min=1, max=65535)] = 8000,
    database: Annotated[Path, typer.Option(help="SQLite file for the demo.")] = Path("gazette-demo.db"),
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Ingest only; do not start the site.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Start a local demo publisher, ingest it over HTTP and serve Gazette at http://127.0.0.1:PORT."""
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
    require_extraction_stack()
    sock = None if no_serve else listen_socket("127.0.0.1", port)  # a port in use fails before the ingest
    with DemoPublisher(port=DEMO_PORT, fallback=True) as publisher:
        console.print(f"demo publisher at {publisher.base_url}")
        db = open_db(settings)
        with db.session() as s:
            for f in publisher.feeds():
                feed_store.add_feed(s, f.url, section=f.section, source=f.source)
        run_ingest(settings, db, [f.url for f in publisher.feeds()], force=True)
        if sock is None:
            return
        out.print(f"Gazette demo at http://127.0.0.1:{port}/  (Ctrl-C to stop)")
        serve_on(cached_app(create_app(settings, db), db), sock)


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
    require_extraction_stack()
    failed = 0
    with Fetcher(settings.fetch) as fetcher:
        for target in targets:
            try:
                article = extract_one(settings, target, fetcher)
            except GazetteError as exc:
                failed += 1
                print_error(f"{target}: {exc.reason}", "failed")
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
COMMAND_MODULES = (
    "build",
    "sections",
    "locales",
    "brief",
    "maintenance",
    "feeds",
    "run",
    "backfill",
    "migrate_db",
)


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
