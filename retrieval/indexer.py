"""Incremental, single-writer indexing: unchanged articles cost nothing, changed ones are replaced whole."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from langchain_core.embeddings import Embeddings

from retrieval import chunking
from retrieval.errors import IndexEmptyError, ReindexRunningError
from retrieval.models import Article, Failure, IndexProgress, IndexReport
from retrieval.store import ChromaStore

log = logging.getLogger(__name__)

EMBED_BATCH_CHUNKS = 256  # chunks embedded per call; progress is reported between batches
VALIDATION_QUERIES = 3
ProgressCallback = Callable[[IndexProgress], None]


def content_hash(article: Article, embedder_id: str) -> str:
    """Everything that changes what gets stored: text, metadata, the chunker and the embedder."""
    payload = [
        article.title, article.url, str(article.published), article.outlet, list(article.outlets),
        article.text, list(article.key_points), list(article.contradictions),
        getattr(chunking, "CHUNKER_VERSION", "1"), embedder_id,
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass
class _Tally:
    total: int
    done: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    embedded: int = 0
    failures: list[Failure] = field(default_factory=list)

    def progress(self, current: str = "") -> IndexProgress:
        return IndexProgress(
            total=self.total, done=self.done, added=self.added, updated=self.updated,
            unchanged=self.unchanged, failed=len(self.failures), current=current,
        )


class Indexer:
    """Writes articles into the store. One writer at a time, across processes (a file lock)."""

    def __init__(self, store: ChromaStore, embeddings: Embeddings, lock_path: Path) -> None:
        self.store = store
        self.embeddings = embeddings
        self.lock = FileLock(str(lock_path), timeout=0)

    def index(
        self,
        articles: Sequence[Article],
        *,
        failures: Iterable[Failure] = (),
        remove_scope: Callable[[str], bool] | None = None,
        keep_origins: Iterable[str] = (),
        merged_duplicates: int = 0,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Index `articles`; remove stored articles whose origin is in `remove_scope` but are gone."""
        lock_path = Path(self.lock.lock_file)
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.lock.acquire()
        except Timeout:
            raise ReindexRunningError("A re-index is already running. Try again when it has finished.") from None
        try:
            return self._index_locked(
                _unique(articles), list(failures), remove_scope, set(keep_origins),
                merged_duplicates, rebuild, progress,
            )
        finally:
            self.store.mark_changed()  # also after a failed run: what it wrote is live
            self.lock.release()

    def _index_locked(
        self,
        articles: list[Article],
        failures: list[Failure],
        remove_scope: Callable[[str], bool] | None,
        keep_origins: set[str],
        merged_duplicates: int,
        rebuild: bool,
        progress: ProgressCallback | None,
    ) -> IndexReport:
        started = time.perf_counter()
        generation = self._staging_generation() if rebuild else None
        stored = self.store.article_hashes(generation)
        tally = _Tally(total=len(articles), failures=failures)
        todo: list[tuple[Article, str]] = []
        for article in articles:
            digest = content_hash(article, self.store.embedder_id)
            if stored.get(article.id) == digest:
                tally.unchanged += 1
                tally.done += 1
            else:
                todo.append((article, digest))
        _notify(progress, tally.progress())
        self._embed_and_store(todo, stored, tally, generation, progress)
        removed = self._remove_gone(articles, remove_scope, keep_origins, generation)
        if generation is not None:
            self._validate_and_switch(generation, sum(1 for _ in articles))
        self.store.mark_indexed(datetime.now(UTC).isoformat(timespec="seconds"))
        return IndexReport(
            added=tally.added, updated=tally.updated, unchanged=tally.unchanged, removed=removed,
            merged_duplicates=merged_duplicates, chunks_embedded=tally.embedded,
            failures=tuple(tally.failures), seconds=round(time.perf_counter() - started, 3),
        )

    def _embed_and_store(
        self,
        todo: list[tuple[Article, str]],
        stored: dict[str, str],
        tally: _Tally,
        generation: str | None,
        progress: ProgressCallback | None,
    ) -> None:
        for group in _batches_by_chunks(todo):
            chunked = [(article, digest, chunking.chunk_article(article)) for article, digest in group]
            texts = [chunking.text_for_embedding(c) for _, _, chunks in chunked for c in chunks]
            vectors = self.embeddings.embed_documents(texts) if texts else []
            tally.embedded += len(texts)
            offset = 0
            for article, digest, chunks in chunked:
                self.store.replace_article(
                    article, digest, chunks, vectors[offset: offset + len(chunks)], generation
                )
                offset += len(chunks)
                if article.id in stored:
                    tally.updated += 1
                else:
                    tally.added += 1
                tally.done += 1
            _notify(progress, tally.progress(current=group[-1][0].title))

    def _remove_gone(
        self,
        articles: list[Article],
        remove_scope: Callable[[str], bool] | None,
        keep_origins: set[str],
        generation: str | None,
    ) -> int:
        if remove_scope is None:
            return 0
        present = {a.id for a in articles}
        gone = [
            str(record["id"])
            for record in self.store.iter_articles(generation)
            if record["id"] not in present
            and remove_scope(str(record.get("origin", "")))
            and not _kept(str(record.get("origin", "")), keep_origins)
        ]
        self.store.delete_articles(gone, generation)
        return len(gone)

    # --- full rebuild ------------------------------------------------------------------------
    def _staging_generation(self) -> str:
        """A fresh generation after the live one; leftovers of a crashed rebuild are dropped first."""
        active = self.store.active_generation()
        number = _generation_number(active)
        for name in self.store.list_generations():
            if _generation_number(name) > number:
                log.warning("dropping leftover staging index %s from an interrupted rebuild", name)
                self.store.drop_generation(name)
        return f"briefbot_g{number + 1}"

    def _validate_and_switch(self, generation: str, expected_articles: int) -> None:
        chunk_count = self.store.count_chunks(generation)
        article_count = self.store.count_articles(generation)
        if expected_articles and (article_count != expected_articles or chunk_count == 0):
            self.store.drop_generation(generation)
            raise IndexEmptyError(
                f"The rebuilt index failed validation ({article_count} of {expected_articles} articles, "
                f"{chunk_count} chunks); the previous index stays live."
            )
        self._known_answer_check(generation)
        previous = self.store.active_generation()
        self.store.switch_to(generation)
        for name in self.store.list_generations():
            if name not in (generation, previous):
                self.store.drop_generation(name)

    def _known_answer_check(self, generation: str) -> None:
        chunk_col, _ = self.store.collections(generation)
        sample = chunk_col.get(limit=VALIDATION_QUERIES, include=["embeddings"])
        embeddings = sample.get("embeddings")
        if embeddings is None:
            return
        for chunk_id, vector in zip(sample["ids"], embeddings, strict=True):
            query = np.asarray([vector], dtype=np.float32)
            hits = chunk_col.query(query_embeddings=query, n_results=3, include=[])["ids"][0]
            if chunk_id not in hits:
                self.store.drop_generation(generation)
                raise IndexEmptyError("The rebuilt index failed a known-answer query; the previous index stays live.")


def _kept(origin: str, keep_origins: set[str]) -> bool:
    """A kept origin keeps its own articles and, for a folder, every file under it."""
    return origin in keep_origins or any(origin.startswith(k.rstrip("/") + "/") for k in keep_origins)


def _unique(articles: Sequence[Article]) -> list[Article]:
    """One article per id (the first wins), so a duplicate id can't be written twice."""
    seen: dict[str, Article] = {}
    for article in articles:
        seen.setdefault(article.id, article)
    return list(seen.values())


def _batches_by_chunks(todo: list[tuple[Article, str]]) -> Iterable[list[tuple[Article, str]]]:
    """Groups of articles holding roughly EMBED_BATCH_CHUNKS chunks (estimated from text length)."""
    group: list[tuple[Article, str]] = []
    estimate = 0
    for item in todo:
        group.append(item)
        estimate += 1 + len(item[0].text) // 900
        if estimate >= EMBED_BATCH_CHUNKS:
            yield group
            group, estimate = [], 0
    if group:
        yield group


def _generation_number(name: str) -> int:
    digits = name.rsplit("_g", 1)[-1]
    return int(digits) if digits.isdigit() else 0


def _notify(progress: ProgressCallback | None, update: IndexProgress) -> None:
    if progress is not None:
        progress(update)

