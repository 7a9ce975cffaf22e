"""`briefbot eval DIR --folds week`: every figure per held-out week, and a refusal threshold chosen across weeks.

Why: a figure on the whole dev set says how well the choices fit that set, not how they do on news they
were not tuned to. Per week (retrieval/eval/folds.py), the mean, spread and worst week say that. The
refusal threshold is the one tuned number that the answer path learns from these questions, so it is
chosen the same way: for each held-out week, the threshold with the best mean (refusal rate − false
refusal rate) over the other weeks, scored on the held-out week.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, Protocol

from retrieval.eval.folds import split_by_week, summarise_weeks

WEEKLY_METRICS = ("recall@1", "recall@5", "recall@10", "supported_recall@1", "answer_accuracy", "lead_accuracy",
                  "refusal_rate", "false_refusal_rate", "disagreement_rate")
LOWER_IS_BETTER = ("false_refusal_rate", "disagreement_rate")


class Scored(Protocol):
    @property
    def question(self) -> dict[str, Any]: ...


Scorer = Callable[[Sequence[Any], Sequence[Any], float], Mapping[str, Any]]  # (answered, unanswered, threshold)


def _by_week(outcomes: Sequence[Scored]) -> dict[str, list[Scored]]:
    weeks = split_by_week(o.question for o in outcomes)  # groups the question dicts themselves
    at = {id(o.question): o for o in outcomes}
    return {week: [at[id(q)] for q in questions] for week, questions in weeks.items()}


def _pick(figures: Mapping[str, Any], metrics: Sequence[str]) -> dict[str, Any]:
    """The named figures of one scoring (each week is scored once per threshold, not once per figure)."""
    return {m: figures[m] for m in metrics}


def _separation(figures: Mapping[str, Any]) -> float:
    return float(figures["refusal_rate"]) - float(figures["false_refusal_rate"])


def weekly_report(answered: Sequence[Scored], unanswered: Sequence[Scored], threshold: float,
                  thresholds: Sequence[float], score: Scorer) -> dict[str, Any]:
    """Per-week figures at `threshold`, their mean/std/worst, and the leave-one-week-out threshold choice."""
    answered_weeks, unanswered_weeks = _by_week(answered), _by_week(unanswered)
    weeks = sorted(answered_weeks)

    @cache  # every (week, threshold) is scored once, whichever held-out week asks
    def figures(week: str, at: float) -> Mapping[str, Any]:
        return score(answered_weeks.get(week, []), unanswered_weeks.get(week, []), at)

    per_week = {week: _pick(figures(week, threshold), WEEKLY_METRICS) for week in weeks}
    refusal_figures = ("refusal_rate", "false_refusal_rate", "answer_accuracy")
    choices, held_out = {}, {}
    for week in weeks:
        train = [w for w in weeks if w != week and unanswered_weeks.get(w)]
        best = max(thresholds, key=lambda t: statistics.mean(_separation(figures(w, t)) for w in train)) \
            if train else threshold  # max keeps the first of equals: list thresholds from the lowest
        choices[week] = best
        held_out[week] = _pick(figures(week, best), refusal_figures)
    return {
        "weeks": per_week,
        "summary": summarise_weeks(per_week, WEEKLY_METRICS, LOWER_IS_BETTER),
        "refusal_threshold_chosen_per_week": choices,
        "refusal_held_out": {"weeks": held_out,
                             "summary": summarise_weeks(held_out, refusal_figures, LOWER_IS_BETTER)},
    }
