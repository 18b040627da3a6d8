"""Feed care and adaptive scheduling: pause flag, default section, fixed and learned intervals, last success.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("default_section", sa.String(100), nullable=True))
        batch.add_column(sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("fixed_interval", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("learned_interval", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("last_success", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        for name in ("last_success", "learned_interval", "fixed_interval", "paused", "default_section"):
            batch.drop_column(name)
