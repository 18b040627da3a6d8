"""CLI: ``gazette run`` — serve the site and keep ingesting each feed when it is due, in one process.

The web server runs in a thread; the scheduler loop (the existing ``Pipeline``, one round per due batch) runs
in another, and the topic watches' webhook sender (``webhooks.delivery_loop``) in a third; the main
thread only waits for SIGTERM or Ctrl-C. On either, the pipeline stores the article in
hand and returns (each article is one transaction, a feed's validators are written after its items), the
server stops, and the process exits 0. Should a network read still hold a worker after the grace period, the
process leaves without it: nothing of its is written, as every write is a committed transaction or none.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from gazette.commands.common import ConfigOpt, fail, open_db, out, settings_from

logger = logging.getLogger(__name__)

GRACE_SECONDS = 8.0  # SIGTERM to exit, including the server's shutdown; the issue allows 10
IDLE_CHECK_SECONDS = 60.0  # longest sleep: feeds added meanwhile (due at once) are seen this soon


def _say(message: str) -> None:

    out.print(message, markup=False, highlight=False)
    sys.stdout.flush()


def scheduler_loop(settings: Any, db: Any, stop: threading.Event, build_dir: Path | None) -> None:
    """Ingest due feeds, rebuild the static site when something changed, sleep until the next feed is due."""
    from gazette.errors import GazetteError
    from gazette.pipeline import Pipeline
    from gazette.store import subscriptions as feed_store

    floor = min(1.0, settings.schedule.min_interval)
    built_version: int | None = None  # the store's change version the static build last showed
    with Pipeline(settings, db, stop=stop) as pipeline:
        while not stop.is_set():
            try:
                report = pipeline.ingest()
            except GazetteError as exc:  # the store failed: keep serving, try again after a pause
                _say(f"ingest stopped: {exc}; retrying in {settings.schedule.min_interval:g} s")
                stop.wait(settings.schedule.min_interval)
                continue
            fetched = report.feeds_ok + report.feeds_not_modified + report.feeds_failed
            if fetched:
                _say(
                    f"{datetime.now(UTC):%H:%M:%S} ingested {fetched} feeds ({report.feeds_failed} failed): "
                    f"{report.new} new, {report.updated} updated"
                )
            if build_dir is not None and not stop.is_set():
                # Rebuilt when the store changed since the last build: this ingest's articles, or a change
                # made by another command meanwhile (an article unpublished, a correction).
                version = _store_version(db)
                if version is None or version != built_version:
                    _build(settings, db, build_dir)
                    built_version = version
            try:
                with db.session() as s:
                    due = feed_store.next_due(s)
            except GazetteError as exc:
                logger.warning("cannot read the schedule: %s", exc)
                due = None
            wait = IDLE_CHECK_SECONDS if due is None else (due - datetime.now(UTC)).total_seconds()
            stop.wait(min(max(wait, floor), IDLE_CHECK_SECONDS, settings.schedule.max_interval))


def _deliveries(settings: Any, db: Any, stop: threading.Event) -> None:
    """The webhook sender beside the scheduler: a failure here is logged and the sender starts again, so one
    bad row cannot stop the desk (every row it took is due again when its claim runs out)."""
    from gazette.webhooks import delivery_loop

    while not stop.is_set():
        try:
            delivery_loop(settings, db, stop)
        except Exception:
            logger.exception("webhook sender failed; starting again")
            stop.wait(settings.watch.retry_seconds)


def _store_version(db: Any) -> int | None:
    """The store's site-wide change version (None when it cannot be read: then the site is rebuilt)."""
    from gazette.errors import GazetteError
    from gazette.store.counts import site_version

    try:
        with db.session() as s:
            return site_version(s)
    except GazetteError as exc:
        logger.warning("cannot read the store's change version: %s", exc)
        return None


def _build(settings: Any, db: Any, outdir: Path) -> None:
    from gazette.errors import GazetteError
    from gazette.publish.static import build_site

    try:
        report = build_site(settings, db, outdir)
    except GazetteError as exc:
        _say(f"static build failed: {exc}")
        return
    _say(f"built {outdir}: {report.summary()}")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def run(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port, printed at start).")] = 8000,
    build: Annotated[
        Path | None,
        typer.Option(
            "--build",
            help="Also keep a static build in OUTDIR, rebuilt incrementally after each ingest that changed "
            "something.",
            metavar="OUTDIR",
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Serve the site and keep ingesting: each feed is fetched when due, on its own adaptive interval.

    SIGTERM or Ctrl-C stops it after the article being stored; it exits 0.
    """
    import uvicorn

    from gazette.publish.app import create_app
    from gazette.publish.cache import cached_app
    from gazette.publish.connection import UVICORN_OPTIONS

    if not 0 <= port <= 65535:
        raise fail(f"--port must be between 0 and 65535, not {port}", 2)
    if build is not None and build.exists() and not build.is_dir():
        raise fail(f"--build {build} is a file, not a folder", 2)
    settings = settings_from(config)
    db = open_db(settings)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # Bind here, in the main thread, so that an address in use is one clear error before anything starts.
    try:
        listener = socket.create_server((host, port), family=_family(host), backlog=2048)
    except OSError as exc:
        raise fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from exc
    bound = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(cached_app(create_app(settings, db), db), host=host, port=bound, **UVICORN_OPTIONS)
    )
    web = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="web", daemon=True)
    web.start()
    while not server.started and web.is_alive() and not stop.is_set():
        time.sleep(0.05)
    if not server.started and not stop.is_set():
        raise fail(f"cannot serve on {host}:{bound}")
    if server.started:
        _say(f"Gazette at http://{host}:{bound}/  (SIGTERM or Ctrl-C to stop)")

    desk = threading.Thread(target=scheduler_loop, args=(settings, db, stop, build), name="desk", daemon=True)
    desk.start()
    webhooks = threading.Thread(target=_deliveries, args=(settings, db, stop), name="webhooks", daemon=True)
    webhooks.start()
    while not stop.is_set():
        stop.wait(0.5)
        if not desk.is_alive() or not web.is_alive() or not webhooks.is_alive():
            break
    failed = not stop.is_set()
    stop.set()
    deadline = time.monotonic() + GRACE_SECONDS
    desk.join(timeout=max(0.0, deadline - time.monotonic() - 1.0))
    webhooks.join(timeout=max(0.0, deadline - time.monotonic() - 1.0))
    server.should_exit = True
    web.join(timeout=max(0.1, deadline - time.monotonic()))
    # Pool workers inherit the desk thread's daemon flag, yet the interpreter still joins them at exit.
    lingering = [t for t in threading.enumerate() if t is not threading.current_thread() and t.is_alive()]
    if desk.is_alive() or web.is_alive() or webhooks.is_alive() or lingering:
        # A worker is still inside a network read. The storing side has returned (or holds at most one open
        # transaction, which the database undoes): leave now rather than wait for the read to time out.
        logger.warning("leaving with %d network reads unfinished", len(lingering))
        if failed:
            _say("error: the desk stopped unexpectedly; see the log above")
        else:
            _say("stopped")
        sys.stderr.flush()
        os._exit(1 if failed else 0)
    db.dispose()
    if failed:
        raise fail("the desk stopped unexpectedly; see the log above")
    _say("stopped")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
