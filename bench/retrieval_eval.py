"""Quick retrieval harness for tuning search on realtimeqa-dev (not the official `briefbot eval`).

Embeds the corpus ONCE (vectors cached under --cache) and evaluates HybridSearcher over an exact
in-memory dense store, so ranking changes re-run in seconds. Metrics follow
/work/shared/eval/baseline.py: recall@k (substring, normalised) and supported_recall@k (whole word).

    python bench/retrieval_eval.py --data ../shared/eval/realtimeqa-dev --cache /tmp/rtqa-index
    python bench/retrieval_eval.py --data ../shared/eval/realtimeqa-dev --baseline bm25   # side by side
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.index.chunking import chunk_article, text_for_embedding
from retrieval.index.embeddings import DERIVED_MODEL_VERSION, SLOW_INT8_FUSIONS, LocalMiniLMEmbeddings
from retrieval.ingest.loaders import load_path
from retrieval.models import Chunk
from retrieval.search.hybrid import HybridSearcher

KS = (1, 3, 5, 10)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                         "\u2013": "-", "\u2014": "-", "\u00a0": " "})


def norm_match(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_QUOTES).lower()).strip()


def word_pattern(answer: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(norm_match(answer)) + r"(?!\w)")


class ArrayStore:
    """Exact cosine search over a matrix; same interface as ChromaStore for `HybridSearcher`."""

    version = 1

    def __init__(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        self.chunks, self.vectors = chunks, vectors
        self.days = np.array([c.published.toordinal() if c.published else -1 for c in chunks])

    def query(self, vector: list[float], k: int, where: dict[str, Any] | None = None,
              tenants: frozenset[str] | None = None) -> list[tuple[Chunk, float]]:
        sims = self.vectors @ np.asarray(vector, dtype=np.float32)
        if where:
            sims = np.where(self.days <= where["published_day"]["$lte"], sims, -np.inf)
        k = min(k, len(sims))  # a corpus smaller than the depth asked for (tests)
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [(self.chunks[i], float(sims[i])) for i in top if np.isfinite(sims[i])]

    def iter_chunks(self) -> Iterator[Chunk]:
        return iter(self.chunks)


class _NoEmbeddings(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[0.0] for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return [0.0]


def load_index(data: Path, cache: Path, embeddings: LocalMiniLMEmbeddings | None, max_chars: int) -> ArrayStore:
    articles, _failures = load_path(data / "articles.jsonl")
    chunks = [c for a in articles for c in chunk_article(a, max_chars=max_chars)]
    if embeddings is None:  # lexical-only experiments
        return ArrayStore(chunks, np.zeros((len(chunks), 1), dtype=np.float32))
    texts = [text_for_embedding(c) for c in chunks]
    build = f"{embeddings.model_id}:{DERIVED_MODEL_VERSION}:{','.join(SLOW_INT8_FUSIONS)}"  # vectors change with it
    key = hashlib.sha256(("\x00".join(texts) + build).encode()).hexdigest()[:16]
    path = cache / f"vectors-{max_chars}-{key}.npy"
    if path.exists():
        vectors = np.load(path)
    else:
        started = time.perf_counter()
        vectors = embeddings.embed_array(texts)
        print(f"embedded {len(texts)} chunks in {time.perf_counter() - started:.0f}s", flush=True)
        cache.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return ArrayStore(chunks, vectors)


def chroma_from_cache(store: ArrayStore, data: Path, data_dir: Path, embeddings: LocalMiniLMEmbeddings) -> Any:
    """A real ChromaStore under data_dir filled with the cached vectors (no re-embedding); reused if present."""
    from retrieval.index.indexer import content_hash
    from retrieval.index.store import ChromaStore
    from retrieval.settings import Settings

    settings = Settings(_env_file=None, data_dir=data_dir, chroma_host=None)
    chroma = ChromaStore.from_settings(settings, embeddings)
    if chroma.count_chunks() == len(store.chunks):
        return chroma
    articles, _ = load_path(data / "articles.jsonl")
    rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(store.chunks):
        rows.setdefault(chunk.article_id, []).append(row)
    for article in articles:
        mine = rows.get(article.id, [])
        chroma.replace_article(article, content_hash(article, chroma.embedder_id),
                               [store.chunks[i] for i in mine], store.vectors[mine].tolist())
    chroma.mark_indexed(datetime.now().isoformat(timespec="seconds"))
    return chroma


def evaluate(searcher: HybridSearcher, questions: list[dict[str, Any]], use_as_of: bool = True) -> dict[str, Any]:
    searcher.search("warm-up query", k=10)
    ranks, word_ranks, latencies = [], [], []
    for q in questions:
        as_of = datetime.combine(date.fromisoformat(q["question_date"]), datetime.max.time()) if use_as_of else None
        started = time.perf_counter()
        hits = searcher.search(q["question"], k=max(KS), as_of=as_of)
        latencies.append((time.perf_counter() - started) * 1000)
        texts = [norm_match(h.chunk.text) for h in hits]
        answer, pattern = norm_match(q["answer"]), word_pattern(q["answer"])
        ranks.append(next((i for i, t in enumerate(texts, 1) if answer in t), None))
        word_ranks.append(next((i for i, t in enumerate(texts, 1) if pattern.search(t)), None))
    supported = [r for r, q in zip(word_ranks, questions, strict=True) if q.get("answer_supported")]
    latencies.sort()
    out: dict[str, Any] = {f"recall@{k}": round(sum(1 for r in ranks if r and r <= k) / len(ranks), 3) for k in KS}
    out.update({f"supported_recall@{k}": round(sum(1 for r in supported if r and r <= k) / len(supported), 3)
                for k in KS})
    out["latency_ms_p50"] = round(statistics.median(latencies), 1)
    out["latency_ms_p95"] = round(latencies[int(0.95 * (len(latencies) - 1))], 1)
    return out


def run_baseline(data: Path, pipeline: str) -> dict[str, Any]:
    """`../shared/eval/baseline.py --pipeline NAME` on the same data, in this run: its recall and latency."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "baseline.json"
        subprocess.run([sys.executable, str(data.parent / "baseline.py"), "--data", str(data), "--pipeline", pipeline,
                        "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
        result = json.loads(out.read_text(encoding="utf-8"))
    return {"pipeline": f"baseline:{pipeline}", "chunks": result["chunks"],
            **{f"recall@{k}": result["recall"][f"@{k}"] for k in KS},
            "latency_ms_p50": result["latency_ms_median"], "latency_ms_p95": result["latency_ms_p95"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rtqa-index"))
    parser.add_argument("--max-chars", type=int, default=1000)
    parser.add_argument("--grid", action="store_true", help="try several fusion settings")
    parser.add_argument("--params", type=json.loads, action="append", help="JSON searcher kwargs; repeatable")
    parser.add_argument("--chroma-dir", type=Path, help="evaluate through a real ChromaStore in this data dir")
    parser.add_argument("--lexical-only", action="store_true", help="BM25 alone, no embedding")
    parser.add_argument("--baseline", action="append", default=[],
                        help="also run ../shared/eval/baseline.py --pipeline NAME on the same data; repeatable")
    args = parser.parse_args()
    embeddings = None if args.lexical_only else LocalMiniLMEmbeddings()
    store = load_index(args.data, args.cache, embeddings, args.max_chars)
    lines = (args.data / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    settings: list[dict[str, Any]] = [{"dense_weight": 0.0}] if args.lexical_only else [{}]
    if args.params:
        settings = [{**settings[0], **p} for p in args.params]
    if args.grid:
        settings = [{"fusion": "rrf", "dense_weight": w} for w in (0.3, 0.5, 0.7)]
        settings += [{"fusion": "score", "dense_weight": w} for w in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0)]
    dense: Any = store
    if args.chroma_dir and embeddings is not None:
        dense = chroma_from_cache(store, args.data, args.chroma_dir, embeddings)
    for params in settings:
        result = evaluate(HybridSearcher(dense, embeddings or _NoEmbeddings(), **params), questions)
        print(json.dumps({"pipeline": "briefbot", "chunks": len(store.chunks), **params, **result}), flush=True)
    for pipeline in args.baseline:
        print(json.dumps(run_baseline(args.data, pipeline)), flush=True)


if __name__ == "__main__":
    main()
