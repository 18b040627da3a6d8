"""Command line: `gazette backfill` — WARC archives through extract → enrich → store on a Dask cluster.

The client scans the files and cuts them into record ranges; each range is one Dask task
(``pipeline.backfill_range``) that writes its articles in batches with idempotent upserts. When every task is
done, the client places the new articles in stories, in publication order (``Pipeline.assign_stories``), while
the workers make the next chunks' story features and fingerprints (``pipeline.dask_story_inputs``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from gazette.commands.common import ConfigOpt, console, fail, open_db, out, settings_from, state

logger = logging.getLogger(__name__)

RANGES_PER_BATCH = 4  # a task is this many batches of records: long enough that Dask's overhead is noise


def backfill(
    paths: Annotated[list[Path], typer.Argument(help="WARC or WARC.gz files.", metavar="PATH...")],
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, help="Worker processes of the local cluster (default: one per core)."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Address of an existing Dask scheduler (tcp://host:8786); without it a local cluster starts.",
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Articles a worker writes in one transaction.")
    ] = 250,
    config: ConfigOpt = None,
) -> None:
    """Backfill archived pages: every HTML response in the WARC files is extracted, enriched and stored as
    `gazette ingest` would, on a Dask cluster; stories and near-duplicates are assigned after, in date order.
    A run again skips what is stored."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from gazette.config import cpu_cores
    from gazette.errors import GazetteError
    from gazette.ingest.warc import WarcRange, plan_ranges
    from gazette.pipeline import BackfillCounts, Pipeline, dask_story_inputs
    from gazette.store.bulk import Statistics

    settings = settings_from(config)
    db = open_db(settings)
    ranges: list[WarcRange] = []
    for path in paths:
        if not path.is_file():
            raise fail(f"not a file: {path}", 2)
        try:
            ranges.extend(plan_ranges(path, batch_size * RANGES_PER_BATCH))
        except GazetteError as exc:
            raise fail(str(exc), 2) from exc
    total_records = sum(r.count for r in ranges)
    counts = BackfillCounts()
    statistics = Statistics(db)
    started = time.monotonic()
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]} records/s"),
        TimeElapsedColumn(),
        console=console,
    )
    try:
        with progress, _cluster(workers or cpu_cores(), scheduler, start=bool(ranges)) as client:
            task = progress.add_task("records", total=total_records, rate="-")
            if client is not None:
                _run_ranges(client, settings, ranges, batch_size, counts, statistics, progress, task, started)
            stories = progress.add_task("stories", total=None, rate="-")

            def advance(done: int, total: int) -> None:
                progress.update(stories, completed=done, total=total)

            statistics.analyze()
            with Pipeline(settings, db, processes=1) as pipeline:
                # the workers make each chunk's story features ahead; the client places the articles in order
                prepare = dask_story_inputs(client, settings) if client is not None else None
                pipeline.assign_stories(on_progress=advance, prepare=prepare)
            with db.session() as s:
                from gazette.store.bulk import duplicate_ids

                near = len(duplicate_ids(s, counts.new_ids))
    except KeyboardInterrupt:
        console.print(
            "interrupted: batches written so far are kept; run the same command again to finish", markup=False
        )
        raise typer.Exit(130) from None
    except GazetteError as exc:
        raise fail(f"backfill stopped: {exc}; what is stored is kept, run it again to finish") from exc
    finally:
        db.dispose()
    for failure in counts.failures[:50]:
        console.print(f"failed {failure.url}: {failure.reason}", markup=False, soft_wrap=True)
    if len(counts.failures) > 50:
        console.print(f"… and {len(counts.failures) - 50} more failures", markup=False)
    new, duplicates = counts.new - near, counts.duplicates + near
    out.print(
        f"backfilled {counts.records} records: {new} new, {duplicates} duplicates, "
        f"{counts.skipped} skipped, {counts.failed} failed",
        markup=False,
    )


@contextlib.contextmanager
def _cluster(workers: int, scheduler: str | None, *, start: bool) -> Iterator[Any]:
    """A Dask client for the run (None when there is nothing to send it): on the existing scheduler, else on a
    local cluster of ``workers`` processes, closed at the end."""
    from distributed import Client, LocalCluster

    if not start:
        yield None
        return
    if state.verbose < 2:  # Dask logs every start and stop at INFO; -vv shows them
        logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="20s")
        else:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address="127.0.0.1:0",  # its status server on a free port, never 8787
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise fail(f"cannot reach the Dask scheduler {scheduler}: {exc}", 2) from exc
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run_ranges(
    client: Any,
    settings: Any,
    ranges: list[Any],
    batch_size: int,
    counts: Any,
    statistics: Any,
    progress: Any,
    task: Any,
    started: float,
) -> None:
    """Run every range as a Dask task and add up what they did, as they finish."""
    from distributed import as_completed

    from gazette.errors import GazetteError
    from gazette.pipeline import backfill_range

    futures = [
        client.submit(backfill_range, settings, rng, batch_size=batch_size, pure=False, retries=2)
        for rng in ranges
    ]
    for future in as_completed(futures):
        try:
            part = future.result()
        except (GazetteError, KeyboardInterrupt):
            raise
        except Exception as exc:  # a task that failed on every try; its batches written so far are kept
            raise fail(
                f"backfill stopped: a task failed: {type(exc).__name__}: {exc}; "
                "what is stored is kept, run it again to finish"
            ) from exc
        counts.add(part)
        statistics.grown(counts.new)
        rate = counts.records / max(time.monotonic() - started, 1e-6)
        progress.update(task, advance=part.records, rate=f"{rate:,.0f}")


def register(app: typer.Typer) -> None:
    app.command("backfill")(backfill)
