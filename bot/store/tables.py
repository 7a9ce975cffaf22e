"""The settings store's tables (SQLAlchemy 2 declarative). The schema itself is made and upgraded by the
Alembic migrations in `bot/store/migrations/`, never by `create_all`: a table changed here needs a new
migration there (tests/bot/store/test_migrations.py compares the two)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class GuildSettingsRow(Base):
    """One server's own settings; a NULL column means "use the operator's `.env` default"."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    brief_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    brief_time: Mapped[str | None] = mapped_column(String(5))  # HH:MM, local to `timezone`
    timezone: Mapped[str | None] = mapped_column(String(64))  # an IANA name, e.g. Europe/Paris
    topics_include: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics_exclude: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer_channel_ids: Mapped[list[int] | None] = mapped_column(JSON)  # NULL: every channel
    brief_role_id: Mapped[int | None] = mapped_column(BigInteger)
    delivery_problem: Mapped[str | None] = mapped_column(Text)  # told to admins at their next /settings
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GuildSourceRow(Base):
    """A feed or web page one server's admins added: indexed for, and retrievable by, that server only."""

    __tablename__ = "guild_sources"
    __table_args__ = (UniqueConstraint("guild_id", "kind", "value", name="uq_guild_sources"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "feed" or "url"
    value: Mapped[str] = mapped_column(String(500))


class PostedBriefRow(Base):
    """A daily brief claimed (then posted) for one server's local day. The primary key is what stops a
    second post: after a restart, or from another process, the insert fails and nothing is sent."""

    __tablename__ = "posted_briefs"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the server's local date
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # set once the header is sent
    outcome: Mapped[str] = mapped_column(String(16), default="claimed")  # claimed, posted, failed
