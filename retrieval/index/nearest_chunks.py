"""The dense query over several chunk collections (a server's view: its own and the operator's), merged
by similarity into the true top k (`tenant_collections.best_of`), never a filtered shared list.

A Chroma query's cost is mostly fetching documents and metadata, so each collection gives ids and
distances only; documents and metadata are then fetched for the best k alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from chromadb.api.models.Collection import Collection

from retrieval.index.chroma_client import nearest, nearest_ids
from retrieval.index.records import chunk_from_record
from retrieval.index.tenant_collections import best_of
from retrieval.models import Chunk


def nearest_among(collections: Sequence[Collection], query: np.ndarray, k: int,
                  where: dict[str, Any] | None) -> list[tuple[Chunk, float]]:
    """The k chunks nearest `query` in all of `collections`, with cosine similarity, best first."""
    if len(collections) == 1:  # a single-server install, or a server that added nothing: as before
        return nearest(collections[0], query, k, where)
    best = best_of([nearest_ids(c, query, k, where) for c in collections], k)
    chunks: dict[str, Chunk] = {}
    for n, collection in enumerate(collections):
        wanted = [chunk_id for m, chunk_id, _ in best if m == n]
        if wanted:
            got = collection.get(ids=wanted, include=["documents", "metadatas"])
            chunks.update((i, chunk_from_record(i, d or "", dict(m or {}))) for i, d, m in
                          zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True))
    return [(chunks[i], score) for _, i, score in best if i in chunks]  # one deleted meanwhile is left out
