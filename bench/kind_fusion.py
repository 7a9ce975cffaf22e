"""Should the question's kind (who, when, how many, why) change the fusion? Week folds (issue 12).

Every fusion configuration of bench/fold_eval.py ranks every realtimeqa-dev question once (cached vectors of
bench/retrieval_eval.py). A rule is generic, learnt across folds, never per question: for each held-out
week and each question kind (`retrieval.answer.question_kinds.question_kind`, the kind the answer step
already reads), the configuration with the most recall@5 hits on that kind's questions of the other 11
weeks is chosen (ties: the shipped one); the held-out week's questions are then ranked by their kind's
choice. Compared, on the same folds with `briefbot eval`'s summary: the shipped fusion, one choice for all
kinds (fold_eval.py's selection), the per-kind choice over the whole grid, and over the dense weight alone.

    python bench/kind_fusion.py --data ../shared/eval/realtimeqa-dev
"""

from __future__ import annotations

import argparse
import json
import pickle
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from fold_eval import CachedQueries, candidate_configs, check_weeks, week_metrics
from index_variants import print_table
from retrieval_eval import load_index

from retrieval.answer.question_kinds import question_kind
from retrieval.eval.folds import split_by_week
from retrieval.eval.realtimeqa import RETRIEVAL_DEPTH, Outcome, as_of_for, contains_answer, read_jsonl
from retrieval.index.embeddings import LocalMiniLMEmbeddings
from retrieval.search.hybrid import CANDIDATE_DEPTH, DENSE_WEIGHT, FUSION, RRF_K, HybridSearcher

Texts = dict[str, tuple[str, ...]]  # question id → its top RETRIEVAL_DEPTH chunk texts
SELECT_K = 5
MARGIN_QUESTIONS = 2  # the cautious rule leaves the shipped fusion only for this many more training hits


def rank_all(searcher: HybridSearcher, configs: Mapping[str, Mapping[str, Any]],
             questions: Sequence[dict[str, Any]]) -> dict[str, Texts]:
    shipped = {"depth": CANDIDATE_DEPTH, "dense_weight": DENSE_WEIGHT, "fusion": FUSION, "rrf_k": RRF_K}
    out: dict[str, Texts] = {}
    for name, params in configs.items():
        for key, value in shipped.items():
            setattr(searcher, key, params.get(key, value))
        out[name] = {q["id"]: tuple(h.chunk.text for h in searcher.search(
            q["question"], k=RETRIEVAL_DEPTH, as_of=as_of_for(q["question_date"]))) for q in questions}
    return out


@cache
def hits(texts: tuple[str, ...], answer: str) -> bool:
    return any(contains_answer(t, answer) for t in texts[:SELECT_K])


def choose(ranked: Mapping[str, Texts], train: Sequence[dict[str, Any]], names: Sequence[str],
           margin: int) -> str:
    """The configuration (among names, the shipped one first) with the most recall@5 hits on train."""
    score = {n: sum(hits(ranked[n][q["id"]], q["answer"]) for q in train) for n in names}
    best = max(names, key=lambda n: score[n])
    return best if score[best] >= score[names[0]] + margin else names[0]


def held_out(ranked: Mapping[str, Texts], folds: Mapping[str, list[dict[str, Any]]],
             kind_of: Callable[[str], str], names: Sequence[str], margin: int = 0,
             log: list[dict[str, Any]] | None = None) -> dict[str, dict[str, float]]:
    per_week = {}
    for week, questions in folds.items():
        train = [q for other, qs in folds.items() if other != week for q in qs]
        kinds = {kind_of(q["question"]) for q in questions}
        chosen = {k: choose(ranked, [q for q in train if kind_of(q["question"]) == k], names, margin) for k in kinds}
        if log is not None:
            log.append({"week": week, "chosen": chosen})
        outcomes = [Outcome(question=q, chunk_texts=ranked[chosen[kind_of(q["question"])]][q["id"]], answer_text="",
                            evidence=0.0, latency_ms=0.0) for q in questions]
        per_week[week] = week_metrics(outcomes)
    return per_week


def fixed(ranked: Mapping[str, Texts], folds: Mapping[str, list[dict[str, Any]]], name: str) -> dict[str, Any]:
    return {week: week_metrics([Outcome(question=q, chunk_texts=ranked[name][q["id"]], answer_text="", evidence=0.0,
                                        latency_ms=0.0) for q in qs]) for week, qs in folds.items()}


def run(data: Path, cache: Path, saved: Path | None) -> None:
    folds = split_by_week(read_jsonl(data / "questions.jsonl"))
    check_weeks(folds)
    questions = [q for qs in folds.values() for q in qs]
    print(json.dumps({"kind": "question_kinds", **Counter(question_kind(q["question"]) for q in questions)}))
    model = LocalMiniLMEmbeddings()
    searcher = HybridSearcher(load_index(data, cache, model, 1000), CachedQueries(model))
    configs = candidate_configs()  # "default" (shipped) first
    if saved and saved.exists():
        ranked = pickle.loads(saved.read_bytes())
    else:
        ranked = rank_all(searcher, configs, questions)
        if saved:
            saved.write_bytes(pickle.dumps(ranked))
    grid = list(configs)
    weights = ["default", *[n for n in grid if n.startswith(f"rrf k={RRF_K} ")], "dense", "bm25"]
    rows: dict[str, Any] = {"shipped fusion": fixed(ranked, folds, "default")}
    rules = {
        "one choice for all kinds (33 configs)": (lambda _q: "all", grid, 0),
        "per kind, 33 configs": (question_kind, grid, 0),
        f"per kind, 33 configs, margin {MARGIN_QUESTIONS}": (question_kind, grid, MARGIN_QUESTIONS),
        f"per kind, dense weight only (k={RRF_K})": (question_kind, weights, 0),
        f"per kind, dense weight only, margin {MARGIN_QUESTIONS}": (question_kind, weights, MARGIN_QUESTIONS),
    }
    for name, (kind_of, names, margin) in rules.items():
        log: list[dict[str, Any]] = []
        rows[name] = held_out(ranked, folds, kind_of, names, margin, log)
        print(json.dumps({"kind": "rule", "rule": name, "choices": log}), flush=True)
    print_table(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="realtimeqa-dev layout")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rtqa-index"), help="retrieval_eval.py's cache")
    parser.add_argument("--ranked", type=Path, help="keep every configuration's rankings in this pickle (re-runs)")
    args = parser.parse_args()
    run(args.data, args.cache, args.ranked)


if __name__ == "__main__":
    main()
