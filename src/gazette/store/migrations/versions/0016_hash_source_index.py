"""articles indexed by (content_hash, source_id) in place of content_hash alone

``save_article`` asks, for every new article, whether the same publisher stored the same text already
(``content_hash`` and ``source_id``). SQLite, which keeps no statistics unless asked, chose the index on
``source_id`` for that question over the one on ``content_hash``: it read every article of the source to find
the hash, a cost that grew with what the source had published (the lookup is meant to cost the same at the
100th article and the 1,000,000th). With both columns in one index, that index is the only one that answers
both equalities, on either database; a question on the hash alone uses its first column, as before.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_hash_source", "articles", ["content_hash", "source_id"], if_not_exists=True)
    op.drop_index("ix_articles_hash", table_name="articles", if_exists=True)


def downgrade() -> None:
    op.create_index("ix_articles_hash", "articles", ["content_hash"], if_not_exists=True)
    op.drop_index("ix_articles_hash_source", table_name="articles", if_exists=True)
