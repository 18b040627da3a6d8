"""CLI: ``gazette serve`` (the live site) and ``gazette demo`` (a local publisher, ingested and served)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

import typer

from gazette.commands.common import (
    ConfigOpt,
    PortOpt,
    console,
    listen_socket,
    open_db,
    out,
    require_extraction_stack,
    run_ingest,
    serve_on,
    settings_from,
)
from gazette.config import Settings


def site_app(settings: Settings, db: Any = None) -> Any:
    """The served ASGI app: the site behind its response cache (when ``site.cache`` is on). A worker process
    calls it with settings only and opens its own database, since connections never cross a fork or spawn."""
    from gazette.publish.app import create_app
    from gazette.publish.cache import cached_app
    from gazette.store.db import Database

    db = db if db is not None else Database(settings.database_url)
    app_: Any = create_app(settings, db)
    return cached_app(app_, db) if settings.site.cache else app_


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: PortOpt = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Server processes sharing the port (use the machine's core count for the most requests/s; "
            "each keeps its own response cache, all invalidated by the same store changes).",
        ),
    ] = 1,
    config: ConfigOpt = None,
) -> None:
    """Serve the site, feeds, search and JSON API."""
    settings = settings_from(config)
    db = open_db(settings)  # a database that cannot be opened fails here, before any worker starts
    sock = listen_socket(host, port)
    out.print(f"Gazette at http://{host}:{port}/" + (f" ({workers} workers)" if workers > 1 else ""))
    if workers == 1:
        serve_on(site_app(settings, db), sock)
        return
    db.dispose()
    serve_on(functools.partial(site_app, settings), sock, workers=workers)


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
    from gazette.store import subscriptions as feed_store

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


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("demo")(demo)
