"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29 03:47:28.963070
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("home_url", sa.String(length=2048), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("republish_full_text", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("section", sa.String(length=100), nullable=True),
        sa.Column("etag", sa.String(length=1024), nullable=True),
        sa.Column("last_modified", sa.String(length=200), nullable=True),
        sa.Column("next_check", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_checked", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("canonical_url", sa.String(length=2048), nullable=False),
        sa.Column("original_url", sa.String(length=2048), nullable=False),
        sa.Column("guid", sa.String(length=2048), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("feed_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("site", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("section", sa.String(length=100), nullable=True),
        sa.Column("section_confidence", sa.Float(), nullable=True),
        sa.Column("section_method", sa.String(length=20), nullable=True),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("date_path", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feeds.id"],
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("canonical_url"),
        sa.UniqueConstraint("date_path", "slug", name="uq_articles_day_slug"),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index("ix_articles_hash", ["content_hash"], unique=False)
        batch_op.create_index("ix_articles_published", ["published_at"], unique=False)
        batch_op.create_index("ix_articles_section", ["section"], unique=False)
        batch_op.create_index(batch_op.f("ix_articles_source_id"), ["source_id"], unique=False)

    op.create_table(
        "article_locales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("country_name", sa.Text(), nullable=False),
        sa.Column("region_code", sa.String(length=10), nullable=True),
        sa.Column("region_name", sa.Text(), nullable=True),
        sa.Column("geonames_id", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("spans", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("salience", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("article_locales", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_locales_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_locales_country_code"), ["country_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_locales_region_code"), ["region_code"], unique=False)

    op.create_table(
        "brief_sentences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source_start", sa.Integer(), nullable=False),
        sa.Column("source_end", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("check", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("brief_sentences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_brief_sentences_article_id"), ["article_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("brief_sentences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_brief_sentences_article_id"))

    op.drop_table("brief_sentences")
    with op.batch_alter_table("article_locales", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_locales_region_code"))
        batch_op.drop_index(batch_op.f("ix_article_locales_country_code"))
        batch_op.drop_index(batch_op.f("ix_article_locales_article_id"))

    op.drop_table("article_locales")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_source_id"))
        batch_op.drop_index("ix_articles_section")
        batch_op.drop_index("ix_articles_published")
        batch_op.drop_index("ix_articles_hash")

    op.drop_table("articles")
    op.drop_table("feeds")
    op.drop_table("sources")
