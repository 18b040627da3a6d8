"""Where the project's read-only shared folder is (seed page, gold data sets), wherever the checkout lives.

Order: `GAZETTE_SHARED`, then `../shared` beside the checkout, then `/work/shared`. `GAZETTE_DATASETS` overrides the
data set folder alone. Tests that need these files skip with the path they looked at when none exists.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    candidates = [os.environ.get("GAZETTE_SHARED"), REPO.parent / "shared", "/work/shared"]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return REPO.parent / "shared"


SHARED = shared_dir()
DATASETS = Path(os.environ.get("GAZETTE_DATASETS") or SHARED / "datasets")
SEED = SHARED / "seed" / "news-articles-page.txt"


def seed_text() -> str:
    """The seed page's text, or a skip naming where it was looked for."""
    import pytest

    if not SEED.is_file():
        pytest.skip(f"seed page not found at {SEED} (set GAZETTE_SHARED)")
    return SEED.read_text(encoding="utf-8")
