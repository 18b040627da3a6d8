"""editors' corrections: the overrides that win over re-ingest, and the audit of every change

``article_overrides`` holds, per article and corrected field (section, title, published, author, places), the
editor's value and the value the pipeline last extracted (what ``--revert`` restores). ``corrections`` is the
audit: one row per changed field with the old and new value, who changed it and when. Both go with their
article (ON DELETE CASCADE). Plain CREATE TABLE on both databases.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_overrides",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("extracted", sa.JSON(), nullable=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "field"),
    )
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_corrections_article", "corrections", ["article_id", "time"])


def downgrade() -> None:
    op.drop_index("ix_corrections_article", table_name="corrections")
    op.drop_table("corrections")
    op.drop_table("article_overrides")
