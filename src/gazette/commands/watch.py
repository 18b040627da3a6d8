"""CLI: topic watches — ``gazette watch add``, ``watch list`` and ``watch remove``.

A watch is a saved ``/search``: the same query syntax and the same filter values, checked here the way the
search page reads them (``publish.search.parse_filter``), so a watch never means something the search page
would not. It matches the articles stored after it was created; its page is ``/watch/<slug>/``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from gazette.commands.common import (
    ConfigOpt,
    fail,
    out,
    print_listing,
    resolve_section,
    settings_and_db,
)

app = typer.Typer(
    name="watch",
    help="Topic watches: saved searches with their own page, feeds and (optionally) a webhook.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="The watch's name (its page is /watch/<slug of the name>/).")]
_PLACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,199}(/[A-Za-z0-9][A-Za-z0-9_-]{0,199})?", re.ASCII)
MAX_NAME = 200
MAX_QUERY = 500  # what /search reads of a query
MAX_URL = 2048  # the store's URL columns


def _filters(
    session: Any,
    settings: Any,
    section: str | None,
    locale: str | None,
    source: str | None,
    language: str | None,
) -> dict[str, str]:
    """The watch's filter values, as the search page would read them; an unreadable one is the command's
    error (the search page would silently drop it, and the watch would then match far too much)."""
    from gazette.publish.search import parse_filter

    params: dict[str, str] = {}
    if section is not None:
        params["section"] = resolve_section(settings, section.strip())
    if source is not None:
        params["source"] = source.strip()
    if locale is not None:
        params["locale"] = locale.strip().strip("/")
        if not _PLACE.fullmatch(params["locale"]):
            raise fail(f"--locale {locale!r} is not COUNTRY or COUNTRY/REGION (slugs, as in /locale/…)", 2)
    if language is not None:
        params["language"] = language.strip()
    _flt, form = parse_filter(session, params)
    if source is not None and not form["source"]:
        raise fail(f"unknown source {source!r} (a source slug, as in /source/<slug>/)", 2)
    if language is not None and not form["language"]:
        raise fail(f"--language {language!r} is not a language code (e.g. en, es, pt-BR)", 2)
    # A place nobody has written about yet is kept: the watch starts matching once one is.
    return {key: form[key] or params[key] for key in params}


@app.command("add")
def add(
    name: NameArg,
    query: Annotated[
        str, typer.Option("--query", "-q", help='Words to find, as on /search ("phrase", OR, -word, word*).')
    ],
    section: Annotated[str | None, typer.Option(help="Only this section (slug or name).")] = None,
    locale: Annotated[
        str | None,
        typer.Option(
            help="Only articles about this place: COUNTRY or COUNTRY/REGION slugs.", metavar="PLACE"
        ),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only this source (its slug).")] = None,
    language: Annotated[str | None, typer.Option(help="Only this language code (e.g. es).")] = None,
    webhook: Annotated[
        str | None,
        typer.Option(
            help="POST each new matching article here as JSON (public address, or in [fetch] allow_hosts)."
        ),
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            help="Sign each webhook body: X-Gazette-Signature: sha256=<HMAC-SHA256>. Never printed."
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Save a search as a watch, matching every article stored from now on.

    The watch lists its articles at /watch/<slug>/ (with feed.rss, feed.atom and feed.json) and, with
    --webhook, POSTs each one once as JSON, retried with backoff until the receiver answers 2xx.
    """
    from slugify import slugify

    from gazette.errors import BlockedAddress
    from gazette.ingest.guard import check_url
    from gazette.store import textindex
    from gazette.store import watches as watch_store
    from gazette.urls import is_http_url

    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise fail(f"a watch needs a name of 1 to {MAX_NAME} characters", 2)
    slug = slugify(name, max_length=100)
    if not slug:
        raise fail(f"the name {name!r} gives no URL slug; use letters or digits", 2)
    if len(query) > MAX_QUERY:
        raise fail(f"--query is longer than {MAX_QUERY} characters (as /search reads it)", 2)
    if not textindex.parse_query(query):
        raise fail(f"--query {query!r} holds no word to search for", 2)
    if secret is not None and not webhook:
        raise fail("--secret signs webhook deliveries: give --webhook too", 2)
    if secret is not None and not secret:
        raise fail("--secret is empty", 2)
    settings, db = settings_and_db(config)
    if webhook is not None:
        webhook = webhook.strip()
        if not is_http_url(webhook) or len(webhook) > MAX_URL:
            raise fail(
                f"--webhook {webhook[:200]!r} is not an http(s) URL of at most {MAX_URL} characters", 2
            )
        try:
            check_url(webhook, settings.fetch.allow_hosts)
        except BlockedAddress as exc:
            raise fail(
                f"--webhook refused: {exc.message} (a local receiver must be listed in [fetch] allow_hosts)",
                2,
            ) from exc
    with db.session() as s:
        if watch_store.watch_by_name(s, name) is not None:
            raise fail(f"a watch named {name!r} exists already (see `gazette watch list`)")
        if watch_store.watch_by_slug(s, slug) is not None:
            raise fail(f"another watch already has the page /watch/{slug}/; choose another name")
        filters = _filters(s, settings, section, locale, source, language)
        watch = watch_store.add_watch(
            s,
            name=name,
            slug=slug,
            query=query.strip(),
            filters=filters,
            webhook=webhook,
            secret=secret,
            now=datetime.now(UTC),
        )
        path = watch.path
    db.dispose()
    out.print(f"watch added: {name} → {settings.site.base_url.rstrip('/')}{path}", markup=False)


def _watches_table(records: list[dict[str, Any]]) -> Table:
    table = Table()
    for column in ("name", "query", "filters", "webhook", "delivered", "pending", "failed"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(
            Text(r["name"]),
            Text(r["query"]),
            Text(", ".join(f"{k}={v}" for k, v in sorted(r["filters"].items())) or "-"),
            Text(r["webhook"] or "-"),
            Text(str(r["delivered"])),
            Text(str(r["pending"])),
            Text(str(r["failed"]), style="red" if r["failed"] else ""),
        )
    return table


@app.command("list")
def list_(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per watch and line instead of a table.")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """List the watches with their query, filters, webhook and deliveries (delivered, pending, failed)."""
    from gazette.store import watches as watch_store

    def collect(s: Any) -> list[dict[str, Any]]:
        counts = watch_store.delivery_counts(s)
        records = []
        for w in watch_store.list_watches(s):
            c = counts.get(w.id, watch_store.DeliveryCounts())
            records.append(
                {
                    "name": w.name,
                    "query": w.query,
                    "filters": dict(w.filters or {}),
                    "webhook": w.webhook,
                    "delivered": c.delivered,
                    "pending": c.pending,
                    "failed": c.failed,
                }
            )  # the secret stays in the store
        return records

    print_listing(
        config,
        collect,
        as_json=as_json,
        empty="no watches; add one with `gazette watch add NAME --query WORDS`",
        table=_watches_table,
    )


@app.command("remove")
def remove(name: NameArg, config: ConfigOpt = None) -> None:
    """Delete a watch, its page and its deliveries not yet sent (the articles stay published)."""
    from gazette.store import watches as watch_store

    _, db = settings_and_db(config)
    with db.session() as s:
        watch = watch_store.watch_by_name(s, name.strip())
        if watch is None:
            raise fail(f"no watch named {name!r} (see `gazette watch list`)")
        watch_store.remove_watch(s, watch)
    db.dispose()
    out.print(f"watch removed: {name.strip()}", markup=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="watch")
