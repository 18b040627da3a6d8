"""CLI: takedowns — ``gazette unpublish``, ``gazette unpublished`` and ``gazette republish``.

An article is named by the URL it was published under (original or canonical) or by Gazette's permalink,
absolute (``https://news.example/content/2026/02/10/x.html``) or as a path (``/content/2026/02/10/x.html``).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from gazette.commands.common import ConfigOpt, fail, open_db, out, print_listing, settings_from

UrlArg = Annotated[
    str,
    typer.Argument(
        help="The article's original URL, or its Gazette permalink (absolute, or a path like "
        "/content/2026/02/10/slug.html).",
        metavar="URL",
    ),
]
MAX_REASON = 2000


def unpublish(
    url: UrlArg,
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="Why it is taken down (kept with the tombstone; never shown on the site).",
            metavar="TEXT",
        ),
    ],
    config: ConfigOpt = None,
) -> None:
    """Take an article down: its page answers 410 Gone, it leaves every listing, feed, sitemap, search result,
    API answer, story and the static build, its text and brief are deleted, and a tombstone keeps any later
    ingest, backfill or copy from bringing it back (`gazette republish` lifts it)."""
    from gazette.store import articles as article_store
    from gazette.store import tombstones as tombstone_store

    reason = " ".join(reason.split())
    if not reason:
        raise fail("--reason must not be empty", 2)
    if len(reason) > MAX_REASON:
        raise fail(f"--reason is longer than {MAX_REASON} characters", 2)
    settings = settings_from(config)
    db = open_db(settings)
    base_url = settings.site.base_url
    with db.session() as s:
        article = article_store.find_by_url(s, url, base_url)
        if article is None:
            stone = tombstone_store.find_tombstone(s, url, base_url)
            if stone is not None:
                raise fail(
                    f"already unpublished on {stone.unpublished_at:%Y-%m-%d %H:%M} UTC: {stone.canonical_url}"
                )
            raise fail(f"no article stored at {url} (give its original URL or its permalink)")
        takedown = tombstone_store.unpublish(s, article, reason)
        stone = takedown.tombstone
        canonical, path, emptied = stone.canonical_url, stone.path, takedown.emptied_story
    db.dispose()
    detail = f"{path} now answers 410 Gone"
    if emptied is not None:
        detail += f"; story {emptied} had no other article and was removed"
    out.print(f"unpublished: {canonical} ({detail})", markup=False)


def _tombstones_table(records: list[dict[str, Any]]) -> Table:
    table = Table()
    table.add_column("url", overflow="fold", min_width=24)  # the key for `gazette republish`: never cut short
    table.add_column("reason", overflow="fold")
    table.add_column("time", min_width=16)
    for r in records:
        url = r["url"] if r["url"] == r["canonical_url"] else f"{r['url']}\n(canonical {r['canonical_url']})"
        table.add_row(Text(url), Text(r["reason"]), Text(r["time"][:16].replace("T", " ")))
    return table


def unpublished(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per article and line instead of a table.")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """List unpublished articles: URL, canonical URL, reason and when they were taken down."""
    from gazette.store import tombstones as tombstone_store

    def collect(s: Any) -> list[dict[str, Any]]:
        return [
            {
                "url": t.url,
                "canonical_url": t.canonical_url,
                "reason": t.reason,
                "time": t.unpublished_at.isoformat(),
            }
            for t in tombstone_store.list_tombstones(s)
        ]

    print_listing(config, collect, as_json=as_json, empty="no unpublished articles", table=_tombstones_table)


def republish(url: UrlArg, config: ConfigOpt = None) -> None:
    """Lift an article's tombstone: its feed fetches it again on the next ingest (its validators are dropped so
    that an unchanged feed is read whole), and a backfill that meets it stores it again."""
    from gazette.store import subscriptions as feed_store
    from gazette.store import tombstones as tombstone_store

    settings = settings_from(config)
    db = open_db(settings)
    with db.session() as s:
        stone = tombstone_store.find_tombstone(s, url, settings.site.base_url)
        if stone is None:
            raise fail(f"no unpublished article at {url} (see `gazette unpublished`)")
        canonical, feed_url = stone.canonical_url, stone.feed_url
        tombstone_store.lift(s, stone)
        feed = feed_store.refetch_feed(s, feed_url) if feed_url else None
        paused = bool(feed is not None and feed.paused)
    db.dispose()
    if feed is None:
        detail = "no subscribed feed lists it: an ingest or backfill that meets it stores it again"
    elif paused:
        detail = f"its feed {feed_url} is paused: `gazette resume-feed` to fetch it again"
    else:
        detail = f"its feed {feed_url} fetches it again on the next ingest"
    out.print(f"republished: {canonical} ({detail})", markup=False)


def register(app: typer.Typer) -> None:
    app.command("unpublish")(unpublish)
    app.command("unpublished")(unpublished)
    app.command("republish")(republish)
