"""The CLI's commands, one module per room; each has ``register(app)``, which ``gazette.cli`` calls in order.

What the commands share (consoles, the one-line error, settings and database opening, the input readers) is
in ``commands.common``; no command imports ``gazette.cli``.
"""
