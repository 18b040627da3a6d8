"""CLI: ``gazette ingest`` (fetch due feeds and store their articles) and ``gazette extract`` (one page)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from gazette.commands.common import (
    ConfigOpt,
    fail,
    open_db,
    out,
    print_error,
    require_extraction_stack,
    run_ingest,
    settings_from,
)
from gazette.errors import GazetteError


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
    _deliver_webhooks(settings, db)
    if report.feeds_failed and not (report.feeds_ok or report.feeds_not_modified):
        raise typer.Exit(1)


def _deliver_webhooks(settings: Any, db: Any) -> None:
    """Send the topic watches' webhook deliveries that are due (new matches, and retries whose time came)."""
    from gazette.webhooks import Sender

    try:
        with Sender(settings, db) as sender:
            sent = sender.deliver_due()
    except GazetteError as exc:
        print_error(f"webhook deliveries stopped: {exc}; they stay queued for the next run")
        return
    if sent.attempted:
        out.print(f"webhooks: {sent.delivered} delivered, {sent.failed} failed (retried later)", markup=False)


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


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("extract")(extract)
