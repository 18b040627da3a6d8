"""What every CLI command shares: the consoles and the one-line error, settings and database opening, the
``--config`` and ``--port`` options, the FILE_OR_TEXT and JSON-lines readers, the ingest progress display and the
listening socket. Commands import from here; ``gazette.cli`` only assembles them."""

from __future__ import annotations

import functools
import json
import logging
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from gazette.config import Settings, load_settings, mask_secrets, mask_url
from gazette.errors import GazetteError, InputError
from gazette.heap import settle_heap

logger = logging.getLogger(__name__)

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


def read_texts(inputs: list[str] | None) -> list[tuple[str, str]]:
    """``read_inputs`` for a command that reads words: an unreadable input stops it in one line, and so does a
    blank one (nothing to classify or tag is said as such, never answered as if it were text); exit status 2."""
    try:
        texts = read_inputs(inputs)
    except InputError as exc:
        raise fail(str(exc), 2) from exc
    empty = [label for label, text in texts if not text.strip()]
    if empty:
        raise fail(f"{NO_TEXT}: {', '.join(empty)}", 2)
    return texts


def jsonl_objects(path: Path) -> Iterator[dict[str, Any]]:
    """Each JSON object of a batch command's JSON-lines file, in order. A file that cannot be read is the
    command's one error line (exit 2), raised here before anything is printed; blank lines are skipped, and a
    line that is not an object is answered on standard output with ``{"line": N, "error": ...}`` when the
    iteration reaches it, so batch output stays one line per input and in input order."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}", 2) from exc
    return _json_objects(lines)


def _json_objects(lines: list[str]) -> Iterator[dict[str, Any]]:
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


def settings_and_db(config: Path | None) -> tuple[Settings, Any]:
    """The settings read from ``config`` (and the environment) and their database, opened and initialised."""
    settings = settings_from(config)
    return settings, open_db(settings)


def print_listing(
    config: Path | None,
    collect: Callable[[Any], list[dict[str, Any]]],
    *,
    as_json: bool,
    empty: str,
    table: Callable[[list[dict[str, Any]]], Table],
) -> None:
    """A listing command: the records that ``collect`` reads in one session of the configured database, printed
    as ``print_records`` prints them (the database is closed before anything is printed)."""
    _, db = settings_and_db(config)
    with db.session() as session:
        records = collect(session)
    db.dispose()
    print_records(records, as_json=as_json, empty=empty, table=table)


def print_records(
    records: list[dict[str, Any]],
    *,
    as_json: bool,
    empty: str,
    table: Callable[[list[dict[str, Any]]], Table],
) -> None:
    """A listing command's output: with ``--json`` one object per line (nothing for no records), else ``empty``
    when there is nothing to list, else the Rich table that ``table`` makes of the records."""
    if as_json:
        for record in records:
            out.print(json.dumps(record, ensure_ascii=False), markup=False, highlight=False)
    elif not records:
        out.print(empty, markup=False)
    else:
        out.print(table(records))


def resolve_section(settings: Settings, section: str) -> str:
    from slugify import slugify

    taxonomy = settings.sections.taxonomy
    if section in taxonomy:
        return section
    for slug, name in taxonomy.items():
        if name.casefold() == section.casefold() or slugify(name) == slugify(section):
            return slug
    raise fail(f"unknown section {section!r}; known: {', '.join(taxonomy.values())}", 2)


PortOpt = Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)]


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


def settled(factory: Callable[[], Any]) -> Any:
    """``factory()``, then ``settle_heap`` (what each worker process of ``serve_on`` builds its app with)."""
    app_ = factory()
    settle_heap()
    return app_


def worker_sockets(sock: socket.socket, workers: int) -> list[socket.socket]:
    """One listening socket per worker process on ``sock``'s address, all with SO_REUSEPORT, so the kernel spreads
    new connections evenly across the workers (``sock`` itself, bound to check the address, is closed).

    One socket shared by every worker is balanced by whoever wakes first: the event loop (uvloop, as libuv does)
    accepts every pending connection per wake-up, so a burst went mostly to one worker — 127 and 73 of wrk's 200
    on the load bench, and the busier worker set the tail while the other had time to spare.
    """
    address, family = sock.getsockname(), sock.family
    sock.close()
    made: list[socket.socket] = []
    try:
        for _ in range(workers):
            one = socket.socket(family, socket.SOCK_STREAM)
            made.append(one)
            one.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            one.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            one.bind(address)
    except OSError as exc:
        for one in made:
            one.close()
        raise fail(f"cannot listen on {address[0]}:{address[1]}: {exc.strerror or exc}") from exc
    return made


def own_socket_workers(config: Any, sockets: list[socket.socket]) -> Any:
    """uvicorn's multiprocess supervisor with worker ``i`` started, and restarted, on ``sockets[i]`` alone."""
    from uvicorn.supervisors.multiprocess import Multiprocess, Process

    class OwnSocketWorkers(Multiprocess):
        # uvicorn's supervisor hands every worker its whole socket list when it starts, restarts (SIGHUP) or
        # replaces one. Here each of those runs uvicorn's own code over one worker at a time, with that
        # worker's socket as the list.
        def init_processes(self) -> None:
            for own in sockets:
                process = Process(self.config, [own])
                process.start()
                self.processes.append(process)

        def _each(self, step: Callable[[Multiprocess], None]) -> None:
            whole = self.processes
            try:
                for idx in range(len(whole)):
                    self.sockets, self.processes = [sockets[idx]], [whole[idx]]
                    step(self)
                    whole[idx] = self.processes[0]
            finally:
                self.sockets, self.processes = sockets, whole

        def restart_all(self) -> None:
            self._each(Multiprocess.restart_all)

        def keep_subprocess_alive(self) -> None:
            self._each(Multiprocess.keep_subprocess_alive)

    return OwnSocketWorkers(config, sockets=sockets)


def serve_on(app_: Any, sock: socket.socket, *, workers: int = 1) -> None:
    """Run the ASGI app under uvicorn on an already bound socket. With ``workers`` > 1, ``app_`` is a picklable
    factory that each worker process calls to build its own app; each worker listens on a socket of its own
    (``worker_sockets``), and uvicorn's supervisor restarts a worker that dies (on the same socket) and stops
    them all on SIGTERM or Ctrl-C."""
    import uvicorn

    from gazette.publish.connection import UVICORN_OPTIONS

    if workers > 1 and hasattr(socket, "SO_REUSEPORT"):
        factory = functools.partial(settled, app_)
        config = uvicorn.Config(factory, factory=True, workers=workers, **UVICORN_OPTIONS)
        own_socket_workers(config, worker_sockets(sock, workers)).run()
        return
    if workers > 1:
        from uvicorn.supervisors.multiprocess import Multiprocess

        factory = functools.partial(settled, app_)
        config = uvicorn.Config(factory, factory=True, workers=workers, **UVICORN_OPTIONS)
        Multiprocess(config, sockets=[sock]).run()
        return
    settle_heap()
    server = uvicorn.Server(uvicorn.Config(app_, **UVICORN_OPTIONS))
    server.run(sockets=[sock])
    if not server.started:
        raise fail("the server did not start")


def progress_display(
    label: str = "{task.description}", *, to: Console | None = None, transient: bool = True
) -> Progress:
    """The progress display of a long command: its label, a bar, done of total and the time elapsed, on stderr
    (``to``: another console); a transient one is cleared when done, leaving the command's summary alone."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=to or console,
        transient=transient,
    )


def run_ingest(settings: Settings, db: Any, feed_urls: list[str] | None, force: bool = False) -> Any:
    from gazette.pipeline import Pipeline

    with progress_display("[bold]{task.description}", transient=False) as progress:
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
