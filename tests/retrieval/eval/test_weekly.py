"""`briefbot eval --folds week`: figures per held-out week and a refusal threshold chosen on the other weeks."""

from __future__ import annotations

from retrieval.eval.realtimeqa import Outcome, summarise
from retrieval.eval.weekly import weekly_report

THRESHOLDS = (0.2, 0.5, 0.8)


def outcome(day: str, evidence: float, found: bool = True, answer: str = "Oslo") -> Outcome:
    question = {"question": "Where?", "question_date": day, "answer": answer}
    text = "It was held in Oslo." if found else "Nothing here."
    return Outcome(question, (text,), text if evidence >= 0.5 else "", evidence, 1.0)


def score(answered: list[Outcome], unanswered: list[Outcome], threshold: float) -> dict[str, object]:
    return summarise(answered, unanswered, threshold, [])


def test_each_week_is_scored_alone_and_the_spread_and_worst_week_are_reported() -> None:
    answered = [outcome("2024-01-15", 0.9), outcome("2024-01-16", 0.9, found=False),  # W03: recall 0.5
                outcome("2024-01-22", 0.9), outcome("2024-01-23", 0.9)]  # W04: recall 1.0
    report = weekly_report(answered, [], 0.5, THRESHOLDS, score)

    assert report["weeks"]["2024-W03"]["recall@1"] == 0.5
    assert report["weeks"]["2024-W04"]["recall@1"] == 1.0
    assert report["summary"]["recall@1"]["mean"] == 0.75
    assert report["summary"]["recall@1"]["worst_week"] == "2024-W03"


def test_the_threshold_for_a_week_is_chosen_without_that_weeks_questions() -> None:
    # Weeks 1 and 2 separate answerable (evidence 0.9) from unanswerable (0.6) at 0.8; week 3 would pick 0.5.
    answered = [outcome("2024-01-15", 0.9), outcome("2024-01-22", 0.9), outcome("2024-01-29", 0.6)]
    unanswered = [outcome("2024-01-16", 0.6), outcome("2024-01-23", 0.6), outcome("2024-01-30", 0.3)]
    report = weekly_report(answered, unanswered, 0.5, THRESHOLDS, score)

    chosen = report["refusal_threshold_chosen_per_week"]
    assert chosen["2024-W05"] == 0.8  # from weeks 3 and 4 alone
    assert report["refusal_held_out"]["weeks"]["2024-W05"]["false_refusal_rate"] == 1.0  # 0.6 < 0.8: refused
    assert chosen["2024-W03"] == 0.5  # weeks 4 and 5: 0.5 and 0.8 tie, and the lower one is listed first


def test_a_false_refusal_rates_worst_week_is_its_highest() -> None:
    answered = [outcome("2024-01-15", 0.1), outcome("2024-01-22", 0.9)]
    report = weekly_report(answered, [], 0.5, THRESHOLDS, score)

    assert report["summary"]["false_refusal_rate"]["worst"] == 1.0
    assert report["summary"]["false_refusal_rate"]["worst_week"] == "2024-W03"
