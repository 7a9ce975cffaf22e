"""Per-server settings, sources and posted briefs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("brief_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("brief_time", sa.String(5), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("topics_include", sa.JSON(), nullable=False),
        sa.Column("topics_exclude", sa.JSON(), nullable=False),
        sa.Column("answer_channel_ids", sa.JSON(), nullable=True),
        sa.Column("brief_role_id", sa.BigInteger(), nullable=True),
        sa.Column("delivery_problem", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "guild_sources",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.String(500), nullable=False),
        sa.UniqueConstraint("guild_id", "kind", "value", name="uq_guild_sources"),
    )
    op.create_index("ix_guild_sources_guild_id", "guild_sources", ["guild_id"])
    op.create_table(
        "posted_briefs",
        sa.Column("guild_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("posted_briefs")
    op.drop_index("ix_guild_sources_guild_id", table_name="guild_sources")
    op.drop_table("guild_sources")
    op.drop_table("guild_settings")
