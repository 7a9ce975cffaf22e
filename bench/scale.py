"""Scale benchmark (issue 15): an index of N chunks, and what each path costs at that size.

    python bench/scale.py --chunks 30000,100000            # embedded Chroma, one JSON line per size
    python bench/scale.py --chunks 1000000 --chroma-server  # Chroma as a server (`chroma run`)
    python bench/scale.py --chunks 30000,1000000 --server-from 1000000 --reuse  # measure both again, one run

The index is filled from the real dev articles (realtimeqa-dev, 24,231 chunks). Beyond that size
it holds copies of them, each copy k moved k x SPAN_DAYS days back in time (so they are the old
history, never a brief's day) and with one word in PERTURB_EVERY_WORDS replaced by a word picked by
a hash of (copy, position), so no two copies share enough 3-word shingles to count as
near-duplicates (search's Jaccard 0.8, ingest's MinHash 0.8). Copies reuse the original chunk's
vector: the benchmark measures the store and the paths, not the embedder. Vectors come from
bench/retrieval_eval.py's cache (--cache) when it matches the chunks; else, and for new texts, a
hash-seeded unit vector (queries use the real model).

A child process fills each index through the store's own collections and the lexical index (in
big batches, as a bulk load); a fresh child then opens it cold and measures, so `rss_mb` is one
process serving that index (with Chroma inside it unless --chroma-server) and `open_seconds` is a
cold start. Keys: chunks, retrieval_p50_ms, retrieval_p95_ms, brief_seconds (one day, extractive),
sources_ms (/sources stats), index_500_seconds (500 new articles, incremental), rss_mb, disk_mb.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scale_support import BenchEmbeddings, ChromaProcess

from retrieval.index.chunking import chunk_article, text_for_embedding
from retrieval.index.records import article_metadata, chunk_metadata
from retrieval.index.store import ChromaStore
from retrieval.index.writes import PLACEHOLDER_VECTOR
from retrieval.ingest.loaders import load_path
from retrieval.models import Article, Chunk
from retrieval.settings import Settings

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "realtimeqa-dev"
SPAN_DAYS = 400  # each copy lies this much further back than the one before
PERTURB_EVERY_WORDS = 4
FILL_BATCH_ARTICLES = 400
FILL_SYNC_THRESHOLD_ROWS = 50_000
QUESTIONS = 100
NEW_ARTICLES = 500
_WORDS = ("amber", "basalt", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper",
          "kelp", "lagoon", "mesa", "nickel", "onyx", "prairie", "quartz", "ridge", "sierra", "tundra")


def perturb(text: str, copy: int) -> str:
    if copy == 0:
        return text
    words = text.split(" ")
    for i in range(0, len(words), PERTURB_EVERY_WORDS):
        digest = hashlib.blake2b(f"{copy}:{i}".encode(), digest_size=2).digest()
        words[i] = _WORDS[int.from_bytes(digest, "big") % len(_WORDS)]
    return " ".join(words)


def copy_of(article: Article, chunks: list[Chunk], copy: int) -> tuple[Article, list[Chunk]]:
    """Copy `copy` of an article (0: the article itself): moved back in time, words perturbed."""
    if copy == 0:
        return article, chunks
    shift = timedelta(days=SPAN_DAYS * copy)
    published = article.published - shift if article.published else None
    new = article.model_copy(update={"id": f"{article.id}~{copy}", "published": published,
                                     "text": perturb(article.text, copy), "url": f"{article.url or ''}#c{copy}"})
    return new, [c.model_copy(update={"id": f"{new.id}:{c.n}", "article_id": new.id, "published": published,
                                      "text": perturb(c.text, copy)}) for c in chunks]


def settings_for(data: Path, server: tuple[str, int] | None) -> Settings:
    host, port = server or (None, 8000)
    return Settings(_env_file=None, data_dir=data, chroma_host=host, chroma_port=port)  # type: ignore[call-arg]


def fill(data: Path, chunks_wanted: int, server: tuple[str, int] | None, cache: Path) -> None:
    """Bulk-load `chunks_wanted` chunks (copies of the dev articles) into a fresh index."""
    embeddings = BenchEmbeddings()
    articles, _ = load_path(DEV / "articles.jsonl")
    dev_chunks = [c for a in articles for c in chunk_article(a)]
    vectors = dict(zip((c.id for c in dev_chunks), dev_vectors(dev_chunks, cache, embeddings), strict=True))
    by_article: dict[str, list[Chunk]] = {}
    for chunk in dev_chunks:
        by_article.setdefault(chunk.article_id, []).append(chunk)
    store = ChromaStore.from_settings(settings_for(data, server), embeddings)
    chunk_col, article_col = store.collections()
    # A bulk load persists HNSW rarely; the measuring process's open puts the bot's settings back (tune_hnsw).
    chunk_col.modify(configuration={"hnsw": {"sync_threshold": FILL_SYNC_THRESHOLD_ROWS}})
    lexical = store.lexical()
    written, copy, batch = 0, 0, []
    while written < chunks_wanted:
        for article in articles:
            if written >= chunks_wanted:
                break
            new, chunks = copy_of(article, by_article.get(article.id, []), copy)
            batch.append((new, chunks, [vectors[c.id.replace(new.id, article.id, 1)] for c in chunks]))
            written += len(chunks)
            if len(batch) >= FILL_BATCH_ARTICLES:
                _write(chunk_col, article_col, lexical, batch)
                batch = []
        copy += 1
    _write(chunk_col, article_col, lexical, batch)
    lexical.flush()
    store.mark_indexed(datetime.now(UTC).isoformat(timespec="seconds"))


def dev_vectors(chunks: list[Chunk], cache: Path, embeddings: BenchEmbeddings) -> Any:
    """The dev chunks' vectors: bench/retrieval_eval.py's cache when one has a row per chunk (the
    chunks' order is the corpus order), else hash-seeded vectors (embedding is not what is measured)."""
    for path in sorted(cache.glob("vectors-*.npy"), key=lambda p: p.stat().st_mtime, reverse=True):
        matrix = np.load(path, mmap_mode="r")
        if matrix.shape == (len(chunks), embeddings.dimension):
            return matrix
    return np.asarray(embeddings.embed_documents([text_for_embedding(c) for c in chunks]), dtype=np.float32)


def _write(chunk_col: Any, article_col: Any, lexical: Any, batch: list[tuple[Article, list[Chunk], list[Any]]]) -> None:
    from retrieval.index.indexer import content_hash

    chunks = [c for _, cs, _ in batch for c in cs]
    matrix = np.asarray([v for _, _, vs in batch for v in vs], dtype=np.float32)
    for start in range(0, len(chunks), 5000):
        part = chunks[start: start + 5000]
        chunk_col.upsert(ids=[c.id for c in part], embeddings=matrix[start: start + 5000],
                         documents=[c.text for c in part], metadatas=[chunk_metadata(c) for c in part])
    records = [{"id": a.id, **article_metadata(a, content_hash(a, "bench"), len(cs))} for a, cs, _ in batch]
    article_col.upsert(ids=[r["id"] for r in records], documents=[a.title for a, _, _ in batch],
                       embeddings=np.asarray([PLACEHOLDER_VECTOR] * len(records), dtype=np.float32),
                       metadatas=[{k: v for k, v in r.items() if k != "id"} for r in records])
    lexical.put_articles([(r, cs) for r, (_, cs, _) in zip(records, batch, strict=True)])
    lexical.mark_done([r["id"] for r in records])


def measure(data: Path, server: tuple[str, int] | None) -> dict[str, Any]:
    """Open the index cold in this process and time each path."""
    from retrieval.search.hybrid import HybridSearcher
    from retrieval.service import BriefbotService

    started = time.perf_counter()
    embeddings = BenchEmbeddings()
    settings = settings_for(data, server)
    store = ChromaStore.from_settings(settings, embeddings)
    service = BriefbotService(settings, embeddings, store, HybridSearcher(store, embeddings))
    questions = [json.loads(line) for line in (DEV / "questions.jsonl").read_text().splitlines() if line.strip()]
    first = service.retrieve(questions[0]["question"])
    open_seconds = time.perf_counter() - started
    latencies = []
    for q in questions[1: QUESTIONS + 1]:
        as_of = datetime.fromisoformat(q["question_date"]).replace(hour=23, minute=59, tzinfo=UTC)
        t0 = time.perf_counter()
        service.retrieve(q["question"], as_of=as_of)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    articles, _ = load_path(DEV / "articles.jsonl")
    newest = max(a.published for a in articles if a.published)
    t0 = time.perf_counter()
    embeddings.real_documents = True  # a brief clusters by meaning
    brief = service.brief(as_of=datetime.combine(newest, datetime.max.time()).replace(tzinfo=UTC))
    brief_seconds = time.perf_counter() - t0
    embeddings.real_documents = False
    stats_ms = []
    for _ in range(5):
        t0 = time.perf_counter()
        stats = service.stats()
        stats_ms.append((time.perf_counter() - t0) * 1000)
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")  # new ids each measurement: always 500 new articles
    fresh = [a.model_copy(update={"id": f"{a.id}~new{run}", "published": newest + timedelta(days=1),
                                  "text": perturb(a.text, 10_001), "url": f"{a.url or ''}#new{run}"})
             for a in articles[:NEW_ARTICLES]]
    report = service.indexer.index(fresh)
    return {
        "chunks": stats.chunks, "retrieval_p50_ms": round(statistics.median(latencies), 1),
        "retrieval_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "brief_seconds": round(brief_seconds, 2), "brief_stories": len(brief.stories),
        "sources_ms": round(statistics.median(stats_ms), 1), "index_500_seconds": report.seconds,
        "index_500_chunks": report.chunks_embedded,
        "rss_mb": round(_rss_mb("self"), 0), "open_seconds": round(open_seconds, 2), "first_hits": len(first),
    }


def _rss_mb(pid: str | int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _disk_mb(*paths: Path) -> float:
    return sum(f.stat().st_size for p in paths if p.exists() for f in p.rglob("*") if f.is_file()) / 2**20


def run_size(chunks: int, work: Path, server_mode: bool, cache: Path, reuse: bool = False) -> dict[str, Any]:
    """Fill an index of `chunks` chunks (or, with `reuse`, take the one an earlier run filled) and
    measure it in a fresh process."""
    data = work / f"n{chunks}"
    with ChromaProcess(work / f"n{chunks}-server") if server_mode else _no_server() as server:
        address = ["--server", f"{server[0]}:{server[1]}"] if server else []
        script = [sys.executable, __file__, "--data", str(data), "--cache", str(cache), *address]
        fill_seconds: float | None = None  # None: reused
        if not (reuse and data.exists()):
            t0 = time.perf_counter()
            subprocess.run([*script, "--fill", str(chunks)], check=True)
            fill_seconds = round(time.perf_counter() - t0, 1)
        done = subprocess.run([*script, "--measure"], check=True, capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if server:
            result["chroma_server_rss_mb"] = round(_rss_mb(server[2]), 0)
    result["disk_mb"] = round(_disk_mb(data, work / f"n{chunks}-server"), 0)
    result.update({"mode": "chroma-server" if server_mode else "embedded", "fill_seconds": fill_seconds})
    return result


class _no_server:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", default="30000,100000,300000", help="sizes, comma-separated")
    parser.add_argument("--chroma-server", action="store_true", help="run Chroma as a server (`chroma run`)")
    parser.add_argument("--server-from", type=int, help="sizes from this one up run Chroma as a server")
    parser.add_argument("--reuse", action="store_true", help="measure an index filled by an earlier run again")
    parser.add_argument("--work", type=Path, default=Path("/tmp/briefbot-scale"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rtqa-index"), help="dev vectors (retrieval_eval)")
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    parser.add_argument("--fill", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    server = (args.server.split(":")[0], int(args.server.split(":")[1])) if args.server else None
    if args.fill:
        fill(args.data, args.fill, server, args.cache)
    elif args.measure:
        print(json.dumps(measure(args.data, server)), flush=True)
    else:
        for size in (int(s) for s in args.chunks.split(",")):
            server_mode = args.chroma_server or (args.server_from is not None and size >= args.server_from)
            print(json.dumps(run_size(size, args.work, server_mode, args.cache, args.reuse)), flush=True)


if __name__ == "__main__":
    main()
