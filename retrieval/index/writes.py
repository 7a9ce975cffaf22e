"""Writing a batch of articles to the store: lexical rows first, then chunks, then records.

Articles are written together, a batch at a time, so a Chroma server gets a few large requests
instead of two small ones per article (each costs ~55 ms on the server whatever its size: 500 new
articles took 44 s into a million chunks, one request per article and kind). Embedded Chroma keeps
small slices, because it holds the GIL for a whole write and the bot's event loop must keep answering.

Crash safety is that of one article, for the batch: the lexical rows are written first as pending;
then the chunks are upserted and the stale ones deleted; then the article records carry the new
content hashes (last, so a crash before leaves the old hashes and the articles are redone next run);
then the lexical rows are marked done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from retrieval.index.records import VIA_CONFIGURED, Via, article_metadata, chunk_metadata
from retrieval.models import Article, Chunk

if TYPE_CHECKING:
    from retrieval.index.store import ChromaStore

PLACEHOLDER_VECTOR = [1.0]  # article records are looked up by id, never by vector


@dataclass(frozen=True)
class ArticleWrite:
    """One article as it is to be stored: its content hash, chunks and their vectors."""

    article: Article
    content_hash: str
    chunks: Sequence[Chunk]
    vectors: Sequence[Sequence[float]]
    via: Via = VIA_CONFIGURED


def replace_articles(store: ChromaStore, writes: Sequence[ArticleWrite], slice_rows: int,
                     generation: str | None = None) -> None:
    """Store `writes` (see the module docstring), in requests of at most `slice_rows` rows."""
    if not writes:
        return
    lexical = store.lexical(generation)
    records = [{"id": w.article.id, **article_metadata(w.article, w.content_hash, len(w.chunks), w.via)}
               for w in writes]
    written = {w.article.id: lexical.written_chunk_ids(w.article.id) for w in writes}  # before replacing
    lexical.put_articles([(record, w.chunks) for record, w in zip(records, writes, strict=True)])
    for tenant in dict.fromkeys(w.article.tenant for w in writes):
        mine = [w for w in writes if w.article.tenant == tenant]
        _write_chunks(store, tenant, mine, written, slice_rows, generation)
    _, article_col = store.collections(generation)
    for start in range(0, len(records), slice_rows):
        part = records[start: start + slice_rows]
        article_col.upsert(ids=[str(r["id"]) for r in part],
                           embeddings=np.asarray([PLACEHOLDER_VECTOR] * len(part), dtype=np.float32),
                           documents=[w.article.title for w in writes[start: start + slice_rows]],
                           metadatas=[{k: v for k, v in r.items() if k != "id"} for r in part])
    lexical.mark_done([w.article.id for w in writes])


def _write_chunks(store: ChromaStore, tenant: str, writes: Sequence[ArticleWrite],
                  written: dict[str, list[str] | None], slice_rows: int, generation: str | None) -> None:
    """One tenant's chunks upserted in slices, then each article's stale chunks deleted."""
    chunk_col = store.chunk_collection(tenant, generation)
    chunks = [c for w in writes for c in w.chunks]
    matrix = np.asarray([v for w in writes for v in w.vectors], dtype=np.float32)
    for start in range(0, len(chunks), slice_rows):
        part = chunks[start: start + slice_rows]
        chunk_col.upsert(ids=[c.id for c in part], embeddings=matrix[start: start + slice_rows],
                         documents=[c.text for c in part], metadatas=[chunk_metadata(c) for c in part])
    stale: list[str] = []
    for w in writes:
        before = written[w.article.id]
        if before is None:  # unknown (a crash interrupted its last write): ask Chroma
            before = chunk_col.get(where={"article_id": w.article.id}, include=[])["ids"]
        keep = {c.id for c in w.chunks}
        stale += [i for i in before if i not in keep]
    if stale:
        chunk_col.delete(ids=stale)
