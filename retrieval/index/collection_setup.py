"""Opening one of the index's collections: made with the embedder's name and the HNSW settings, refused
when another embedder built it, and its records from before tenants given to the operator (once).

Kept apart from `retrieval.index.store`, which decides which collections a generation has and whose
chunks each holds.
"""

from __future__ import annotations

from pathlib import Path

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from retrieval.errors import EmbedderMismatchError
from retrieval.files import write_atomically
from retrieval.index.chroma_client import (
    GET_PAGE_SIZE,
    HNSW_SEARCH_EF,
    HNSW_SYNC_THRESHOLD_ROWS,
    paged,
    tune_hnsw,
)
from retrieval.models import GLOBAL_TENANT


def open_collection(client: ClientAPI, name: str, *, embedder_id: str, dimension: int, state_dir: Path,
                    space: str = "cosine", backfill: bool = True) -> Collection:
    """The collection `name`, created if missing; checked against the embedder, tuned, and backfilled
    (`backfill_tenants`, its marker in `state_dir`) unless `backfill` is False."""
    metadata = {"hnsw:space": space, "hnsw:search_ef": HNSW_SEARCH_EF,
                "hnsw:sync_threshold": HNSW_SYNC_THRESHOLD_ROWS, "embedder": embedder_id,
                "dimension": dimension}
    collection = client.get_or_create_collection(name, metadata=metadata, embedding_function=None)
    check_embedder(collection, embedder_id, dimension)
    tune_hnsw(collection)
    if backfill:
        backfill_tenants(collection, state_dir)
    return collection


def backfill_tenants(collection: Collection, state_dir: Path) -> None:
    """Records written before tenants existed are the operator's: give them `tenant` = global once
    (metadata only, no vector rewritten), so a tenant `where` finds them. A marker file says it is done."""
    marker = state_dir / f"{collection.name}.tenants"
    if marker.exists():
        return
    for ids, metas in paged(collection, include=["metadatas"]):
        missing = [i for i, m in zip(ids, metas, strict=True) if "tenant" not in (m or {})]
        for start in range(0, len(missing), GET_PAGE_SIZE):
            part = missing[start: start + GET_PAGE_SIZE]
            collection.update(ids=part, metadatas=[{"tenant": GLOBAL_TENANT} for _ in part])
    state_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(marker, "done\n")


def check_embedder(collection: Collection, embedder_id: str, dimension: int) -> None:
    """`EmbedderMismatchError` when the collection was built by another embedder or dimension."""
    meta = collection.metadata or {}
    built_by, built_dim = meta.get("embedder"), meta.get("dimension")
    if built_by != embedder_id or int(built_dim or 0) != dimension:
        raise EmbedderMismatchError(
            f"The index was built with the embedder {built_by!r} ({built_dim} dimensions), but "
            f"{embedder_id!r} ({dimension} dimensions) is configured. "
            "Re-index with `briefbot index --rebuild`."
        )
