"""Hybrid retrieval: dense (the store) + BM25 (Tantivy postings on disk, stemmed: `retrieval.index.lexical`),
fused, de-duplicated, time-aware on request.

Dates: chunks published after `as_of` are never returned (an "as of" view). A question that names a
time ("this week", "in March") favours chunks from that window; other questions get no recency bias.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.index.lexical import LexicalStore
from retrieval.index.lexical_sqlite import day_of
from retrieval.models import Chunk, ScoredChunk
from retrieval.search.timeparse import find_time_window

CANDIDATE_DEPTH = 50  # candidates taken from each of the dense and lexical lists
DENSE_OVERFETCH = 3  # dense hits fetched per candidate kept when as_of has to drop newer ones
# Fusion measured on realtimeqa-dev (bench/retrieval_eval.py): weighted RRF with a small k and a lexical
# lean ranked the answer first most often; normalised-score fusion and plain RRF(60) were lower.
FUSION = "rrf"
RRF_K = 10
DENSE_WEIGHT = 0.3  # share of the fused score from the dense list
TIME_WINDOW_SLACK_DAYS = 3  # news about "this week" is often published a few days around it
TIME_WINDOW_BOOST = 1.5  # in-window chunks' fused score is multiplied by this
NEAR_DUPLICATE_JACCARD = 0.8  # word-shingle overlap above which two chunks count as one


class DenseStore(Protocol):
    """What search needs from `retrieval.index.store.ChromaStore`."""

    @property
    def version(self) -> object: ...

    def query(self, vector: list[float], k: int, where: dict[str, Any] | None = None,
              tenants: frozenset[str] | None = None) -> list[tuple[Chunk, float]]: ...

    def iter_chunks(self) -> Iterator[Chunk]: ...


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i: i + 3]) for i in range(max(1, len(words) - 2))}


def drop_near_duplicates(ranked: Sequence[ScoredChunk], k: int) -> list[ScoredChunk]:
    """The first k chunks, skipping any whose text mostly repeats a better-ranked one (syndicated copies)."""
    kept: list[tuple[ScoredChunk, set[tuple[str, ...]]]] = []
    for item in ranked:
        shingles = _shingles(item.chunk.text)
        if any(len(shingles & seen) / max(1, len(shingles | seen)) >= NEAR_DUPLICATE_JACCARD for _, seen in kept):
            continue
        kept.append((item, shingles))
        if len(kept) == k:
            break
    return [item for item, _ in kept]


class HybridSearcher:
    """Dense + BM25 candidates, fused; the BM25 index follows `store.version`.

    fusion="rrf" (default): weighted reciprocal-rank fusion. fusion="score": a weighted sum of each
    list's scores normalised over the candidates (every candidate has its true BM25 score; one the
    dense list missed gets that list's lowest similarity).
    """

    def __init__(self, store: DenseStore, embeddings: Embeddings, *, depth: int = CANDIDATE_DEPTH,
                 dense_weight: float = DENSE_WEIGHT, fusion: str = FUSION, rrf_k: int = RRF_K) -> None:
        self.store = store
        self.embeddings = embeddings
        self.depth = depth
        self.dense_weight = dense_weight
        self.fusion = fusion
        self.rrf_k = rrf_k
        self._lexical: LexicalStore | None = None
        self._lexical_key: object = None
        self._lock = threading.Lock()

    def lexical_index(self) -> LexicalStore:
        """The live generation's lexical file, beside a Chroma store: opened, never rebuilt (an index
        made before it is migrated once). A store without a data dir gets an in-memory index built
        from its chunks, rebuilt when its version changes (benchmarks)."""
        live = getattr(self.store, "lexical", None)
        if live is not None:
            return live()
        with self._lock:
            if self._lexical is None or self.store.version != self._lexical_key:
                self._lexical = LexicalStore.from_chunks(self.store.iter_chunks())
                self._lexical_key = self.store.version
            return self._lexical

    def _dense(self, question: str, as_of_day: int | None, newest_day: int,
               tenants: frozenset[str] | None = None) -> list[tuple[Chunk, float]]:
        """Dense candidates of `tenants` (the store searches only their collections: nothing of another
        tenant's is a candidate) published on or before as_of. Chroma's metadata filter on the date costs
        ~130 ms on 24k chunks, so over-fetch and filter the date here; use that filter only when this
        leaves too few (a newer chunk over-fetched is dropped by date, never by tenant)."""
        vector = self.embeddings.embed_query(question)
        if as_of_day is None or as_of_day >= newest_day:  # nothing is newer than as_of: no date filter
            return self.store.query(vector, self.depth, tenants=tenants)
        hits = self.store.query(vector, self.depth * DENSE_OVERFETCH, tenants=tenants)
        kept = [(c, s) for c, s in hits if day_of(c.published) <= as_of_day]
        if len(kept) >= self.depth or len(hits) < self.depth * DENSE_OVERFETCH:
            return kept[: self.depth]
        return self.store.query(vector, self.depth, where={"published_day": {"$lte": as_of_day}}, tenants=tenants)

    def _lexical_top(self, index: LexicalStore, question: str, as_of_day: int | None,
                     tenants: frozenset[str] | None) -> list[tuple[Chunk, float]]:
        """BM25 candidates, filtered by published day and tenant inside the index."""
        return index.search(question, self.depth, as_of_day, tenants)

    def search(self, question: str, k: int = 10, as_of: datetime | None = None,
               tenants: frozenset[str] | None = None) -> list[ScoredChunk]:
        """The k best chunks for `question`, best first, as the index stood at `as_of`; only
        `tenants`' chunks when given (None: no filter)."""
        as_of_day = as_of.date().toordinal() if as_of else None
        index = self.lexical_index()
        newest_day = index.newest_day()
        dense = self._dense(question, as_of_day, newest_day, tenants)
        lexical = self._lexical_top(index, question, as_of_day, tenants)
        if self.fusion == "rrf":
            fused = self._fuse_ranks(dense, lexical)
        else:
            fused = self._fuse_scores(dense, lexical, index.scores_for(question, {c.id for c, _ in dense + lexical}))
        window = find_time_window(question, as_of)
        if window:
            fused = _favour_window(fused, window)
        fused.sort(key=lambda s: (-s.score, s.chunk.id))
        return drop_near_duplicates(fused, k)

    def _fuse_ranks(self, dense: list[tuple[Chunk, float]], lexical: list[tuple[Chunk, float]]) -> list[ScoredChunk]:
        chunks: dict[str, Chunk] = {}
        score: dict[str, float] = {}
        raw: tuple[dict[str, float], dict[str, float]] = ({}, {})
        for weight, hits, seen in ((self.dense_weight, dense, raw[0]), (1.0 - self.dense_weight, lexical, raw[1])):
            for rank, (chunk, value) in enumerate(hits, start=1):
                chunks[chunk.id] = chunk
                seen[chunk.id] = value
                score[chunk.id] = score.get(chunk.id, 0.0) + weight / (self.rrf_k + rank)
        return [ScoredChunk(chunk=chunks[i], score=s, dense_score=raw[0].get(i), lexical_score=raw[1].get(i))
                for i, s in score.items()]

    def _fuse_scores(self, dense: list[tuple[Chunk, float]], lexical: list[tuple[Chunk, float]],
                     bm25_scores: dict[str, float]) -> list[ScoredChunk]:
        chunks = {c.id: c for c, _ in lexical} | {c.id: c for c, _ in dense}
        if not chunks:
            return []
        similarity = {c.id: s for c, s in dense}
        floor = min(similarity.values(), default=0.0)
        ceiling = max(similarity.values(), default=1.0)
        bm25 = {i: bm25_scores.get(i, 0.0) for i in chunks}
        top_bm25 = max(bm25.values()) or 1.0
        fused = []
        for chunk_id, chunk in chunks.items():
            dense_part = (similarity.get(chunk_id, floor) - floor) / ((ceiling - floor) or 1.0)
            score = self.dense_weight * dense_part + (1.0 - self.dense_weight) * bm25[chunk_id] / top_bm25
            fused.append(ScoredChunk(chunk=chunk, score=score, dense_score=similarity.get(chunk_id),
                                     lexical_score=bm25[chunk_id] or None))
        return fused


def _favour_window(fused: list[ScoredChunk], window: tuple[date, date]) -> list[ScoredChunk]:
    slack = timedelta(days=TIME_WINDOW_SLACK_DAYS)
    first, last = window[0] - slack, window[1] + slack
    return [
        s.model_copy(update={"score": s.score * TIME_WINDOW_BOOST})
        if s.chunk.published and first <= s.chunk.published <= last else s
        for s in fused
    ]


class HybridRetriever(BaseRetriever):
    """LangChain face of `HybridSearcher`: `Document`s with chunk id, title, url, date, outlet, score."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Any
    k: int = 10
    as_of: datetime | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [to_document(hit) for hit in self.searcher.search(query, k=self.k, as_of=self.as_of)]


def to_document(hit: ScoredChunk) -> Document:
    chunk = hit.chunk
    metadata = {
        "chunk_id": chunk.id, "article_id": chunk.article_id, "title": chunk.title, "url": chunk.url or "",
        "published": chunk.published.isoformat() if chunk.published else "", "outlet": chunk.outlet,
        "kind": chunk.kind, "score": hit.score,
    }
    return Document(page_content=chunk.text, metadata=metadata, id=chunk.id)
