"""What tenant filtering costs retrieval (issue 14): p95 of the same searches with and without a tenant
filter, in one run, over one index of 30,000 chunks spread over 10 tenants.

    python bench/tenant_filter.py [--chunks 30000] [--tenants 10] [--queries 200] [--data DIR]

Two indexes of the same chunks and vectors are filled: the store as it is (the operator's chunks in
the main collection, each server's in its own: `retrieval.index.tenant_collections`) and, under
DIR/one_collection, every chunk in the main collection (the layout before per-server collections: a
single-server install of that size). Per question, in turn: the one-collection index unfiltered
(`one_collection_*`, the search tenancy must not slow by more than 20%), the store unfiltered
(`unfiltered_*`: every tenant's collection), and the store for one server (`filtered_*`).

The index holds the real dev articles (realtimeqa-dev), chunked as the indexer does; past the
corpus's 24,231 chunks it holds date-shifted, word-perturbed copies (bench/scale.py's `copy_of`). Article
k belongs to tenant k mod N: the global tenant and guilds 1..N-1. Vectors are precomputed hash-seeded
random unit vectors, for the documents and the queries alike, and written straight into the store's
collections and lexical index: the benchmark measures the store's tenant-scoped query (the tenants'
collections, and the lexical index's own tenant filter), not the embedder. One server's view is the
global tenant and its own. Prints one JSON object; `overhead_p95` = filtered p95 / unfiltered p95 - 1
and `overhead_p95_vs_one_collection` = filtered p95 / one-collection p95 - 1 (the target is <= 0.20).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scale import DEV, copy_of

from retrieval.index.chunking import chunk_article
from retrieval.index.indexer import content_hash
from retrieval.index.records import article_metadata, chunk_metadata
from retrieval.index.store import ChromaStore
from retrieval.index.writes import PLACEHOLDER_VECTOR
from retrieval.ingest.loaders import load_path
from retrieval.ingest.tenants import tagged
from retrieval.models import GLOBAL_TENANT, Article, Chunk, guild_tenant
from retrieval.search.hybrid import HybridSearcher
from retrieval.settings import Settings

DIMENSION = 384
WRITE_BATCH_CHUNKS = 5000
WARM_UP_QUERIES = 10
K = 6


class HashEmbeddings(Embeddings):
    """A hash-seeded unit vector per text: the same text, the same vector; nothing is loaded."""

    model_id = "bench-hash-384"
    dimension = DIMENSION

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
        vector = np.random.default_rng(seed).standard_normal(DIMENSION).astype(np.float32)
        return (vector / np.linalg.norm(vector)).tolist()


def tenant_of(index: int, tenants: int) -> str:
    return GLOBAL_TENANT if index % tenants == 0 else guild_tenant(index % tenants)


def fill(stores: tuple[ChromaStore, ChromaStore], embeddings: HashEmbeddings, chunks_wanted: int,
         tenants: int) -> int:
    """Write `chunks_wanted` chunks of the dev articles (and copies), tenants round-robin, into the store
    (each tenant's collection) and the one-collection store (its main collection)."""
    articles, _ = load_path(DEV / "articles.jsonl")
    written, copy, batch, n = 0, 0, [], 0
    while written < chunks_wanted:
        for article in articles:
            if written >= chunks_wanted:
                break
            tenant = tenant_of(n, tenants)
            n += 1
            (owned,) = tagged([article], tenant)
            new, chunks = copy_of(owned, chunk_article(owned), copy)
            batch.append((new, chunks))
            written += len(chunks)
            if sum(len(c) for _, c in batch) >= WRITE_BATCH_CHUNKS:
                _write(stores, embeddings, batch)
                batch = []
        copy += 1
    _write(stores, embeddings, batch)
    for store in stores:
        store.lexical().flush()
        store.mark_indexed(datetime.now(UTC).isoformat(timespec="seconds"))
    return written


def _write(stores: tuple[ChromaStore, ChromaStore], embeddings: HashEmbeddings,
           batch: list[tuple[Article, list[Chunk]]]) -> None:
    if not batch:
        return
    chunks = [c for _, cs in batch for c in cs]
    vectors = np.asarray(embeddings.embed_documents([c.text for c in chunks]), dtype=np.float32)
    split, one = stores
    for tenant in sorted({c.tenant for c in chunks}):
        rows = [i for i, c in enumerate(chunks) if c.tenant == tenant]
        _put_chunks(split.chunk_collection(tenant), [chunks[i] for i in rows], vectors[rows])
    _put_chunks(one.collections()[0], chunks, vectors)
    for store in stores:
        _put_records(store, batch)


def _put_chunks(collection: Any, chunks: list[Chunk], vectors: np.ndarray) -> None:
    collection.upsert(ids=[c.id for c in chunks], embeddings=vectors, documents=[c.text for c in chunks],
                      metadatas=[chunk_metadata(c) for c in chunks])


def _put_records(store: ChromaStore, batch: list[tuple[Article, list[Chunk]]]) -> None:
    article_col, lexical = store.collections()[1], store.lexical()
    records = [{"id": a.id, **article_metadata(a, content_hash(a, "bench"), len(cs))} for a, cs in batch]
    article_col.upsert(ids=[r["id"] for r in records], documents=[a.title for a, _ in batch],
                       embeddings=np.asarray([PLACEHOLDER_VECTOR] * len(records), dtype=np.float32),
                       metadatas=[{k: v for k, v in r.items() if k != "id"} for r in records])
    lexical.put_articles([(r, cs) for r, (_, cs) in zip(records, batch, strict=True)])
    lexical.mark_done([r["id"] for r in records])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(searchers: tuple[HybridSearcher, HybridSearcher], questions: list[str],
            view: frozenset[str]) -> dict[str, float]:
    split, one = searchers
    runs: tuple[tuple[str, HybridSearcher, frozenset[str] | None], ...] = (
        ("one_collection", one, None), ("unfiltered", split, None), ("filtered", split, view))
    times: dict[str, list[float]] = {label: [] for label, _, _ in runs}
    for n, question in enumerate(questions):
        for label, searcher, tenants in runs:
            started = time.perf_counter()
            hits = searcher.search(question, k=K, tenants=tenants)
            if n >= WARM_UP_QUERIES:
                times[label].append((time.perf_counter() - started) * 1000)
            if tenants is not None:
                assert all(h.chunk.tenant in view for h in hits), "a filtered search returned another tenant"
    p95 = {label: _percentile(values, 0.95) for label, values in times.items()}
    return {
        **{f"{label}_p50_ms": round(statistics.median(values), 2) for label, values in times.items()},
        **{f"{label}_p95_ms": round(p95[label], 2) for label in times},
        "overhead_p95": round(p95["filtered"] / p95["unfiltered"] - 1, 3),
        "overhead_p95_vs_one_collection": round(p95["filtered"] / p95["one_collection"] - 1, 3),
    }


def _store(data: Path, embeddings: HashEmbeddings) -> ChromaStore:
    settings = Settings(_env_file=None, data_dir=data, chroma_host=None)  # type: ignore[call-arg]
    return ChromaStore.from_settings(settings, embeddings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=30_000)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--data", type=Path, default=None, help="keep the index here (default: a temp dir)")
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="tenant-bench-"))
    embeddings = HashEmbeddings()
    stores = (_store(data, embeddings), _store(data / "one_collection", embeddings))
    started = time.perf_counter()
    chunks = stores[0].count_chunks() or fill(stores, embeddings, args.chunks, args.tenants)
    fill_seconds = time.perf_counter() - started
    lines = (DEV / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][: args.queries + WARM_UP_QUERIES]
    view = frozenset({GLOBAL_TENANT, guild_tenant(3)})
    result = {"chunks": chunks, "tenants": args.tenants, "queries": len(questions) - WARM_UP_QUERIES,
              "view": sorted(view), "fill_seconds": round(fill_seconds, 1),
              **measure((HybridSearcher(stores[0], embeddings), HybridSearcher(stores[1], embeddings)),
                        questions, view)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
