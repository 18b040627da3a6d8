"""CLI commands that belong to one stage; each module has ``register(app)``, called by ``gazette.cli``.

A command module may import ``settings_from``, ``open_database``-style helpers and ``out``/``err`` consoles
from ``gazette.cli`` inside its command functions (not at import time, to avoid an import cycle).
"""
