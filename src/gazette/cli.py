"""Command line: the only place that reads argv and configures logging. It assembles the commands of
``gazette.commands`` (each module registers its own) and turns every failure into one line on stderr."""

from __future__ import annotations

import logging
import sys
from typing import Annotated, Any

import typer

from gazette.commands import (
    backfill,
    brief,
    build,
    corrections,
    ingest,
    locales,
    maintenance,
    migrate_db,
    run,
    sections,
    serve,
    setup,
    subscriptions,
    takedowns,
    watch,
)
from gazette.commands.common import ConfigOpt, print_error, state

logger = logging.getLogger(__name__)


class GazetteApp(typer.Typer):
    """The ``gazette`` command: as the console script runs it, every failure ends as one line on stderr and a
    non-zero exit status — usage errors and unexpected exceptions included, never a traceback (``-vv`` logs
    one). Tests that invoke the Typer app directly (CliRunner) see Typer's own behaviour."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return super().__call__(*args, **kwargs)
        sys.exit(self._run())

    def _run(self) -> int:
        try:
            result = super().__call__(standalone_mode=False)
        except typer.Abort:
            print_error("aborted")
            return 1
        except Exception as exc:
            code = getattr(exc, "exit_code", None)
            format_message = getattr(exc, "format_message", None)
            if isinstance(code, int) and callable(format_message):
                # Click's errors (Typer keeps its own copy of Click, so they are recognised by shape).
                if type(exc).__name__ == "NoArgsIsHelpError":
                    return code  # the help is already on the screen
                ctx = getattr(exc, "ctx", None)
                hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
                print_error(f"{format_message()}{hint}")
                return code
            # A bug: still one line, with the traceback in the log at -vv.
            logger.debug("unexpected error", exc_info=True)
            print_error(f"unexpected {type(exc).__name__}: {exc} (run with -vv for the traceback)")
            return 1
        return result if isinstance(result, int) else 0


app = GazetteApp(
    name="gazette",
    help="Gazette: turn publishers' feeds into a trustworthy news site.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main(
    config: ConfigOpt = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More logging (-v info, -vv debug).")
    ] = 0,
) -> None:
    """Gazette ingests RSS/Atom/JSON feeds, extracts and enriches articles, and publishes a news site."""
    state.config = config
    state.verbose = verbose
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if verbose == 0:
        logging.getLogger("gazette").setLevel(logging.ERROR)


# Every command lives in ``gazette.commands.<room>`` and registers itself here, in the order of `--help`.
for _module in (
    setup,
    subscriptions,
    ingest,
    serve,
    build,
    run,
    watch,
    sections,
    locales,
    brief,
    maintenance,
    corrections,
    backfill,
    migrate_db,
    takedowns,
):
    _module.register(app)
