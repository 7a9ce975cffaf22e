"""Fit a learnt fusion (features in bench/fusion_features.py) and score it by leave-one-week-out, next to RRF.

For every realtimeqa-dev question the shipped searcher's two candidate lists are taken once (dense top
CANDIDATE_DEPTH from the cached vectors of bench/retrieval_eval.py, BM25 top CANDIDATE_DEPTH), as of the
question's date. A label says whether a candidate holds the gold answer (the eval's own match). For each
held-out week a logistic model is fitted on the other 11 weeks and ranks the held-out week's candidates;
near-duplicates are dropped as the searcher drops them. Figures per week come from `briefbot eval`'s
summary, so they are comparable with bench/fold_eval.py's rows (same folds, same metric code).

Feature sets are compared the same way (`--sets`), and the one whose held-out recall@5 is best on its
worst week is reported, with its weights fitted on all weeks.

    python bench/fusion_fit.py --data ../shared/eval/realtimeqa-dev
    python bench/fusion_fit.py --data ../shared/eval/realtimeqa-dev --sets lists lists+kind all all+kind
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from fold_eval import CachedQueries, check_weeks, score_config, week_metrics
from fusion_features import BASE_FEATURES, FEATURES, KIND_FEATURES, Candidate, candidates, feature_matrix
from retrieval_eval import load_index
from scipy.optimize import minimize

from retrieval.eval.folds import METRICS, split_by_week, summarise_weeks
from retrieval.eval.realtimeqa import RETRIEVAL_DEPTH, Outcome, as_of_for, contains_answer, read_jsonl
from retrieval.index.embeddings import LocalMiniLMEmbeddings
from retrieval.models import ScoredChunk
from retrieval.search.hybrid import HybridSearcher, drop_near_duplicates
from retrieval.search.timeparse import find_time_window

L2_PENALTY = 1e-3
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "lists": ("bias", "dense_rank", "lexical_rank", "dense_gap", "lexical_ratio", "in_both"),
    "lists+article": ("bias", "dense_rank", "lexical_rank", "dense_gap", "lexical_ratio", "in_both",
                      "not_body", "lead_chunk", "article_hits", "title_overlap"),
    "lists+priors": ("bias", "dense_rank", "lexical_rank", "in_both", "lead_chunk", "in_window", "age"),
    "all-but-age": tuple(f for f in BASE_FEATURES if f != "age"),
    "all": BASE_FEATURES,
    "lists+kind": ("bias", "dense_rank", "lexical_rank", "dense_gap", "lexical_ratio", "in_both", *KIND_FEATURES),
    "all+kind": FEATURES,
}


@dataclass(frozen=True)
class Question:
    record: dict[str, Any]
    found: list[Candidate]
    features: np.ndarray
    labels: np.ndarray


def gather(searcher: HybridSearcher, record: dict[str, Any]) -> Question:
    """The question's two candidate lists as the shipped searcher makes them, with features and labels."""
    as_of = as_of_for(record["question_date"])
    as_of_day = as_of.date().toordinal()
    index = searcher.lexical_index()
    dense = searcher._dense(record["question"], as_of_day, index.newest_day())
    found = candidates(dense, searcher._lexical_top(index, record["question"], as_of_day, None))
    window = find_time_window(record["question"], as_of)
    features = feature_matrix(record["question"], found, as_of.date(), window)
    labels = np.array([contains_answer(c.chunk.text, record["answer"]) for c in found], dtype=np.float64)
    return Question(record, found, features, labels)


def fit(questions: Sequence[Question], columns: Sequence[int]) -> np.ndarray:
    """Listwise softmax: for every question with an answer among its candidates, maximise the share of
    softmax mass on the candidates that hold it (what recall@k rewards), L2-regularised, L-BFGS."""
    useful = [q for q in questions if q.labels.any()]
    x = np.vstack([q.features[:, columns] for q in useful])
    positive = np.concatenate([q.labels for q in useful]).astype(bool)
    starts = np.cumsum([0] + [len(q.labels) for q in useful[:-1]])
    group = np.repeat(np.arange(len(useful)), [len(q.labels) for q in useful])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w
        z = z - np.maximum.reduceat(z, starts)[group]
        e = np.exp(z)
        total, held = np.add.reduceat(e, starts), np.add.reduceat(np.where(positive, e, 0.0), starts)
        p_all, p_pos = e / total[group], np.where(positive, e, 0.0) / held[group]
        value = -float(np.mean(np.log(held / total))) + L2_PENALTY * float(w @ w)
        grad = ((p_all - p_pos) @ x) / len(useful) + 2 * L2_PENALTY * w
        return value, grad

    return minimize(loss, np.zeros(len(columns)), jac=True, method="L-BFGS-B").x


def ranked_texts(question: Question, weights: np.ndarray, columns: Sequence[int]) -> tuple[str, ...]:
    scores = question.features[:, columns] @ weights
    order = sorted(range(len(question.found)), key=lambda i: (-scores[i], question.found[i].chunk.id))
    ranked = [ScoredChunk(chunk=question.found[i].chunk, score=float(scores[i])) for i in order]
    return tuple(hit.chunk.text for hit in drop_near_duplicates(ranked, RETRIEVAL_DEPTH))


def held_out_weeks(folds: Mapping[str, list[Question]], columns: Sequence[int]) -> dict[str, dict[str, float]]:
    """Leave one week out: fit on the others, score the held-out week."""
    per_week = {}
    for week, questions in folds.items():
        train = [q for other, qs in folds.items() if other != week for q in qs]
        weights = fit(train, columns)
        outcomes = [Outcome(question=q.record, chunk_texts=ranked_texts(q, weights, columns), answer_text="",
                            evidence=0.0, latency_ms=0.0) for q in questions]
        per_week[week] = week_metrics(outcomes)
    return per_week


def print_rows(rows: Mapping[str, Mapping[str, Mapping[str, float]]]) -> None:
    print(f"\n{'configuration':32} " + " ".join(f"{m:>18}" for m in METRICS) + "   worst R@5")
    for name, per_week in rows.items():
        summary = summarise_weeks(per_week)
        cells = " ".join(f"{summary[m]['mean']:.3f}±{summary[m]['std']:.3f}".rjust(18) for m in METRICS)
        print(f"{name:32} {cells}   {summary['recall@5']['worst']:.3f} ({summary['recall@5']['worst_week']})")


def run(data: Path, cache: Path, sets: Sequence[str]) -> None:


    records = split_by_week(read_jsonl(data / "questions.jsonl"))
    check_weeks(records)
    model = LocalMiniLMEmbeddings()
    searcher = HybridSearcher(load_index(data, cache, model, 1000), CachedQueries(model))
    rows: dict[str, Any] = {"rrf (shipped constants)": score_config(searcher, {}, records)}
    folds = {week: [gather(searcher, r) for r in qs] for week, qs in records.items()}
    positives = sum(int(q.labels.any()) for qs in folds.values() for q in qs)
    print(json.dumps({"kind": "candidates", "questions": sum(map(len, folds.values())),
                      "with_a_candidate_holding_the_answer": positives}), flush=True)
    for name in sets:
        columns = [FEATURES.index(f) for f in FEATURE_SETS[name]]
        rows[f"learnt:{name}"] = held_out_weeks(folds, columns)
        print(json.dumps({"kind": "learnt", "set": name, "summary": summarise_weeks(rows[f"learnt:{name}"])}),
              flush=True)
    print_rows(rows)
    best = max(sets, key=lambda n: (summarise_weeks(rows[f"learnt:{n}"])["recall@5"]["worst"],
                                    summarise_weeks(rows[f"learnt:{n}"])["recall@5"]["mean"]))
    columns = [FEATURES.index(f) for f in FEATURE_SETS[best]]
    weights = fit([q for qs in folds.values() for q in qs], columns)
    full = np.zeros(len(FEATURES))
    full[columns] = weights
    print(f"\nbest worst-week set: {best}; weights fitted on all weeks ({datetime.now():%Y-%m-%d}):")
    print("weights = np.array([" + ", ".join(f"{w:.4f}" for w in full) + "])  # " + ", ".join(FEATURES))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="realtimeqa-dev layout")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rtqa-index"), help="retrieval_eval.py's cache")
    parser.add_argument("--sets", nargs="+", default=list(FEATURE_SETS), choices=list(FEATURE_SETS))
    args = parser.parse_args()
    run(args.data, args.cache, args.sets)


if __name__ == "__main__":
    main()
