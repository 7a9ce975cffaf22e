"""`GuildStore`: per-server settings, sources and posted briefs in SQLite (default) or PostgreSQL.

Per-server state lives here and nowhere else, so several processes (shards) sharing one PostgreSQL
see the same settings, and a restart loses nothing. Synchronous; the bot calls it off the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.migrate import upgrade
from bot.store.tables import GuildSettingsRow, GuildSourceRow, PostedBriefRow
from retrieval.models import Frozen
from retrieval.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 10_000


class GuildConfig(Frozen):
    """One server's own settings; None means the operator's `.env` default applies."""

    guild_id: int
    brief_channel_id: int | None = None
    brief_time: time | None = None
    timezone: str | None = None
    topics_include: tuple[str, ...] = ()
    topics_exclude: tuple[str, ...] = ()
    answer_channel_ids: tuple[int, ...] | None = None  # None: every channel
    brief_role_id: int | None = None
    delivery_problem: str | None = None
    updated_at: datetime | None = None  # when a setting last changed (no brief is due from before it)

    @property
    def sets_brief(self) -> bool:
        """Whether the server chose anything about its daily brief: then the scheduler posts it, not the
        `.env` default loop."""
        return any((self.brief_channel_id, self.brief_time, self.timezone, self.brief_role_id,
                    self.topics_include, self.topics_exclude))


class GuildSource(Frozen):
    kind: str
    value: str


class PostedBrief(Frozen):
    guild_id: int
    day: date
    channel_id: int
    outcome: str
    message_id: int | None = None


SETTABLE = frozenset(GuildConfig.model_fields) - {"guild_id", "updated_at"}
Clock = Callable[[], datetime]


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite waits for a busy file instead of failing at once."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class GuildStore:
    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> GuildStore:
        """The configured database, migrated to the newest schema before anything reads it."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.database_url_or_default)
        upgrade(engine)
        return cls(engine, clock)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # --- settings ---------------------------------------------------------------------------
    def get(self, guild_id: int) -> GuildConfig:
        with self._session() as session:
            row = session.get(GuildSettingsRow, guild_id)
            return _config(row) if row else GuildConfig(guild_id=guild_id)

    def update(self, guild_id: int, **changes: Any) -> GuildConfig:
        """Set some of a server's settings (None puts a setting back to the default)."""
        unknown = set(changes) - SETTABLE
        if unknown:
            raise ValueError(f"not a server setting: {sorted(unknown)}")
        with self._session() as session:
            row = session.get(GuildSettingsRow, guild_id) or _new_row(session, guild_id)
            for name, value in changes.items():
                setattr(row, name, _column_value(name, value))
            row.updated_at = self.clock()
            session.flush()
            return _config(row)

    def all_guilds(self) -> list[GuildConfig]:
        """Every server with settings of its own, for the scheduler."""
        with self._session() as session:
            return [_config(row) for row in session.scalars(select(GuildSettingsRow))]

    def take_problem(self, guild_id: int) -> str | None:
        """The delivery problem to tell this server's admins, cleared once told."""
        with self._session() as session:
            row = session.get(GuildSettingsRow, guild_id)
            problem = row.delivery_problem if row else None
            if row is not None and problem:
                row.delivery_problem = None
            return problem

    # --- sources ----------------------------------------------------------------------------
    def sources(self, guild_id: int) -> list[GuildSource]:
        with self._session() as session:
            rows = session.scalars(select(GuildSourceRow).where(GuildSourceRow.guild_id == guild_id)
                                   .order_by(GuildSourceRow.id))
            return [GuildSource(kind=r.kind, value=r.value) for r in rows]

    def add_source(self, guild_id: int, kind: str, value: str) -> bool:
        """False when the server already has it."""
        try:
            with self._session() as session:
                session.add(GuildSourceRow(guild_id=guild_id, kind=kind, value=value))
        except IntegrityError:
            return False
        return True

    def remove_source(self, guild_id: int, kind: str, value: str) -> bool:
        """False when the server has no such source."""
        with self._session() as session:
            result = session.execute(delete(GuildSourceRow).where(
                GuildSourceRow.guild_id == guild_id, GuildSourceRow.kind == kind, GuildSourceRow.value == value))
            return bool(getattr(result, "rowcount", 0))

    def guilds_with_sources(self) -> list[int]:
        with self._session() as session:
            return sorted(set(session.scalars(select(GuildSourceRow.guild_id))))

    def forget_guild(self, guild_id: int) -> None:
        """Everything stored for a server the bot has left."""
        with self._session() as session:
            for table in (GuildSourceRow, PostedBriefRow):
                session.execute(delete(table).where(table.guild_id == guild_id))
            session.execute(delete(GuildSettingsRow).where(GuildSettingsRow.guild_id == guild_id))

    # --- posted briefs ----------------------------------------------------------------------
    def claim_brief(self, guild_id: int, day: date, due_at: datetime, channel_id: int) -> bool:
        """Claim a server's brief of its local `day`; False when it was already claimed (posted, being
        posted by another process, or failed: a failure is not retried the same day)."""
        try:
            with self._session() as session:
                session.add(PostedBriefRow(guild_id=guild_id, day=day, due_at=due_at, channel_id=channel_id,
                                           claimed_at=self.clock(), outcome="claimed"))
        except IntegrityError:
            return False
        return True

    def finish_brief(self, guild_id: int, day: date, outcome: str, message_id: int | None = None,
                     problem: str | None = None) -> None:
        """Record how a claimed brief went; a problem is kept for the admins' next /settings."""
        with self._session() as session:
            row = session.get(PostedBriefRow, (guild_id, day))
            if row is not None:
                row.outcome, row.message_id = outcome, message_id
            if problem is not None:
                settings_row = session.get(GuildSettingsRow, guild_id) or _new_row(session, guild_id)
                settings_row.delivery_problem = problem

    def posted_briefs(self, guild_id: int) -> list[PostedBrief]:
        with self._session() as session:
            rows = session.scalars(select(PostedBriefRow).where(PostedBriefRow.guild_id == guild_id)
                                   .order_by(PostedBriefRow.day))
            return [PostedBrief(guild_id=r.guild_id, day=r.day, channel_id=r.channel_id, outcome=r.outcome,
                                message_id=r.message_id) for r in rows]


def _new_row(session: Session, guild_id: int) -> GuildSettingsRow:
    row = GuildSettingsRow(guild_id=guild_id, topics_include=[], topics_exclude=[])
    session.add(row)
    return row


def _column_value(name: str, value: Any) -> Any:
    if name == "brief_time" and isinstance(value, time):
        return value.strftime("%H:%M")
    if name in ("topics_include", "topics_exclude"):
        return list(value or ())
    if name == "answer_channel_ids" and value is not None:
        return [int(v) for v in value]
    return value


def _config(row: GuildSettingsRow) -> GuildConfig:
    return GuildConfig(
        guild_id=row.guild_id,
        brief_channel_id=row.brief_channel_id,
        brief_time=time.fromisoformat(row.brief_time) if row.brief_time else None,
        timezone=row.timezone,
        topics_include=tuple(row.topics_include or ()),
        topics_exclude=tuple(row.topics_exclude or ()),
        answer_channel_ids=tuple(row.answer_channel_ids) if row.answer_channel_ids is not None else None,
        brief_role_id=row.brief_role_id,
        delivery_problem=row.delivery_problem,
        updated_at=_aware(row.updated_at),
    )


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
