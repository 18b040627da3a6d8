"""CLI: ``gazette init`` (create or upgrade the database) and ``gazette config show``."""

from __future__ import annotations

import typer

from gazette.commands.common import ConfigOpt, fail, open_db, out, settings_from
from gazette.config import describe_settings, mask_secrets, mask_url
from gazette.errors import GazetteError


def init(config: ConfigOpt = None) -> None:
    """Create the database (or bring its schema up to date)."""
    settings = settings_from(config)
    db = open_db(settings, create=False)
    try:
        db.init()
    except GazetteError as exc:
        raise fail(mask_secrets(str(exc), settings.database_url)) from exc
    out.print(f"database ready: {mask_url(settings.database_url)}")


def config_show(config: ConfigOpt = None) -> None:
    """Print every setting with its value (secrets masked) and what it does."""
    settings = settings_from(config)
    for key, value, help_text in describe_settings(settings):
        out.print(f"{key} = {value}    # {help_text}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    config_app = typer.Typer(help="Inspect settings.", no_args_is_help=True)
    config_app.command("show")(config_show)
    app.add_typer(config_app, name="config")
