"""Full rebuilds: a new index generation is written beside the live one, checked, then switched to.

A rebuild removes no more than an incremental run would. The live articles that this run neither
rewrites nor may remove (a source that failed this time, a path-indexed article during a rebuild of
the configured sources) are copied into the new generation with their stored vectors: nothing is
re-embedded, unless the rebuild is for another embedder, whose vectors can't be reused. Each
server's chunks are carried from its own collection into its own collection of the new generation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any, cast

import numpy as np
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Where
from langchain_core.embeddings import Embeddings

from retrieval.errors import IndexEmptyError
from retrieval.index import chunking
from retrieval.index.chroma_client import WRITE_SLICE_ROWS, paged
from retrieval.index.lexical import LexicalStore
from retrieval.index.records import chunk_from_record, record_tenant
from retrieval.index.store import ChromaStore
from retrieval.index.tenant_collections import chunk_collection_name
from retrieval.index.writes import PLACEHOLDER_VECTOR
from retrieval.models import Chunk

log = logging.getLogger(__name__)

VALIDATION_QUERIES = 3
CARRY_BATCH_ARTICLES = 50  # articles copied per read of the live generation


class Generations:
    """The rebuild steps on one store: staging, copying kept articles over, validating, switching."""

    def __init__(self, store: ChromaStore, embeddings: Embeddings) -> None:
        self.store = store
        self.embeddings = embeddings

    def staging(self) -> str:
        """A fresh generation after the live one; leftovers of a crashed rebuild are dropped first."""
        number = _generation_number(self.store.active_generation())
        for name in self.store.list_generations():
            if _generation_number(name) > number:
                log.warning("dropping leftover staging index %s from an interrupted rebuild", name)
                self.store.drop_generation(name)
        return f"briefbot_g{number + 1}"

    def live_records(self) -> Iterator[dict[str, Any]]:
        """The live generation's article records, read even when another embedder built it."""
        live = self._live("_articles")
        if live is None:
            return
        for ids, metas in paged(live, include=["metadatas"]):
            yield from ({"id": i, **(m or {})} for i, m in zip(ids, metas, strict=True))

    def carry_over(self, article_ids: Sequence[str], generation: str) -> int:
        """Copy these live articles (chunks, vectors, records) into `generation`; returns how many
        chunks had to be embedded again (none, unless the live generation is another embedder's)."""
        articles_live = self._live("_articles")
        if not article_ids or articles_live is None:
            return 0
        _, article_col = self.store.collections(generation)
        embedded = 0
        for start in range(0, len(article_ids), CARRY_BATCH_ARTICLES):
            records = articles_live.get(ids=list(article_ids[start: start + CARRY_BATCH_ARTICLES]),
                                        include=["documents", "metadatas"])
            by_tenant: dict[str, list[str]] = {}
            for article_id, meta in zip(records["ids"], records["metadatas"] or [], strict=True):
                by_tenant.setdefault(record_tenant(meta or {}), []).append(article_id)
            chunks: dict[str, list[Any]] = {"ids": [], "documents": [], "metadatas": []}
            for tenant, batch in by_tenant.items():
                embedded += self._carry_chunks(tenant, batch, generation, chunks)
            lexical = self._carry_lexical(chunks, records, generation)
            placeholders = np.asarray([PLACEHOLDER_VECTOR] * len(records["ids"]), dtype=np.float32)
            article_col.upsert(ids=records["ids"], embeddings=placeholders,
                               documents=records["documents"], metadatas=records["metadatas"])
            lexical.mark_done(records["ids"])
        return embedded

    def _carry_chunks(self, tenant: str, batch: list[str], generation: str, carried: dict[str, list[Any]]) -> int:
        """Copy one tenant's chunks of these articles from its live collection into its collection of
        `generation`, adding them to `carried`; how many had to be embedded again."""
        live = self._existing(chunk_collection_name(self.store.active_generation(), tenant))
        if live is None:
            return 0
        reuse = _built_by(live) == (self.store.embedder_id, self.store.dimension)
        where = cast("Where", {"article_id": {"$in": batch}})
        chunks = live.get(where=where, include=["embeddings", "documents", "metadatas"])
        vectors = np.asarray(chunks["embeddings"] if reuse else self._embed_again(chunks), dtype=np.float32)
        target = self.store.chunk_collection(tenant, generation)
        for part in range(0, len(chunks["ids"]), WRITE_SLICE_ROWS):
            rows = slice(part, part + WRITE_SLICE_ROWS)
            target.upsert(
                ids=chunks["ids"][rows], embeddings=vectors[rows],
                documents=(chunks["documents"] or [])[rows], metadatas=(chunks["metadatas"] or [])[rows],
            )
        carried["ids"].extend(chunks["ids"])
        carried["documents"].extend(chunks["documents"] or [])
        carried["metadatas"].extend(chunks["metadatas"] or [])
        return 0 if reuse else len(chunks["ids"])

    def _carry_lexical(self, chunks: Any, records: Any, generation: str) -> LexicalStore:
        """The carried articles' lexical entries, from the records just read (pending until Chroma has them)."""
        by_article: dict[str, list[Chunk]] = {}
        for i, d, m in zip(chunks["ids"], chunks["documents"] or [], chunks["metadatas"] or [], strict=True):
            chunk = chunk_from_record(i, d or "", dict(m or {}))
            by_article.setdefault(chunk.article_id, []).append(chunk)
        lexical = self.store.lexical(generation)
        lexical.put_articles([({"id": i, **dict(m or {})}, by_article.get(i, []))
                              for i, m in zip(records["ids"], records["metadatas"] or [], strict=True)])
        return lexical

    def _embed_again(self, chunks: Any) -> list[list[float]]:
        """Vectors by this embedder for chunks stored by another (a rebuild after changing embedders)."""
        rebuilt = [chunk_from_record(i, d or "", dict(m or {}))
                   for i, d, m in zip(chunks["ids"], chunks["documents"] or [], chunks["metadatas"] or [], strict=True)]
        texts = [chunking.text_for_embedding(chunk) for chunk in rebuilt]
        return self.embeddings.embed_documents(texts) if texts else []

    def _live(self, suffix: str) -> Collection | None:
        return self._existing(self.store.active_generation() + suffix)

    def _existing(self, name: str) -> Collection | None:
        try:
            return self.store.client.get_collection(name, embedding_function=None)
        except Exception:  # no live index yet (Chroma's error type differs between client modes)
            return None

    def validate_and_switch(self, generation: str, expected_articles: int) -> None:
        """Make `generation` live if it holds every article and answers known queries; else drop it."""
        self.store.lexical(generation).flush()  # its lexical postings committed before it can go live
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
        filled = [c for c in self.store.chunk_collections(generation=generation) if c.count()]
        if not filled:
            return
        chunk_col = filled[0]  # the operator's, unless only servers' chunks are indexed
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


def _built_by(collection: Collection) -> tuple[str, int]:
    meta = collection.metadata or {}
    return str(meta.get("embedder", "")), int(meta.get("dimension") or 0)


def _generation_number(name: str) -> int:
    digits = name.rsplit("_g", 1)[-1]
    return int(digits) if digits.isdigit() else 0
