"""Where the benchmarks find ../shared/datasets: one lookup shared by every bench script."""

from __future__ import annotations

import os
from pathlib import Path

_HERE = Path(__file__).resolve()


def datasets_dir(needs: str | None = None) -> Path:
    """$GAZETTE_DATASETS, else ``shared/datasets`` beside the checkout (or one level up, for a git worktree).

    With ``needs``, the folder must hold that data set; the bench stops with a one-line message otherwise.
    """
    env = os.environ.get("GAZETTE_DATASETS")
    roots = (
        [Path(env)]
        if env
        else [_HERE.parents[2] / "shared" / "datasets", _HERE.parents[3] / "shared" / "datasets"]
    )
    for root in roots:
        if root.is_dir() and (needs is None or (root / needs).is_dir()):
            return root
    wanted = f"{needs} in " if needs else ""
    raise SystemExit(f"{wanted}the shared data sets not found: set GAZETTE_DATASETS")
