"""Chroma's client and the raw reads the store makes: built from settings, tuned, paged, queried.

Kept apart from `retrieval.index.store`, which decides what the collections are and hold.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from retrieval.index.records import chunk_from_record
from retrieval.models import Chunk
from retrieval.settings import Settings

logger = logging.getLogger(__name__)

GET_PAGE_SIZE = 2000
# HNSW candidate list per query (Chroma's default is 10). A small k (answers, briefs) would otherwise
# get an approximate top-k that can differ between two opens of the same index; 100 costs < 1 ms here.
HNSW_SEARCH_EF = 100
# Embedded Chroma holds the GIL for a whole write, and every `sync_threshold` rows that write also
# persists the HNSW index (measured alone at 30k chunks: max 188 ms with the default 1,000, 95 ms with 100).
# Small slices and frequent small flushes keep the bot's event loop answering during a re-index.
HNSW_SYNC_THRESHOLD_ROWS = 100
WRITE_SLICE_ROWS = 25
# A Chroma server is another process: no GIL to share, and each request costs ~55 ms however small.
SERVER_WRITE_SLICE_ROWS = 1000
TUNE_ATTEMPTS = 5  # tries to apply the settings above to an older collection


def client_from_settings(settings: Settings) -> ClientAPI:
    """An HttpClient when CHROMA_HOST is set, else an embedded PersistentClient under the data dir."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def tune_hnsw(collection: Collection) -> None:
    """Give a collection made before these settings existed the current ones (Chroma changes both in place)."""
    hnsw = dict((collection.configuration or {}).get("hnsw") or {})
    wanted = {"ef_search": HNSW_SEARCH_EF, "sync_threshold": HNSW_SYNC_THRESHOLD_ROWS}
    if not hnsw or all(hnsw.get(key) == value for key, value in wanted.items()):
        return
    retrying = Retrying(retry=retry_if_exception(_is_busy_database), stop=stop_after_attempt(TUNE_ATTEMPTS),
                        wait=wait_exponential(multiplier=0.1, max=1.0), reraise=True)
    try:
        retrying(collection.modify, configuration={"hnsw": wanted})
    except Exception as error:  # an older server may refuse: searching still works
        logger.warning("Could not update the HNSW settings of %s: %s", collection.name, error)


def _is_busy_database(error: BaseException) -> bool:
    """SQLite's "database is locked": another writer (often Chroma's own background work) for a moment."""
    return "database is locked" in str(error)

def _pages(collection: Collection, include: list[Any], where: dict[str, Any] | None) -> Iterator[Any]:
    """A collection's `get` results, GET_PAGE_SIZE records at a time, until one comes back empty."""
    offset = 0
    while True:
        page = collection.get(include=include, limit=GET_PAGE_SIZE, offset=offset, where=where)
        if not page["ids"]:
            return
        yield page
        offset += len(page["ids"])


def paged(
    collection: Collection, include: list[Any], where: dict[str, Any] | None = None
) -> Iterator[tuple[list[str], list[Any]]]:
    """(ids, metadatas) of a collection, a page at a time (only records matching `where`, if given)."""
    for page in _pages(collection, include, where):
        yield page["ids"], list(page["metadatas"] or [{}] * len(page["ids"]))


def nearest(collection: Collection, query: np.ndarray, k: int,
             where: dict[str, Any] | None) -> list[tuple[Chunk, float]]:
    """One collection's k nearest chunks, with cosine similarity (fewer when it holds fewer: Chroma
    answers an empty collection, or one smaller than k, with what it has; no count is asked first)."""
    result = collection.query(query_embeddings=query, n_results=k, where=where,
                              include=["documents", "metadatas", "distances"])
    ids, docs = result["ids"][0], (result["documents"] or [[]])[0]
    metas, dists = (result["metadatas"] or [[]])[0], (result["distances"] or [[]])[0]
    return [
        (chunk_from_record(i, d or "", dict(m or {})), 1.0 - float(dist))
        for i, d, m, dist in zip(ids, docs, metas, dists, strict=True)
    ]


def nearest_ids(collection: Collection, query: np.ndarray, k: int,
                 where: dict[str, Any] | None) -> list[tuple[str, float]]:
    """One collection's k nearest chunk ids, with cosine similarity."""
    result = collection.query(query_embeddings=query, n_results=k, where=where, include=["distances"])
    return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], (result["distances"] or [[]])[0], strict=True)]


def paged_docs(
    collection: Collection, where: dict[str, Any] | None = None
) -> Iterator[tuple[list[str], list[Any], list[Any]]]:
    """(ids, metadatas, documents) of a collection, a page at a time."""
    for page in _pages(collection, ["metadatas", "documents"], where):
        yield page["ids"], list(page["metadatas"] or []), list(page["documents"] or [])
