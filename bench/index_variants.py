"""Index choices by week folds (issue 12, "revisit the index"): chunk size and overlap, and whether the title
and the outlet go into the embedded text, the lexical (BM25) text, or both.

Each variant is a chunking (max chars, overlap chars), an embedded text and a lexical text. Its vectors are
cached beside bench/retrieval_eval.py's (`vectors-{max_chars}[-o{overlap}][-{embed}]-{hash}.npy` in --cache);
a text already embedded for the shipped variant is reused, so only the new texts are embedded. The lexical
index is rebuilt in memory per variant. Every variant is scored on every realtimeqa-dev week with the shipped
searcher (and dense / BM25 alone), by `briefbot eval`'s own summary, as bench/fold_eval.py scores fusions.

    python bench/index_variants.py --data ../shared/eval/realtimeqa-dev --variant shipped --variant overlap250
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from fold_eval import CachedQueries, check_weeks, score_config
from retrieval_eval import ArrayStore

import retrieval.index.lexical as lexical_module
from retrieval.eval.folds import METRICS, split_by_week, summarise_weeks
from retrieval.eval.realtimeqa import read_jsonl
from retrieval.index import chunking
from retrieval.index.embeddings import DERIVED_MODEL_VERSION, SLOW_INT8_FUSIONS, LocalMiniLMEmbeddings
from retrieval.ingest.loaders import load_path
from retrieval.models import Chunk
from retrieval.search.hybrid import HybridSearcher


def _with(prefix: Callable[[Chunk], str]) -> Callable[[Chunk], str]:
    def text(chunk: Chunk) -> str:
        head = prefix(chunk).strip()
        return f"{head}\n{chunk.text}" if head else chunk.text
    return text


TEXTS: dict[str, Callable[[Chunk], str]] = {  # what a chunk is embedded / indexed as
    "title": _with(lambda c: c.title),
    "none": _with(lambda c: ""),
    "title+outlet": _with(lambda c: f"{c.title} ({c.outlet})" if c.title else c.outlet),
}


@dataclass(frozen=True)
class Variant:
    max_chars: int = chunking.CHUNK_MAX_CHARS
    overlap_chars: int = 0
    embed: str = "title"  # key of TEXTS
    lexical: str = "title"


VARIANTS: dict[str, Variant] = {
    "shipped": Variant(),
    "overlap250": Variant(overlap_chars=250),
    "size600": Variant(max_chars=600),
    "size600-overlap150": Variant(max_chars=600, overlap_chars=150),
    "size1500": Variant(max_chars=1500),
    "embed:none": Variant(embed="none"),
    "embed:title+outlet": Variant(embed="title+outlet"),
    "lexical:none": Variant(lexical="none"),
    "lexical:title+outlet": Variant(lexical="title+outlet"),
    "both:none": Variant(embed="none", lexical="none"),
}
FUSIONS: dict[str, dict[str, Any]] = {
    "shipped fusion": {}, "dense": {"dense_weight": 1.0}, "bm25": {"dense_weight": 0.0}}


def cache_path(cache: Path, variant: Variant, texts: list[str], model: LocalMiniLMEmbeddings) -> Path:
    """The shipped variant's name is bench/retrieval_eval.py's, so its vectors are shared."""
    build = f"{model.model_id}:{DERIVED_MODEL_VERSION}:{','.join(SLOW_INT8_FUSIONS)}"
    key = hashlib.sha256(("\x00".join(texts) + build).encode()).hexdigest()[:16]
    tag = (f"-o{variant.overlap_chars}" if variant.overlap_chars else "") + (
        "" if variant.embed == "title" else f"-{variant.embed.replace('+', '')}")
    return cache / f"vectors-{variant.max_chars}{tag}-{key}.npy"


def chunks_of(data: Path, variant: Variant) -> list[Chunk]:
    articles, _failures = load_path(data / "articles.jsonl")
    return [c for a in articles for c in chunking.chunk_article(a, variant.max_chars, variant.overlap_chars)]


def vectors_for(data: Path, cache: Path, variant: Variant, model: LocalMiniLMEmbeddings,
                known: Mapping[str, np.ndarray]) -> tuple[list[Chunk], np.ndarray]:
    chunks = chunks_of(data, variant)
    texts = [TEXTS[variant.embed](c) for c in chunks]
    path = cache_path(cache, variant, texts, model)
    if path.exists():
        return chunks, np.load(path)
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    started = time.perf_counter()
    fresh = dict(zip(missing, model.embed_array(missing), strict=True)) if missing else {}
    print(json.dumps({"kind": "embedded", "texts": len(missing), "reused": len(texts) - len(missing),
                      "seconds": round(time.perf_counter() - started)}), flush=True)
    vectors = np.vstack([fresh[t] if t in fresh else known[t] for t in texts]).astype(np.float32)
    np.save(path, vectors)
    return chunks, vectors


@contextmanager
def lexical_text(name: str) -> Iterator[None]:
    """BM25 indexes TEXTS[name] while the in-memory lexical index is built."""
    shipped = lexical_module.text_for_lexical
    lexical_module.text_for_lexical = TEXTS[name]  # type: ignore[assignment]
    try:
        yield
    finally:
        lexical_module.text_for_lexical = shipped  # type: ignore[assignment]


def known_vectors(data: Path, cache: Path, model: LocalMiniLMEmbeddings) -> dict[str, np.ndarray]:
    chunks = chunks_of(data, VARIANTS["shipped"])
    texts = [TEXTS["title"](c) for c in chunks]
    path = cache_path(cache, VARIANTS["shipped"], texts, model)
    return dict(zip(texts, np.load(path), strict=True)) if path.exists() else {}


def print_table(rows: Mapping[str, Mapping[str, Mapping[str, float]]]) -> None:
    print(f"\n{'variant / fusion':44} " + " ".join(f"{m:>18}" for m in METRICS) + "   worst week R@1 R@5 R@10 sR@1")
    for name, per_week in rows.items():
        s = summarise_weeks(per_week)
        cells = " ".join(f"{s[m]['mean']:.3f}±{s[m]['std']:.3f}".rjust(18) for m in METRICS)
        print(f"{name:44} {cells}   " + " ".join(f"{s[m]['worst']:.3f}" for m in METRICS), flush=True)


def run(data: Path, cache: Path, names: list[str]) -> None:
    folds = split_by_week(read_jsonl(data / "questions.jsonl"))
    check_weeks(folds)
    model = LocalMiniLMEmbeddings()
    queries = CachedQueries(model)
    known = known_vectors(data, cache, model)
    rows: dict[str, Any] = {}
    for name in names:
        variant = VARIANTS[name]
        chunks, vectors = vectors_for(data, cache, variant, model, known)
        with lexical_text(variant.lexical):
            searcher = HybridSearcher(ArrayStore(chunks, vectors), queries)
            searcher.lexical_index()
        for fusion, params in FUSIONS.items():
            rows[f"{name} / {fusion}"] = score_config(searcher, params, folds)
            print(json.dumps({"kind": "variant", "variant": name, "chunks": len(chunks), "fusion": fusion,
                              "spec": variant.__dict__, "weeks": rows[f"{name} / {fusion}"],
                              "summary": summarise_weeks(rows[f"{name} / {fusion}"])}), flush=True)
    print_table(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="realtimeqa-dev layout")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rtqa-index"), help="retrieval_eval.py's cache")
    parser.add_argument("--variant", action="append", choices=list(VARIANTS), help="repeatable; default: all")
    args = parser.parse_args()
    run(args.data, args.cache, args.variant or list(VARIANTS))


if __name__ == "__main__":
    main()
