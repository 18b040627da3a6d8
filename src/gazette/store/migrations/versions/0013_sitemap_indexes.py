"""sitemap indexes: the sitemap's articles and stories read from narrow covering indexes

A sitemap part is a run of up to 50,000 articles (or stories) in stored order, found by offset; its index gives
each part's newest change. Read from the tables, both walk the wide article rows (text and HTML) from the first
one: at 1,000,000 articles that is gigabytes per request. These indexes hold exactly the columns the sitemap
reads, in id order, so both are index-only scans:

- ``ix_articles_sitemap``: (id) with date_path, slug, updated_at and fetched_at;
- ``ix_stories_sitemap``: (id) with slug and updated_at, for stories told by two articles or more (the ones a
  sitemap lists; ``publish.pages.MIN_STORY_ARTICLES``).

PostgreSQL carries the extra columns with INCLUDE; SQLite, which reads any index holding every column it needs
without touching the table, as trailing key columns.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

STORIES_LISTED = "article_count >= 2"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_articles_sitemap ON articles (id) "
            "INCLUDE (date_path, slug, updated_at, fetched_at)"
        )
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_stories_sitemap ON stories (id) INCLUDE (slug, updated_at) "
            f"WHERE {STORIES_LISTED}"
        )
    else:
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_articles_sitemap ON articles (id, date_path, slug, updated_at, fetched_at)"
        )
        op.execute(
            f"CREATE INDEX IF NOT EXISTS ix_stories_sitemap ON stories (id, slug, updated_at) WHERE {STORIES_LISTED}"
        )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_stories_sitemap")
    op.execute("DROP INDEX IF EXISTS ix_articles_sitemap")
