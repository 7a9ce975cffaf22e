"""The index's single-writer lock: a file lock on one machine, a PostgreSQL advisory lock across machines.

A file lock only excludes processes that share the file system. When the database is PostgreSQL
(several bot processes, maybe on several hosts, sharing one Chroma server), the lock is a session
advisory lock on one held connection: the server releases it when that connection ends, so a writer that
dies (even by SIGKILL, or its host going away) never leaves the lock behind.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from filelock import FileLock, Timeout

from retrieval.settings import Settings

if TYPE_CHECKING:  # SQLAlchemy is imported only when the lock is PostgreSQL's (a cold start saves ~0.15 s)
    from sqlalchemy import Connection

LOCK_NAME = "briefbot:index-writer"


class WriterLock(Protocol):
    """`acquire()` returns at once, or raises `filelock.Timeout` when another writer holds the lock."""

    def acquire(self) -> object: ...

    def release(self) -> None: ...


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `pg_try_advisory_lock`, from the lock's name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PostgresAdvisoryLock:
    """`pg_try_advisory_lock` on a connection held for as long as the lock is."""

    def __init__(self, url: str, name: str = LOCK_NAME) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        self.engine = create_engine(url, poolclass=NullPool)
        self.key = advisory_key(name)
        self._connection: Connection | None = None

    def acquire(self) -> object:
        from sqlalchemy import text

        connection = self.engine.connect()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
        if not got:
            connection.close()
            raise Timeout(LOCK_NAME)
        connection.commit()
        self._connection = connection
        return self

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        from sqlalchemy import text

        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            connection.commit()
        finally:
            connection.close()  # closing alone would release it too


def writer_lock_from_settings(settings: Settings) -> WriterLock:
    """The advisory lock with PostgreSQL, else the file lock `index.lock` in the data dir."""
    if settings.uses_postgresql:
        return PostgresAdvisoryLock(settings.database_url_or_default)
    lock_path: Path = settings.data_dir / "index.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(lock_path), timeout=0)
