"""Week folds and leave-one-week-out selection (retrieval/eval/folds.py), on made-up weekly scores.

Nothing is embedded or indexed: the selection logic gets known per-week scores,
and the weekly metric goes through `briefbot eval`'s summary on two hand-made outcomes.
"""

from __future__ import annotations

from typing import Any

import pytest

from retrieval.eval import folds as fold_module
from retrieval.eval.realtimeqa import Outcome
from tests.system.test_loop_lag import load_bench

WEEKS = ("2024-W03", "2024-W08", "2024-W10")


def weekly(*recall_at_5: float) -> dict[str, dict[str, float]]:
    """Per-week scores where every metric equals the given recall@5 (only recall@5 selects)."""
    return {week: dict.fromkeys(("recall@1", "recall@5", "recall@10", "supported_recall@1"), value)
            for week, value in zip(WEEKS, recall_at_5, strict=True)}


SCORES = {
    "good-but-fragile": weekly(0.9, 0.9, 0.1),
    "steady": weekly(0.5, 0.5, 0.5),
    "late-bloomer": weekly(0.2, 0.8, 0.9),
    "steady-plus": weekly(0.5, 0.6, 0.5),
}


@pytest.fixture(scope="module")
def folds() -> Any:
    return fold_module


def test_a_week_is_the_monday_to_sunday_iso_week_of_the_question_date(folds: Any) -> None:
    questions = [{"id": i, "question_date": d} for i, d in enumerate(
        ("2024-11-29", "2024-01-18", "2024-11-26", "2024-01-15", "2024-01-21", "2024-01-22"))]

    split = folds.split_by_week(questions)

    assert list(split) == ["2024-W03", "2024-W04", "2024-W48"]  # calendar order
    assert [q["id"] for q in split["2024-W03"]] == [1, 3, 4]  # Thursday, the Monday before, the Sunday after
    assert [q["id"] for q in split["2024-W04"]] == [5]  # the next Monday starts a new week
    assert [q["id"] for q in split["2024-W48"]] == [0, 2]


def test_each_held_out_week_gets_the_best_configuration_on_the_other_weeks(folds: Any) -> None:
    choices = folds.leave_one_week_out(SCORES)

    assert [(c.week, c.config) for c in choices] == [
        ("2024-W03", "late-bloomer"),  # mean of 0.8 and 0.9 on the other two weeks
        ("2024-W08", "late-bloomer"),  # 0.55 against 0.5 for good-but-fragile and steady-plus
        ("2024-W10", "good-but-fragile"),  # 0.9 on the first two weeks
    ]
    assert [c.held_out["recall@5"] for c in choices] == [0.2, 0.8, 0.1]
    assert [c.train_score for c in choices] == [0.85, 0.55, 0.9]
    summary = folds.summarise_weeks(folds.selection_scores(choices))["recall@5"]
    assert summary == {"mean": 0.3667, "std": 0.3786, "worst": 0.1, "worst_week": "2024-W10"}


def test_a_tie_in_selection_goes_to_the_configuration_listed_first(folds: Any) -> None:
    scores = {"default": weekly(0.4, 0.6, 0.5), "twin": weekly(0.4, 0.6, 0.5)}

    assert {c.config for c in folds.leave_one_week_out(scores)} == {"default"}


def test_the_best_worst_week_is_the_highest_minimum_ties_broken_by_the_mean(folds: Any) -> None:
    assert folds.best_worst_week(SCORES) == ("steady-plus", "2024-W03", 0.5)
    assert folds.best_worst_week({k: SCORES[k] for k in ("good-but-fragile", "late-bloomer")}) == (
        "late-bloomer", "2024-W03", 0.2)


def test_weekly_figures_are_briefbot_evals_recall_definitions() -> None:
    fold_eval = load_bench("fold_eval")
    question = {"answer": "Kate", "answer_supported": True}
    outcomes = [
        Outcome(question, ("nothing", "nor here", "Princess Kate recovering"), "", 0.0, 0.0),
        Outcome(question | {"answer_supported": False}, ("Kates everywhere",), "", 0.0, 0.0),
    ]

    figures = fold_eval.week_metrics(outcomes)

    assert figures["recall@1"] == 0.5  # "Kates" holds "kate" as a substring
    assert figures["recall@5"] == 1.0
    assert figures["supported_recall@1"] == 0.0  # the supported one is at rank 3
    assert figures["supported_questions"] == 1
