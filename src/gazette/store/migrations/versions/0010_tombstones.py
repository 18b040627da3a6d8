"""Takedowns: the tombstones of unpublished articles.

One row per article taken down by ``gazette unpublish``: the URLs and content hash that keep a later ingest,
backfill or copy from storing it again, the reason and time, and where it was published (its old id, day and
slug, so that the permalink and ``/api/articles/{id}`` answer 410 Gone), with the feed it came from (so that
``gazette republish`` can send that feed to fetch it again).

A new table only: plain ``CREATE TABLE`` on both databases, nothing rebuilt.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tombstones",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("canonical_url", sa.String(2048), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("unpublished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("date_path", sa.String(10), nullable=True),
        sa.Column("slug", sa.String(200), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("feed_url", sa.String(2048), nullable=True),
        sa.UniqueConstraint("canonical_url", name="uq_tombstones_canonical_url"),
    )
    op.create_index("ix_tombstones_url", "tombstones", ["url"])
    op.create_index("ix_tombstones_hash", "tombstones", ["content_hash"])
    op.create_index("ix_tombstones_path", "tombstones", ["date_path", "slug"])
    op.create_index("ix_tombstones_article", "tombstones", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_tombstones_article", table_name="tombstones")
    op.drop_index("ix_tombstones_path", table_name="tombstones")
    op.drop_index("ix_tombstones_hash", table_name="tombstones")
    op.drop_index("ix_tombstones_url", table_name="tombstones")
    op.drop_table("tombstones")
