"""Week folds and leave-one-week-out selection (pure: no index, no model).

Used by `briefbot eval --folds week` (retrieval/eval/weekly.py) and bench/fold_eval.py.

A *week* is the ISO calendar week (Monday to Sunday, `date.isocalendar()`) of a question's
`question_date`, labelled `YYYY-Www`. On realtimeqa-dev this gives exactly the data set's 12 quiz
weeks: a quiz's questions are dated from its quiz day back to at most three days earlier, always in
the same Monday-to-Sunday week (fold_eval.py checks that each ISO week holds a single `week` value).

Scores are `{config: {week: {metric: value}}}`. Selection for a held-out week picks the configuration
with the highest mean of the weekly `SELECT_METRIC` (recall@5) over the *other* weeks (a macro average:
every week counts once, whatever its number of questions); ties go to the configuration listed first.
Standard deviations are over weeks, with n - 1 (`statistics.stdev`).
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

SELECT_METRIC = "recall@5"
METRICS = ("recall@1", "recall@5", "recall@10", "supported_recall@1")

WeekScores = Mapping[str, Mapping[str, float]]  # week → metric → value
Scores = Mapping[str, WeekScores]  # configuration → week → metric → value


def week_of(question_date: str) -> str:
    """`YYYY-Www`: the ISO week (Monday to Sunday) that holds the question's date."""
    year, week, _ = date.fromisoformat(question_date).isocalendar()
    return f"{year}-W{week:02d}"


def split_by_week(questions: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Questions grouped by `week_of(question_date)`, weeks in calendar order."""
    folds: dict[str, list[dict[str, Any]]] = {}
    for question in questions:
        folds.setdefault(week_of(question["question_date"]), []).append(question)
    return dict(sorted(folds.items()))


def _std(values: Sequence[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def summarise_weeks(per_week: WeekScores, metrics: Sequence[str] = METRICS,
                    lower_is_better: Collection[str] = ()) -> dict[str, Any]:
    """Per metric: mean and std over weeks, and the worst week (lowest value, or highest for a metric in
    `lower_is_better` such as a false-refusal rate; the first such week on a tie)."""
    out: dict[str, Any] = {}
    for metric in metrics:
        values = {week: scores[metric] for week, scores in per_week.items()}
        sign = -1 if metric in lower_is_better else 1
        worst = min(values, key=lambda w: sign * values[w])
        out[metric] = {"mean": round(statistics.mean(values.values()), 4),
                       "std": round(_std(list(values.values())), 4),
                       "worst": round(values[worst], 4), "worst_week": worst}
    return out


def mean_without(per_week: WeekScores, held_out: str, metric: str = SELECT_METRIC) -> float:
    """Mean of the weekly `metric` over every week except `held_out`."""
    return statistics.mean(scores[metric] for week, scores in per_week.items() if week != held_out)


@dataclass(frozen=True)
class Choice:
    """One leave-one-week-out step: the configuration chosen without `week`, and how it did on `week`."""

    week: str
    config: str
    train_score: float  # its mean SELECT_METRIC over the other weeks
    held_out: Mapping[str, float]


def leave_one_week_out(scores: Scores, metric: str = SELECT_METRIC) -> list[Choice]:
    """For every week: the best configuration on the other weeks by mean `metric`, scored on that week."""
    weeks = sorted(next(iter(scores.values())))
    choices = []
    for week in weeks:
        train = {name: mean_without(per_week, week, metric) for name, per_week in scores.items()}
        best = max(train, key=lambda name: train[name])  # max keeps the first of equals
        choices.append(Choice(week, best, round(train[best], 4), dict(scores[best][week])))
    return choices


def selection_scores(choices: Sequence[Choice]) -> dict[str, Mapping[str, float]]:
    """The selection procedure's held-out figures as `{week: {metric: value}}`."""
    return {choice.week: choice.held_out for choice in choices}


def best_worst_week(scores: Scores, metric: str = SELECT_METRIC) -> tuple[str, str, float]:
    """(configuration, its worst week, value): the highest worst-week `metric`; ties by mean, then order."""
    def key(name: str) -> tuple[float, float]:
        values = [s[metric] for s in scores[name].values()]
        return min(values), statistics.mean(values)

    best = max(scores, key=key)
    worst_week = min(scores[best], key=lambda w: scores[best][w][metric])
    return best, worst_week, scores[best][worst_week][metric]
