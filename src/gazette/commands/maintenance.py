"""Command line for upkeep of the store: `gazette recluster` rebuilds stories and duplicate links."""

from __future__ import annotations

from typing import Annotated

import typer

from gazette.commands.common import ConfigOpt, fail, open_db, out, progress_display, settings_from


def recluster(
    batch: Annotated[
        int, typer.Option("--batch", min=1, help="Articles read from the database at a time.")
    ] = 500,
    config: ConfigOpt = None,
) -> None:
    """Rebuild every story and near-duplicate link from the stored articles, oldest first, in one transaction.

    A story keeps its id (and URL) when most of its articles stay together; the old URL of a merged or split
    story answers 301 to the story that holds most of its articles.
    """

    from gazette.errors import GazetteError
    from gazette.pipeline import recluster as rebuild

    settings = settings_from(config)
    db = open_db(settings)
    try:
        db.init()  # an older database gains the story tables here
        with progress_display("reclustering", to=out) as progress:
            task = progress.add_task("articles", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            with db.session() as session:
                report = rebuild(
                    session, on_progress=advance, batch=batch, max_chars=settings.enrich.max_chars
                )
    except GazetteError as exc:
        raise fail(str(exc)) from exc
    finally:
        db.dispose()
    out.print(
        f"{report.articles} articles in {report.stories} stories "
        f"({report.multi_source_stories} from more than one source), {report.duplicates} near-duplicates; "
        f"{report.kept} story ids kept, {report.redirected} redirected"
    )


def register(app: typer.Typer) -> None:
    app.command("recluster")(recluster)
