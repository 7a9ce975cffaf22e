"""BM25 postings in Tantivy: on disk (memory-mapped), updated in place, filtered inside the index.

Chosen by measurement (docs/scaling.md): SQLite FTS5's bm25() costs ~30 µs per matching row, which
grows with the history (72 ms a query at 4k chunks); Tantivy's top-k BM25 took ~1 ms on the same
data and reads only the postings of the question's terms. Documents are fed the old index's tokens
(`retrieval.text.stems.bm25_terms`) through the whitespace tokenizer, so stemming and stop words are unchanged.

Writes are buffered by one writer and published by `commit` (an index run's end); readers reload
the committed state cheaply before each search. Tantivy's own lock file keeps a second writer out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import tantivy
from tantivy import FieldType, Occur, Query

WRITER_HEAP_BYTES = 64_000_000  # buffered before Tantivy writes a segment itself
_TENANT_PREFIX = "t:"  # the operator's tenant is "": a raw term must not be empty


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("row", fast=True)  # the chunk's row in the SQLite file: no stored-doc fetch
    builder.add_text_field("article", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("terms", tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_text_field("tenant", tokenizer_name="raw", index_option="basic")
    return builder.build()


class Postings:
    """One generation's Tantivy index (a directory, or in memory when `directory` is None)."""

    def __init__(self, directory: Path | None) -> None:
        self.schema = _schema()
        if directory is None:
            self.index = tantivy.Index(self.schema)
        else:
            directory.mkdir(parents=True, exist_ok=True)
            self.index = tantivy.Index(self.schema, path=str(directory))
        self._writer: Any = None
        self._lock = threading.Lock()

    def _writing(self) -> Any:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        return self._writer

    def add(self, row: int, chunk_id: str, article_id: str, terms: Sequence[str], day: int, tenant: str) -> None:
        with self._lock:
            self._writing().add_document(tantivy.Document(
                id=chunk_id, row=row, article=article_id, terms=" ".join(terms), day=day,
                tenant=_TENANT_PREFIX + tenant))

    def delete_articles(self, article_ids: Iterable[str]) -> None:
        with self._lock:
            writer = self._writing()
            for article_id in article_ids:
                writer.delete_documents_by_term("article", article_id)

    @property
    def has_uncommitted(self) -> bool:
        return self._writer is not None

    def commit(self) -> None:
        """Publish the buffered writes, and let the writer (and its lock) go until the next write."""
        with self._lock:
            if self._writer is None:
                return
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None

    def search(self, terms: Sequence[str], depth: int, as_of_day: int | None = None,
               tenants: frozenset[str] | None = None,
               chunk_ids: Sequence[str] | None = None) -> list[tuple[int, float]]:
        """(SQLite row, BM25) of the best `depth` chunks holding any of `terms`, filtered in the index."""
        if not terms or depth <= 0:
            return []
        # Terms are \w+ stems, never query syntax: the parser ORs them (one call, not one per term).
        clauses = [(Occur.Must, self.index.parse_query(" ".join(terms), ["terms"]))]
        if as_of_day is not None:
            clauses.append(self._filter(Query.range_query(self.schema, "day", FieldType.Integer, None, as_of_day)))
        if tenants is not None:
            values = [_TENANT_PREFIX + t for t in sorted(tenants)]
            clauses.append(self._filter(Query.term_set_query(self.schema, "tenant", values)))
        if chunk_ids is not None:
            clauses.append(self._filter(Query.term_set_query(self.schema, "id", list(chunk_ids))))
        self.index.reload()
        searcher = self.index.searcher()
        hits = searcher.search(Query.boolean_query(clauses), depth, count=False).hits
        rows = searcher.fast_field_values("row", [address for _, address in hits])
        return [(int(row), float(score)) for row, (score, _) in zip(rows, hits, strict=True) if row is not None]

    @staticmethod
    def _filter(query: Query) -> tuple[Occur, Query]:
        """A clause that must match and adds nothing to the score."""
        return Occur.Must, Query.const_score_query(query, 0.0)
