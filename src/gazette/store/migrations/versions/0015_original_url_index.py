"""articles.original_url indexed

``known_urls`` asks whether a page is stored under its canonical or its original URL, for every item of a feed
and every batch of a backfill. The canonical URL has its unique index; the original URL had none, so each such
question read the whole table: at 100,000 articles, a backfill's worker waited on the scan for every batch.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_original_url", "articles", ["original_url"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_articles_original_url", table_name="articles", if_exists=True)
