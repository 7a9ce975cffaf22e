"""The lexical index of one generation, beside Chroma: BM25 postings (`postings`, Tantivy) plus an
SQLite file with the chunk texts and the article table.

It replaces a bm25s index refitted over every chunk at each run and at each process start: it is
updated in place by each index run, persisted and opened (not rebuilt), and a search reads only
its terms' postings from disk, so the bot's memory does not hold the history's postings. The
tenant and the published day are filtered inside the postings index, never after the fact.

The article table is the ledger of what is indexed (id, day, outlet, title, url, tenant, chunk
count, content hash, the Chroma record's metadata), with per-outlet counts kept by triggers;
`retrieval.index.catalog` reads it for briefs, stats and autocomplete. The tables, connections and rows
are `lexical_sqlite`'s; the BM25 tokens are `retrieval.text.stems.bm25_terms`.

Crash safety, with Chroma: an article is written here first as *pending* (rows in one SQLite
transaction, postings buffered), then to Chroma; it is marked done only once the postings are
committed (`flush`, at an index run's end). A removal marks it pending, removes it from Chroma,
then from here. Whatever a crash interrupts is pending, and an index run redoes pending articles.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from retrieval.index.chunking import text_for_lexical
from retrieval.index.lexical_sqlite import (
    CHUNK_COLUMNS,
    MEMORY,
    UNKNOWN_DAY,
    SqliteFile,
    Transaction,
    article_row,
    chunk_from_row,
    day_of,
)
from retrieval.index.postings import Postings
from retrieval.models import GLOBAL_TENANT, Chunk
from retrieval.text.stems import bm25_terms

FORMAT = "2"  # of the files; `lexical_files` rebuilds an index of another format from the store
SQLITE_FILE = "articles.sqlite"
POSTINGS_DIR = "postings"


class LexicalStore:
    """One generation's lexical index. Thread-safe: one SQLite connection per thread, WAL for other
    processes; `directory` None keeps everything in memory."""

    def __init__(self, directory: Path | None) -> None:
        self.path = str(directory / SQLITE_FILE) if directory is not None else MEMORY
        self.postings = Postings(directory / POSTINGS_DIR if directory is not None else None)
        self._newest_chunk_day = UNKNOWN_DAY  # of an index built from chunks alone (`from_chunks`)
        self._done_on_flush: list[str] = []
        self._deleted_on_flush: list[str] = []
        self._sqlite = SqliteFile(self.path)
        # A new (empty) index is of this format; one without the key predates it and is rebuilt.
        self.connection().execute(
            "INSERT OR IGNORE INTO info SELECT 'format', ? WHERE NOT EXISTS (SELECT 1 FROM chunks)", (FORMAT,))

    @classmethod
    def from_chunks(cls, chunks: Iterable[Chunk]) -> LexicalStore:
        """An in-memory index of these chunks (benchmarks, stores without a data dir)."""
        index = cls(None)
        listed = list(chunks)
        index.add_chunks(listed)
        index.flush()
        index._newest_chunk_day = max((day_of(c.published) for c in listed), default=UNKNOWN_DAY)
        return index

    def connection(self) -> sqlite3.Connection:
        return self._sqlite.connection()

    def transaction(self) -> Transaction:
        return self._sqlite.transaction()

    def close(self) -> None:
        self._sqlite.close()

    # --- state -------------------------------------------------------------------------------
    def info(self, key: str) -> str | None:
        row = self.connection().execute("SELECT value FROM info WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_info(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO info VALUES (?, ?)", (key, value))

    # --- writes ------------------------------------------------------------------------------
    def add_chunks(self, chunks: Iterable[Chunk], db: sqlite3.Connection | None = None) -> None:
        """Insert or replace these chunks (their text rows and their postings)."""
        if db is None:
            with self.transaction() as tx:
                self.add_chunks(chunks, tx)
            return
        for chunk in chunks:
            day = day_of(chunk.published)
            cursor = db.execute(
                "INSERT OR REPLACE INTO chunks (id, article_id, n, kind, text, title, url, day, outlet, tenant)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (chunk.id, chunk.article_id, chunk.n, chunk.kind, chunk.text, chunk.title, chunk.url, day,
                 chunk.outlet, chunk.tenant))
            self.postings.add(int(cursor.lastrowid or 0), chunk.id, chunk.article_id,
                              bm25_terms(text_for_lexical(chunk)), day, chunk.tenant)

    def put_articles(self, entries: Sequence[tuple[Mapping[str, Any], Sequence[Chunk]]]) -> None:
        """Write articles (record metadata with `id`, and chunks) as pending, in one transaction:
        `mark_done` follows once the store holds them too, so a crash in between is redone."""
        article_ids = [str(record["id"]) for record, _ in entries]
        rewritten = set(article_ids)  # a removal earlier in this run no longer applies to them
        self._deleted_on_flush = [i for i in self._deleted_on_flush if i not in rewritten]
        self.postings.delete_articles(article_ids)
        with self.transaction() as db:
            self._delete(db, article_ids)
            for record, chunks in entries:
                db.execute(
                    "INSERT INTO articles (id, day, outlet, title, url, tenant, chunk_count, content_hash,"
                    " pending, meta) VALUES (?,?,?,?,?,?,?,?,1,?)", article_row(record, len(chunks)))
                self.add_chunks(chunks, db)

    def put_records(self, records: Iterable[Mapping[str, Any]], chunk_counts: Mapping[str, int]) -> None:
        """Article records whose chunks are already here (a migration from the store): done, not pending."""
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO articles (id, day, outlet, title, url, tenant, chunk_count, content_hash,"
                " pending, meta) VALUES (?,?,?,?,?,?,?,?,0,?)",
                [article_row(r, chunk_counts.get(str(r["id"]), 0)) for r in records])

    def mark_done(self, article_ids: Sequence[str]) -> None:
        """Done once the postings are committed: now, or at the next `flush`."""
        if self.postings.has_uncommitted:
            self._done_on_flush.extend(article_ids)
        else:
            self._set_pending(article_ids, 0)

    def flush(self) -> None:
        """Commit the buffered postings, then mark their articles done and finish removals."""
        self.postings.commit()
        done, self._done_on_flush = self._done_on_flush, []
        deleted, self._deleted_on_flush = self._deleted_on_flush, []
        with self.transaction() as db:
            db.executemany("UPDATE articles SET pending = 0 WHERE id = ?", [(i,) for i in done])
            self._delete(db, deleted)

    def mark_pending(self, article_ids: Sequence[str]) -> None:
        self._set_pending(article_ids, 1)

    def _set_pending(self, article_ids: Sequence[str], value: int) -> None:
        with self.transaction() as db:
            db.executemany("UPDATE articles SET pending = ? WHERE id = ?", [(value, i) for i in article_ids])

    def update_meta(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        """Merge metadata changes into article records (as `ChromaStore.update_records` does)."""
        with self.transaction() as db:
            for article_id, change in changes.items():
                row = db.execute("SELECT meta FROM articles WHERE id = ?", (article_id,)).fetchone()
                if row:
                    meta = {**json.loads(row[0]), **change}
                    db.execute("UPDATE articles SET meta = ? WHERE id = ?", (json.dumps(meta), article_id))

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        """Remove articles: their postings now (published by `flush`), their rows at the flush."""
        self.postings.delete_articles(article_ids)
        removed = set(article_ids)
        self._done_on_flush = [i for i in self._done_on_flush if i not in removed]
        self._deleted_on_flush.extend(article_ids)

    @staticmethod
    def _delete(db: sqlite3.Connection, article_ids: Sequence[str]) -> None:
        for article_id in article_ids:
            db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
            db.execute("DELETE FROM articles WHERE id = ?", (article_id,))

    # --- reads -------------------------------------------------------------------------------
    def search(self, question: str, depth: int, as_of_day: int | None = None,
               tenants: frozenset[str] | None = None) -> list[tuple[Chunk, float]]:
        """The `depth` best chunks by BM25 (higher is better), filtered in the index by day and tenant."""
        hits = self.postings.search(bm25_terms(question), depth, as_of_day, tenants)
        chunks = self._rows([row for row, _ in hits])
        return [(chunks[row], score) for row, score in hits if row in chunks]  # a row gone since: skipped

    def scores_for(self, question: str, chunk_ids: Iterable[str]) -> dict[str, float]:
        """BM25 scores of given chunks (0 for a chunk without any of the question's terms)."""
        ids = sorted(set(chunk_ids))
        found = dict.fromkeys(ids, 0.0)
        hits = self.postings.search(bm25_terms(question), len(ids), chunk_ids=ids)
        chunks = self._rows([row for row, _ in hits])
        found.update({chunks[row].id: score for row, score in hits if row in chunks})
        return found

    def _rows(self, rows: Sequence[int]) -> dict[int, Chunk]:
        if not rows:
            return {}
        sql = f"SELECT c.rowid, {CHUNK_COLUMNS} FROM chunks c WHERE c.rowid IN ({','.join('?' * len(rows))})"
        return {found[0]: chunk_from_row(found[1:]) for found in self.connection().execute(sql, list(rows))}

    def newest_day(self) -> int:
        """The newest published day (an index built from chunks alone has no article rows: scan those)."""
        row = self.connection().execute("SELECT max(day) FROM articles").fetchone()
        if row[0] is None:
            return self._newest_chunk_day
        return int(row[0])

    def records(self) -> Iterator[dict[str, Any]]:
        """Every article's record (as the store keeps it); a pending one has no content hash, so an
        index run rewrites it. For index runs, which must know everything indexed."""
        for article_id, meta, pending in self.connection().execute("SELECT id, meta, pending FROM articles"):
            record = {"id": article_id, **json.loads(meta)}
            if pending:
                record["content_hash"] = ""
            yield record

    def written_chunk_ids(self, article_id: str) -> list[str] | None:
        """The chunk ids an article was last written with, when that write finished (so Chroma holds
        exactly these; [] for an article never written); None when a crash left it pending, or an index
        built from chunks alone cannot tell. Saves asking Chroma by `article_id`, which costs seconds
        per article at a million chunks."""
        if self._sqlite.in_memory:
            return None
        db = self.connection()
        row = db.execute("SELECT pending FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is not None and row[0]:
            return None
        return [str(r[0]) for r in db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]

    def outlet_sample(self, outlet: str, days: tuple[int, int] | None, limit: int,
                      tenant: str = GLOBAL_TENANT) -> list[tuple[str, str]]:
        """(article id, chunk text) of one outlet's newest chunks published within `days` (ordinals,
        inclusive; None: any day), at most `limit`. Read through the day index, so the cost follows the
        window, not the history (a Chroma `where` on outlet and day scans every record)."""
        day_filter = "AND a.day BETWEEN ? AND ?" if days is not None else ""
        query = ("SELECT c.article_id, c.text FROM articles a JOIN chunks c ON c.article_id = a.id "
                 f"WHERE a.outlet = ? AND a.tenant = ? {day_filter} ORDER BY a.day DESC, c.n LIMIT ?")
        rows = self.connection().execute(query, (outlet, tenant, *(days or ()), limit))
        return [(str(article_id), str(text)) for article_id, text in rows]

    def published_before(self, day: int) -> list[str]:
        """Ids of articles published before `day` (ordinal); undated articles never expire."""
        rows = self.connection().execute("SELECT id FROM articles WHERE day >= 0 AND day < ?", (day,))
        return [str(row[0]) for row in rows]

    def chunk_count(self) -> int:
        row = self.connection().execute("SELECT coalesce(sum(chunks), 0) FROM outlet_counts").fetchone()
        return int(row[0])

    def iter_chunks(self) -> Iterator[Chunk]:
        for row in self.connection().execute(f"SELECT {CHUNK_COLUMNS} FROM chunks c ORDER BY c.rowid"):
            yield chunk_from_row(row)

