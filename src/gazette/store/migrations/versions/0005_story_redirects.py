"""Story redirects (permanent story URLs across reclustering) and the story index state row.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_redirects",
        sa.Column("old_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("old_id"),
    )
    op.create_index("ix_story_redirects_story", "story_redirects", ["story_id"])
    op.create_table(
        "story_index_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_membership", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id"),
    )
    # membership ids are handed out from last_membership from now on: start past the ones already there
    op.execute(
        sa.text(
            "INSERT INTO story_index_state (id, token, epoch, last_membership) "
            "SELECT 1, :token, 0, COALESCE(MAX(id), 0) FROM article_stories"
        ).bindparams(token=uuid.uuid4().hex)
    )


def downgrade() -> None:
    op.drop_table("story_index_state")
    op.drop_index("ix_story_redirects_story", table_name="story_redirects")
    op.drop_table("story_redirects")
