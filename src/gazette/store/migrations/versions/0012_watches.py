"""Topic watches: saved searches (watches), the articles each matched (watch_articles) and the webhook outbox.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("slug", sa.String(200), nullable=False, unique=True),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("webhook", sa.String(2048), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
    )
    op.create_table(
        "watch_articles",
        sa.Column(
            "watch_id", sa.Integer(), sa.ForeignKey("watches.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("matched_at", _WHEN, nullable=False),
    )
    op.create_index("ix_watch_articles_article_id", "watch_articles", ["article_id"])
    op.create_table(
        "watch_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("watch_id", sa.Integer(), sa.ForeignKey("watches.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("idempotency_key", sa.String(100), nullable=False, unique=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", _WHEN, nullable=False),
        sa.Column("delivered_at", _WHEN, nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.UniqueConstraint("watch_id", "article_id", name="uq_watch_outbox_watch_article"),
    )
    op.create_index("ix_watch_outbox_due", "watch_outbox", ["delivered_at", "next_attempt_at"])
    op.create_index("ix_watch_outbox_article_id", "watch_outbox", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_watch_outbox_article_id", table_name="watch_outbox")
    op.drop_index("ix_watch_outbox_due", table_name="watch_outbox")
    op.drop_table("watch_outbox")
    op.drop_index("ix_watch_articles_article_id", table_name="watch_articles")
    op.drop_table("watch_articles")
    op.drop_table("watches")
