"""Gazette's public API: what code that drives the news desk without the CLI may rely on.

Build the ``Settings`` (``load_settings``), open a ``Database``, run a ``Pipeline`` (its ``ingest`` returns an
``IngestReport``). The stages pass the ``models`` dataclasses (``FetchedDocument`` in, ``Article`` out) and
raise the ``errors`` tree under ``GazetteError``. A name not in ``__all__`` is internal and may move. Names
load on first use, so ``import gazette`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gazette.config import Settings, load_settings
    from gazette.errors import GazetteError
    from gazette.models import Article, FetchedDocument
    from gazette.pipeline import IngestReport, Pipeline
    from gazette.store.db import Database

__all__ = [
    "Article",
    "Database",
    "FetchedDocument",
    "GazetteError",
    "IngestReport",
    "Pipeline",
    "Settings",
    "load_settings",
]

_HOMES = {
    "Article": "gazette.models",
    "Database": "gazette.store.db",
    "FetchedDocument": "gazette.models",
    "GazetteError": "gazette.errors",
    "IngestReport": "gazette.pipeline",
    "Pipeline": "gazette.pipeline",
    "Settings": "gazette.config",
    "load_settings": "gazette.config",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'gazette' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
