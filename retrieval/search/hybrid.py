"""Hybrid retrieval: dense (the store) + BM25 (bm25s, stemmed), fused, de-duplicated, time-aware on request.

Dates: chunks published after `as_of` are never returned (an "as of" view). A question that names a
time ("this week", "in March") favours chunks from that window; other questions get no recency bias.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import bm25s
import numpy as np
import Stemmer
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.index.bm25_fit import fit_bm25, fit_bm25_in_child
from retrieval.index.chunking import text_for_lexical
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
UNKNOWN_DAY = -1
CHILD_FIT_MIN_CHUNKS = 5000  # from this size on BM25 is fitted in a child process (see bm25_fit)


class DenseStore(Protocol):
    """What search needs from `retrieval.index.store.ChromaStore`."""

    @property
    def version(self) -> object: ...

    def query(self, vector: list[float], k: int, where: dict[str, Any] | None = None) -> list[tuple[Chunk, float]]: ...

    def iter_chunks(self) -> Iterator[Chunk]: ...


def _day(value: date | None) -> int:
    return value.toordinal() if value else UNKNOWN_DAY


@dataclass(frozen=True)
class LexicalIndex:
    """BM25 over `text_for_lexical(chunk)` with English stop words and Snowball stemming."""

    chunks: tuple[Chunk, ...]
    days: np.ndarray  # published day (ordinal) per chunk, UNKNOWN_DAY when unknown
    positions: dict[str, int]  # chunk id → row
    model: bm25s.BM25 | None
    stemmer: Any

    @classmethod
    def build(cls, chunks: Iterable[Chunk], child_min_chunks: int = CHILD_FIT_MIN_CHUNKS) -> LexicalIndex:
        ordered = tuple(sorted(chunks, key=lambda c: c.id))
        texts = [text_for_lexical(c) for c in ordered]
        model = fit_bm25(texts) if len(texts) < child_min_chunks else fit_bm25_in_child(texts)
        days = np.array([_day(c.published) for c in ordered], dtype=np.int64)
        return cls(ordered, days, {c.id: i for i, c in enumerate(ordered)}, model, Stemmer.Stemmer("english"))

    def scores(self, question: str) -> np.ndarray:
        """BM25 score of every chunk (zeros when the question has no indexed term)."""
        if self.model is None:
            return np.zeros(0, dtype=np.float32)
        tokens = bm25s.tokenize([question], stopwords="en", stemmer=self.stemmer, show_progress=False,
                                return_ids=False)
        terms = [t for t in tokens[0] if t in self.model.vocab_dict]
        if not terms:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self.model.get_scores(terms), dtype=np.float32)


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
        self._lexical: LexicalIndex | None = None
        self._lexical_version: object = None
        self._lock = threading.Lock()

    def lexical_index(self) -> LexicalIndex:
        """The BM25 index, rebuilt from the store when its version has changed."""
        version = self.store.version
        with self._lock:
            if self._lexical is None or version != self._lexical_version:
                self._lexical = LexicalIndex.build(self.store.iter_chunks())
                self._lexical_version = version
            return self._lexical

    def _dense(self, question: str, as_of_day: int | None, newest_day: int) -> list[tuple[Chunk, float]]:
        """Dense candidates published on or before as_of. Chroma's metadata filter costs ~130 ms on
        24k chunks, so over-fetch and filter here; use the filter only when that leaves too few."""
        vector = self.embeddings.embed_query(question)
        if as_of_day is None or as_of_day >= newest_day:  # nothing is newer than as_of: no filter
            return self.store.query(vector, self.depth)
        hits = self.store.query(vector, self.depth * DENSE_OVERFETCH)
        kept = [(c, s) for c, s in hits if _day(c.published) <= as_of_day]
        if len(kept) >= self.depth or len(hits) < self.depth * DENSE_OVERFETCH:
            return kept[: self.depth]
        return self.store.query(vector, self.depth, where={"published_day": {"$lte": as_of_day}})

    def _lexical_scores(self, index: LexicalIndex, question: str, as_of_day: int | None) -> np.ndarray:
        scores = index.scores(question)
        if as_of_day is not None and len(scores):
            scores = np.where(index.days <= as_of_day, scores, 0.0)
        return scores

    def _lexical_top(self, index: LexicalIndex, scores: np.ndarray) -> list[tuple[Chunk, float]]:
        depth = min(self.depth, int(np.count_nonzero(scores)))
        if depth == 0:
            return []
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(index.chunks[i], float(scores[i])) for i in top]

    def search(self, question: str, k: int = 10, as_of: datetime | None = None) -> list[ScoredChunk]:
        """The k best chunks for `question`, best first, as the index stood at `as_of`."""
        as_of_day = as_of.date().toordinal() if as_of else None
        index = self.lexical_index()
        scores = self._lexical_scores(index, question, as_of_day)
        newest_day = int(index.days.max()) if len(index.days) else UNKNOWN_DAY
        dense, lexical = self._dense(question, as_of_day, newest_day), self._lexical_top(index, scores)
        if self.fusion == "rrf":
            fused = self._fuse_ranks(dense, lexical)
        else:
            fused = self._fuse_scores(dense, lexical, index, scores)
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
                     index: LexicalIndex, scores: np.ndarray) -> list[ScoredChunk]:
        chunks = {c.id: c for c, _ in lexical} | {c.id: c for c, _ in dense}
        if not chunks:
            return []
        similarity = {c.id: s for c, s in dense}
        floor = min(similarity.values(), default=0.0)
        ceiling = max(similarity.values(), default=1.0)
        bm25 = {i: float(scores[index.positions[i]]) if i in index.positions else 0.0 for i in chunks}
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
