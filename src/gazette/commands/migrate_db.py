"""Command line: `gazette migrate-db --to URL` — copy the whole desk to another database, then check it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gazette.commands.common import ConfigOpt, fail, out, progress_display, settings_from


def migrate_db(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="SQLAlchemy URL of the target, e.g. postgresql+psycopg://user:pass@host/db or sqlite:///copy.db.",
        ),
    ],
    config: ConfigOpt = None,
) -> None:
    """Copy every table of the desk (database_url) into another database — SQLite to PostgreSQL or back — and
    check row counts and a checksum of every article. The target must hold no articles; its schema is created."""
    from gazette.errors import GazetteError
    from gazette.store.migrate import copy_database, masked, preflight

    settings = settings_from(config)
    if "://" not in to:
        raise fail(f"--to is not a database URL: {masked(to)}", 2)
    source_shown, target_shown = masked(settings.database_url), masked(to)
    try:
        preflight(settings.database_url, to)  # before the progress display, so a refusal is one line
        with progress_display() as progress:
            tasks: dict[str, Any] = {}

            def advance(table: str, done: int, total: int) -> None:
                if table not in tasks:
                    tasks[table] = progress.add_task(table, total=total)
                progress.update(tasks[table], completed=done)

            report = copy_database(settings.database_url, to, on_progress=advance)
    except GazetteError as exc:
        raise fail(
            f"migrate-db: {exc}".replace(to, target_shown).replace(settings.database_url, source_shown)
        ) from exc
    for table, rows in report.tables.items():
        out.print(f"{table}: {rows} rows", markup=False)
    out.print(
        f"copied {source_shown} to {target_shown}: {len(report.tables)} tables, "
        f"{report.articles_checked} articles checked",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.command("migrate-db")(migrate_db)
