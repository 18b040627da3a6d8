"""Feed care and adaptive scheduling: pause flag, default section, fixed and learned intervals, last success.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN on both databases. On SQLite, batch mode would copy the table (for the
    # expression default of ``paused``) and drop the old ``feeds``, which foreign keys refuse while articles
    # point at it.
    op.add_column("feeds", sa.Column("default_section", sa.String(100), nullable=True))
    op.add_column("feeds", sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("feeds", sa.Column("fixed_interval", sa.Integer(), nullable=True))
    op.add_column("feeds", sa.Column("learned_interval", sa.Integer(), nullable=True))
    op.add_column("feeds", sa.Column("last_success", sa.DateTime(timezone=True), nullable=True))


_ADDED = ("last_success", "learned_interval", "fixed_interval", "paused", "default_section")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 35, 0):
        # An old SQLite cannot drop a column: batch mode copies the table, which works only while no article
        # points at a feed (dropping the old ``feeds`` trips the foreign keys, and PRAGMA foreign_keys=OFF is
        # ignored inside the migration's transaction).
        with op.batch_alter_table("feeds") as batch:
            for name in _ADDED:
                batch.drop_column(name)
        return
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): the table stays in place, so the articles that
    # reference it keep their foreign keys satisfied — a batch copy would drop ``feeds`` under them.
    for name in _ADDED:
        op.drop_column("feeds", name)
