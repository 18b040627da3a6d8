"""Run every benchmark at its quick size (what `make bench` does) and print one table of their key figures.

Each bench/*.py is run in turn as its own process, with the quick arguments listed in QUICK (a bench not listed
runs with none; bench/make_corpus.py gets --articles N --out DIR). Their output streams through as they run;
every line of the form

    RESULT <name> <value> <baseline-or-target>

is collected, and the table at the end lists them per bench, beside the bench's exit status and time. A bench
that is missing is skipped with a note; one that fails is reported and the others still run.

    python bench/run.py                 # every bench, quick sizes
    python bench/run.py scale load      # only these
    python bench/run.py --list          # what would run, with which arguments
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SELF = Path(__file__).name
# Quick arguments per bench (the full runs pass their own size flags by hand); "{tmp}" is a scratch folder.
QUICK: dict[str, list[str]] = {
    "make_corpus.py": ["--articles", "2000", "--out", "{tmp}/corpus"],
    "scale.py": ["--articles", "20000", "--requests", "50"],
    "load.py": ["--duration", "10"],
    "pipeline.py": ["--quick", "--speedup-pages", "60"],
    "backfill.py": ["--articles", "300"],
    "adversarial.py": ["--repeat", "1"],
    "gazetteer.py": ["--repeat", "1"],
    "sections.py": ["--limit", "400"],
}
# Benches that must run after another (make_corpus writes what a backfill bench may read).
ORDER = ["make_corpus.py"]


@dataclass
class Outcome:
    name: str
    status: str = "skipped"
    seconds: float = 0.0
    results: list[tuple[str, str, str]] = field(default_factory=list)


def benches(only: list[str]) -> list[str]:
    names = sorted(p.name for p in BENCH.glob("*.py") if p.name != SELF and not p.name.startswith("_"))
    names = [n for n in ORDER if n in names] + [n for n in names if n not in ORDER]
    if only:
        wanted = {o if o.endswith(".py") else f"{o}.py" for o in only}
        for missing in sorted(wanted - set(names)):
            print(f"note: bench/{missing} does not exist here; skipped")
        names = [n for n in names if n in wanted]
    return names


def parse_result(line: str) -> tuple[str, str, str] | None:
    """("name", "value", "baseline") from a `RESULT name value baseline` line, else None."""
    parts = line.split()
    if len(parts) >= 3 and parts[0] == "RESULT":
        return parts[1], parts[2], " ".join(parts[3:]) or "-"
    return None


def run_one(name: str, tmp: str, timeout: float) -> Outcome:
    outcome = Outcome(name)
    args = [a.replace("{tmp}", tmp) for a in QUICK.get(name, [])]
    print(f"\n== bench/{name} {' '.join(args)}", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-u", str(BENCH / name), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            sys.stdout.write(line)
            found = parse_result(line)
            if found:
                outcome.results.append(found)
            if time.monotonic() - started > timeout:
                proc.kill()
                outcome.status = f"killed after {timeout:.0f} s"
                break
        rc = proc.wait()
        if outcome.status == "skipped":
            outcome.status = "ok" if rc == 0 else f"failed (exit {rc})"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    outcome.seconds = time.monotonic() - started
    return outcome


def table(outcomes: list[Outcome]) -> str:
    rows = [("bench", "figure", "value", "baseline/target", "status", "time")]
    for o in outcomes:
        status, took = o.status, f"{o.seconds:.0f} s"
        if not o.results:
            rows.append((o.name, "(no RESULT lines)", "", "", status, took))
        for i, (figure, value, baseline) in enumerate(o.results):
            rows.append(
                (
                    o.name if i == 0 else "",
                    figure,
                    value,
                    baseline,
                    status if i == 0 else "",
                    took if i == 0 else "",
                )
            )
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="bench names to run (default: all)")
    parser.add_argument("--list", action="store_true", help="print what would run and exit")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one bench may take")
    args = parser.parse_args()
    names = benches(args.only)
    if args.list:
        for name in names:
            print(f"bench/{name} {' '.join(QUICK.get(name, []))}")
        return
    started = time.monotonic()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="gazette-bench-") as tmp:
        for name in names:
            outcomes.append(run_one(name, tmp, args.timeout))
    print(f"\n== summary ({time.monotonic() - started:.0f} s in all)\n")
    print(table(outcomes))
    if any(not o.status.startswith("ok") for o in outcomes):
        sys.exit(1)


if __name__ == "__main__":
    main()
