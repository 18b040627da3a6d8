"""Benchmark the gazetteer's first load: the shipped file against the build-and-cache path it replaced.

Every figure comes from a fresh process with an empty home and cache directory, timed from start to exit, its
peak resident memory read from the kernel (wait4). One article is tagged in each, so the tagger's automaton is
built too. Side by side in one run:

- before, first run: what the first command did until now: build the gazetteer from the data packages, write
  the pickle cache, build the tagger (the builder is the same code, so the places are the same);
- before, cached: what later commands did: read that pickle, build the tagger;
- after: read the shipped file (enrich/locales/data/gazetteer.zip), build the tagger — every run is like this;
- after, CLI: `gazette locales TEXT` end to end (Python start, CLI imports, load, tag, print).

CPU time (user + system) is printed beside wall time: on a shared machine wall time grows with the load, CPU
time much less. Targets (issue 12): first `gazette locales` under 3 s and under 300 MB. Exits non-zero when the
CLI run's CPU time or peak memory misses them.

    python bench/gazetteer.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 3.0
TARGET_MB = 300.0
TEXT = "Inmates in Bolívar state rioted on Monday, and guards at Tocorón prison near Maracay were not paid."

TAG = "from gazette.enrich.locales.resolve import Tagger\nTagger(gaz).find_mentions(TEXT)\n"
BEFORE_FIRST = (
    "import pickle, pathlib, sys\n"
    "from gazette.enrich.locales.builder import build_gazetteer\n"
    "gaz = build_gazetteer()\n"
    "path = pathlib.Path(sys.argv[1]) / 'gazette' / 'locales-gazetteer.pickle'\n"
    "path.parent.mkdir(parents=True, exist_ok=True)\n"
    "with path.open('wb') as fh:\n"
    "    pickle.dump(gaz, fh, protocol=pickle.HIGHEST_PROTOCOL)\n" + TAG
)
BEFORE_CACHED = (
    "import pickle, pathlib, sys\n"
    "import gazette.enrich.locales\n"
    "with (pathlib.Path(sys.argv[1]) / 'gazette' / 'locales-gazetteer.pickle').open('rb') as fh:\n"
    "    gaz = pickle.load(fh)\n" + TAG
)
AFTER = "from gazette.enrich.locales import find_mentions\nfind_mentions(TEXT)\n"
IMPORTS_ONLY = "import gazette.enrich.locales\n"


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float


def run_child(argv: list[str], cache: Path) -> Run:
    """One fresh process with an empty HOME and XDG_CACHE_HOME under ``cache``: wall, CPU and peak RSS."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT / "src"),
        "HOME": str(cache),
        "XDG_CACHE_HOME": str(cache),
        "TEXT": TEXT,
    }
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {' '.join(argv[:3])}\n{err}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def python(code: str, cache: Path) -> list[str]:
    return [sys.executable, "-c", "import os\nTEXT = os.environ['TEXT']\n" + code, str(cache)]


def median(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        statistics.median(r.rss_mb for r in runs),
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each path (the median is printed)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    gazette_cli = [sys.executable, "-c", "from gazette.cli import app; app()", "locales", TEXT]
    rows: dict[str, list[Run]] = {k: [] for k in ("imports", "before", "cached", "after", "cli")}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="gazette-bench-") as tmp:
            cache = Path(tmp)
            rows["imports"].append(run_child(python(IMPORTS_ONLY, cache), cache))
            rows["before"].append(run_child(python(BEFORE_FIRST, cache), cache))
            rows["cached"].append(run_child(python(BEFORE_CACHED, cache), cache))
        for key, argv in (("after", None), ("cli", gazette_cli)):
            with tempfile.TemporaryDirectory(prefix="gazette-bench-") as tmp:
                cache = Path(tmp)
                rows[key].append(run_child(argv or python(AFTER, cache), cache))
                if any(cache.iterdir()):
                    raise SystemExit(f"{key}: something was written under the empty cache directory")
    labels = {
        "imports": "imports only (gazette.enrich.locales)",
        "before": "before: first run (build, write cache, tag)",
        "cached": "before: cached run (read pickle, tag)",
        "after": "after: every run (read shipped file, tag)",
        "cli": "after: `gazette locales TEXT`, end to end",
    }
    print(f"\n{'path':<46} {'wall s':>7} {'CPU s':>7} {'peak MB':>8}   (median of {args.repeat})")
    med = {key: median(runs) for key, runs in rows.items()}
    for key, m in med.items():
        print(f"{labels[key]:<46} {m.wall:7.2f} {m.cpu:7.2f} {m.rss_mb:8.0f}")
    before, cached, after, cli = med["before"], med["cached"], med["after"], med["cli"]
    print(f"\nfirst run, CPU time: after / before = {after.cpu / before.cpu:.3f}")
    print(f"later runs, CPU time: after / cached pickle = {after.cpu / cached.cpu:.2f}")
    print(
        f"shipped file: {(ROOT / 'src/gazette/enrich/locales/data/gazetteer.zip').stat().st_size / 1e6:.2f} MB"
    )
    print(f"RESULT gazetteer.first_run_wall_s {after.wall:.2f} {before.wall:.2f}")
    print(f"RESULT gazetteer.first_run_cpu_s {after.cpu:.2f} {before.cpu:.2f}")
    print(f"RESULT gazetteer.first_run_peak_mb {after.rss_mb:.0f} {before.rss_mb:.0f}")
    print(f"RESULT gazetteer.load_cpu_s_vs_cached_pickle {after.cpu:.2f} {cached.cpu:.2f}")
    print(f"RESULT gazetteer.cli_wall_s {cli.wall:.2f} {TARGET_SECONDS:g}")
    print(f"RESULT gazetteer.cli_cpu_s {cli.cpu:.2f} {TARGET_SECONDS:g}")
    print(f"RESULT gazetteer.cli_peak_mb {cli.rss_mb:.0f} {TARGET_MB:g}")
    missed = cli.cpu > TARGET_SECONDS or cli.rss_mb > TARGET_MB
    if missed:
        print(f"FAIL: the CLI run misses {TARGET_SECONDS:g} s CPU or {TARGET_MB:g} MB", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
