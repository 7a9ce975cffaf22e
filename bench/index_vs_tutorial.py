"""briefbot indexing vs the LangChain tutorial pipeline, on the same first N articles, in one run.

1. briefbot indexes the first N articles of DIR/articles.jsonl into a fresh data dir (timed:
   embedder load + chunking + embedding + Chroma writes), then answers every question of
   DIR/questions.jsonl (retrieval only, timed per query).
2. The tutorial pipeline (`baseline.py --pipeline tutorial`, torch + sentence-transformers, from the
   optional extra `bench`) runs on the same N articles as a subprocess.
3. briefbot re-indexes its unchanged copy (timed).

Prints one JSON object: briefbot_chunks_per_s, tutorial_chunks_per_s, speedup,
reindex_unchanged_fraction, briefbot_p95_ms, tutorial_p95_ms (and the raw figures behind them).

    python bench/index_vs_tutorial.py --data ../shared/eval/realtimeqa-dev --limit 300
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from retrieval.index.embeddings import LocalMiniLMEmbeddings
from retrieval.index.indexer import Indexer
from retrieval.index.store import ChromaStore
from retrieval.ingest.loaders import load_path
from retrieval.models import Article
from retrieval.search.hybrid import HybridSearcher
from retrieval.settings import Settings


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))]


def index_briefbot(articles: list[Article], data_dir: Path) -> tuple[Indexer, ChromaStore, LocalMiniLMEmbeddings,
                                                                     dict[str, Any]]:
    started = time.perf_counter()
    embeddings = LocalMiniLMEmbeddings()  # the int8 model copy is cached after its first build
    loaded = time.perf_counter()
    settings = Settings(_env_file=None, data_dir=data_dir, chroma_host=None)
    store = ChromaStore.from_settings(settings, embeddings)
    indexer = Indexer(store, embeddings, data_dir / "index.lock")
    report = indexer.index(articles)
    seconds = time.perf_counter() - started
    chunks = store.count_chunks()
    return indexer, store, embeddings, {
        "briefbot_chunks": chunks, "briefbot_index_seconds": round(seconds, 2),
        "briefbot_model_load_seconds": round(loaded - started, 2),
        "briefbot_chunks_embedded": report.chunks_embedded,
        "briefbot_chunks_per_s": round(chunks / seconds, 1),
    }


def briefbot_latencies(searcher: HybridSearcher, questions: list[dict[str, Any]]) -> list[float]:
    searcher.search("warm-up query", k=10)  # first-call costs (BM25 build, lazy loads) are not latency
    latencies = []
    for q in questions:
        as_of = datetime.combine(date.fromisoformat(q["question_date"]), datetime.max.time())
        started = time.perf_counter()
        searcher.search(q["question"], k=10, as_of=as_of)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def run_tutorial(python: str, baseline: Path, data: Path, limit: int, work: Path) -> dict[str, Any]:
    out = work / "tutorial.json"
    command = [python, str(baseline), "--pipeline", "tutorial", "--limit", str(limit), "--data", str(data),
               "--out", str(out), "--workdir", str(work)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


BENCH_EXTRA_MODULES = ("sentence_transformers", "langchain_huggingface")  # what `--pipeline tutorial` imports


def missing_bench_extra(python: str) -> str | None:
    """The first module of the `bench` extra that `python` cannot import (None when all import)."""
    probe = ("import importlib, sys\n"
             "for name in sys.argv[1:]:\n"
             "    try: importlib.import_module(name)\n"
             "    except ImportError: sys.exit(name)\n")
    try:
        found = subprocess.run([python, "-c", probe, *BENCH_EXTRA_MODULES], capture_output=True, text=True,
                               check=False)
    except OSError:
        return BENCH_EXTRA_MODULES[0]  # no such interpreter: nothing of the extra is importable
    if found.returncode == 0:
        return None
    lines = found.stderr.strip().splitlines()
    return lines[-1] if lines else BENCH_EXTRA_MODULES[0]


def require_bench_extra(python: str) -> None:
    """One line and exit status 2, before any indexing, when the tutorial pipeline could not run."""
    missing = missing_bench_extra(python)
    if missing:
        print(f"index_vs_tutorial.py needs the optional extra `bench` (torch, sentence-transformers, "
              f"langchain-huggingface; {missing} is not importable by {python}): pip install -e '.[bench]'",
              file=sys.stderr)
        raise SystemExit(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="realtimeqa-dev layout")
    parser.add_argument("--limit", type=int, default=300, help="first N articles")
    parser.add_argument("--baseline", type=Path, help="baseline.py (default: next to DIR)")
    parser.add_argument("--python", default=sys.executable, help="interpreter with the `bench` extra")
    args = parser.parse_args()
    require_bench_extra(args.python)
    baseline = args.baseline or args.data.resolve().parent / "baseline.py"
    articles = load_path(args.data / "articles.jsonl")[0][: args.limit]
    lines = (args.data / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]

    with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as tmp:
        work = Path(tmp)
        indexer, store, embeddings, result = index_briefbot(articles, work / "data")
        latencies = briefbot_latencies(HybridSearcher(store, embeddings), questions)
        tutorial = run_tutorial(args.python, baseline, args.data, args.limit, work)
        started = time.perf_counter()
        report = indexer.index(articles)
        reindex_seconds = time.perf_counter() - started

    tutorial_rate = float(tutorial["index_chunks_per_s"])
    result.update({
        "tutorial_chunks": tutorial["chunks"], "tutorial_index_seconds": tutorial["index_seconds_incl_split"],
        "tutorial_chunks_per_s": tutorial_rate,
        "speedup": round(result["briefbot_chunks_per_s"] / tutorial_rate, 2),
        "reindex_seconds": round(reindex_seconds, 3), "reindex_unchanged": report.unchanged,
        "reindex_chunks_embedded": report.chunks_embedded,
        "reindex_unchanged_fraction": round(reindex_seconds / result["briefbot_index_seconds"], 4),
        "briefbot_p50_ms": round(percentile(latencies, 50), 2),
        "briefbot_p95_ms": round(percentile(latencies, 95), 2),
        "tutorial_p95_ms": tutorial["latency_ms_p95"],
        "articles": len(articles), "questions": len(questions),
    })
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
