"""The SQLite file of a lexical index (`retrieval.index.lexical`): its tables, its connections and
transactions, and its rows as chunks and back.

The tables: `chunks` (the chunk texts, by the postings' row ids), `articles` (the ledger of what is
indexed: id, day, outlet, title, url, tenant, chunk count, content hash, pending, the record's metadata),
`outlet_counts` (kept by triggers, so stats never count rows) and `info` (the format).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from retrieval.models import Chunk

UNKNOWN_DAY = -1
BUSY_TIMEOUT_SECONDS = 30.0  # a reader waits this long for a writer's transaction (WAL: rarely at all)
MEMORY = ":memory:"
SCHEMA = """
CREATE TABLE IF NOT EXISTS info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles(
    id TEXT PRIMARY KEY, day INTEGER NOT NULL, outlet TEXT NOT NULL, title TEXT NOT NULL, url TEXT,
    tenant TEXT NOT NULL, chunk_count INTEGER NOT NULL, content_hash TEXT NOT NULL,
    pending INTEGER NOT NULL DEFAULT 1, meta TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS articles_day ON articles(day, id);
CREATE INDEX IF NOT EXISTS articles_pending ON articles(pending) WHERE pending = 1;
CREATE TABLE IF NOT EXISTS chunks(
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL, n INTEGER NOT NULL,
    kind TEXT NOT NULL, text TEXT NOT NULL, title TEXT NOT NULL, url TEXT, day INTEGER NOT NULL,
    outlet TEXT NOT NULL, tenant TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS outlet_counts(
    tenant TEXT NOT NULL, outlet TEXT NOT NULL, articles INTEGER NOT NULL, chunks INTEGER NOT NULL,
    PRIMARY KEY (tenant, outlet));
CREATE TRIGGER IF NOT EXISTS articles_counted AFTER INSERT ON articles BEGIN
    INSERT INTO outlet_counts VALUES (new.tenant, new.outlet, 1, new.chunk_count)
    ON CONFLICT (tenant, outlet) DO UPDATE SET articles = articles + 1, chunks = chunks + new.chunk_count;
END;
CREATE TRIGGER IF NOT EXISTS articles_uncounted AFTER DELETE ON articles BEGIN
    UPDATE outlet_counts SET articles = articles - 1, chunks = chunks - old.chunk_count
    WHERE tenant = old.tenant AND outlet = old.outlet;
    DELETE FROM outlet_counts WHERE tenant = old.tenant AND outlet = old.outlet AND articles <= 0;
END;
"""
CHUNK_COLUMNS = "c.id, c.article_id, c.n, c.kind, c.text, c.title, c.url, c.day, c.outlet, c.tenant"


def day_of(value: date | None) -> int:
    return value.toordinal() if value else UNKNOWN_DAY


def chunk_from_row(row: Sequence[Any]) -> Chunk:
    chunk_id, article_id, n, kind, text, title, url, day, outlet, tenant = row[:10]
    return Chunk(id=chunk_id, article_id=article_id, n=n, kind=kind, text=text, title=title, url=url or None,
                 published=date.fromordinal(day) if day > 0 else None, outlet=outlet, tenant=tenant)


def article_row(record: Mapping[str, Any], chunk_count: int) -> tuple[Any, ...]:
    """An article record (with `id`) as the `articles` table's columns, in order."""
    meta = {k: v for k, v in record.items() if k != "id"}
    return (str(record["id"]), int(meta.get("published_day", UNKNOWN_DAY)), str(meta.get("outlet", "unknown")),
            str(meta.get("title", "")), str(meta.get("url") or ""), str(meta.get("tenant") or ""),
            chunk_count, str(meta.get("content_hash", "")), json.dumps(meta))


def tenant_clause(tenants: frozenset[str] | None, column: str) -> tuple[str, list[str]]:
    """` AND column IN (...)` for a tenant filter (none for None: every tenant)."""
    if tenants is None:
        return "", []
    ordered = sorted(tenants)
    return f" AND {column} IN ({','.join('?' * len(ordered))})", ordered


class SqliteFile:
    """The tables in one file (one connection per thread, WAL for other processes), or in memory
    (`MEMORY`: one shared connection behind a lock, since a second one would be another database)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._memory: sqlite3.Connection | None = None
        if path == MEMORY:
            self._memory = sqlite3.connect(MEMORY, check_same_thread=False, isolation_level=None)
            self._memory_lock = threading.Lock()
        self.connection().executescript(SCHEMA)

    @property
    def in_memory(self) -> bool:
        return self._memory is not None

    def connection(self) -> sqlite3.Connection:
        if self._memory is not None:
            return self._memory
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None,
                                 check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def transaction(self) -> Transaction:
        return Transaction(self)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


class Transaction:
    """`with file.transaction() as db:` one IMMEDIATE transaction, committed or rolled back whole."""

    def __init__(self, file: SqliteFile) -> None:
        self.file = file

    def __enter__(self) -> sqlite3.Connection:
        if self.file._memory is not None:
            self.file._memory_lock.acquire()
        db = self.file.connection()
        db.execute("BEGIN IMMEDIATE" if self.file._memory is None else "BEGIN")
        return db

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        db = self.file.connection()
        try:
            db.execute("ROLLBACK" if kind is not None else "COMMIT")
        finally:
            if self.file._memory is not None:
                self.file._memory_lock.release()
