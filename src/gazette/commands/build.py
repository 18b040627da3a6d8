"""CLI: ``gazette build OUTDIR`` — the static site build (publish stage)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gazette.commands.common import ConfigOpt, fail, open_db, out, print_error, settings_from
from gazette.urls import is_http_url


def build(
    outdir: Annotated[
        Path, typer.Argument(help="Folder to write the site into (created if missing).", metavar="OUTDIR")
    ],
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Public address of the built site, used in feeds, sitemaps and canonical links "
            "(default: site.base_url).",
        ),
    ] = None,
    search_url: Annotated[
        str | None,
        typer.Option(
            "--search-url",
            help="A live Gazette server's search page to link from every page (default: no search form, "
            "since a static host cannot search).",
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Write every page, feed and sitemap as static files under OUTDIR; rebuilds rewrite only what changed.

    With site.section_hosts on, one folder per host: OUTDIR/<host>/ (its name without the port).
    """
    from gazette.errors import GazetteError
    from gazette.publish.static import build_site

    for name, value in (("--base-url", base_url), ("--search-url", search_url)):
        if value is not None and not is_http_url(value):
            raise fail(f"{name} must be an http(s) URL: {value}", 2)
    settings = settings_from(config, **({"site": {"base_url": base_url}} if base_url else {}))
    db = open_db(settings)
    try:
        report = build_site(settings, db, outdir, search_url=search_url)
    except GazetteError as exc:
        raise fail(str(exc)) from exc
    finally:
        db.dispose()
    for broken in report.broken:
        print_error(f"{broken.path} ({broken.status}) linked from {broken.referrer}", "broken link")
    out.print(
        f"built {len(report.files)} files ({report.pages} pages) in {outdir}: {report.summary()}",
        markup=False,
    )
    if report.broken:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("build")(build)
