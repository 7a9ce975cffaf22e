"""`eval-conflicts`: scoring on a small hand-made case file, and the real RGB set (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.eval.conflicts import _detects, evaluate_conflicts
from retrieval.models import Disagreement
from tests.conftest import REPO_ROOT

RGB_DIR = REPO_ROOT.parent / "shared" / "eval" / "rgb-conflicts"

CASES = [
    {
        "id": "hand-1",
        "query": "Which city hosted the 2031 Games?",
        "answer": "Lisbon",
        "answer_aliases": ["Lisbon"],
        "fakeanswer": "Oslo",
        "passages_true": [
            "The 2031 Games were held in Lisbon, with the opening ceremony at the national stadium.",
            "Organisers said Lisbon welcomed record crowds during the 2031 Games.",
        ],
        "passages_false": [
            "The 2031 Games were held in Oslo, with the opening ceremony at the national stadium.",
            "Organisers said Oslo welcomed record crowds during the 2031 Games.",
        ],
    },
    {
        "id": "hand-2",
        "query": "When did the Harbour Bridge open?",
        "answer": "June 4, 1998",
        "answer_aliases": ["June 4, 1998", "4 June 1998"],
        "fakeanswer": "May 9, 2003",
        "passages_true": [
            "The Harbour Bridge opened to traffic on June 4, 1998 after six years of work.",
            "Jun 5, 1998 ... Crowds crossed the new Harbour Bridge on foot a day after it opened.",
        ],
        "passages_false": [
            "The Harbour Bridge opened to traffic on May 9, 2003 after six years of work.",
            "Jun 5, 1998 ... Crowds crossed the new Harbour Bridge on foot a day after it opened.",
        ],
    },
    {
        # a swap of a common noun is out of reach of an extractive detector: it must count as a miss
        "id": "hand-3",
        "query": "What colour is the new flag?",
        "answer": "green",
        "answer_aliases": ["green"],
        "fakeanswer": "purple",
        "passages_true": ["The new flag of the province is green with a white star in the corner."],
        "passages_false": ["The new flag of the province is purple with a white star in the corner."],
    },
]


def test_rates_on_hand_made_cases(tmp_path: Path, embeddings) -> None:
    (tmp_path / "cases.jsonl").write_text("\n".join(json.dumps(c) for c in CASES) + "\n", encoding="utf-8")
    result = evaluate_conflicts(tmp_path, embeddings)
    assert result["cases"] == 3
    assert result["missed"] == ["hand-3"]
    assert result["detection_rate"] == pytest.approx(2 / 3, abs=0.001)
    assert result["false_alarm_rate"] == 0.0


def test_a_side_citing_the_wrong_passage_does_not_count() -> None:
    case = CASES[0]
    mixed = [(case["passages_true"][0], True), (case["passages_false"][0], False)]
    right = Disagreement(topic="t", sides=(("Lisbon", (1,)), ("Oslo", (2,))))
    swapped_citations = Disagreement(topic="t", sides=(("Lisbon", (2,)), ("Oslo", (1,))))
    one_side_only = Disagreement(topic="t", sides=(("Lisbon", (1,)), ("Madrid", (2,))))
    assert _detects([right], case, mixed)
    assert not _detects([swapped_citations], case, mixed)
    assert not _detects([one_side_only], case, mixed)


@pytest.mark.slow
@pytest.mark.skipif(not (RGB_DIR / "cases.jsonl").exists(), reason="shared/eval/rgb-conflicts not present")
def test_rgb_conflicts_meet_the_targets(embeddings) -> None:
    result = evaluate_conflicts(RGB_DIR, embeddings)
    assert result["detection_rate"] >= 0.85
    assert result["false_alarm_rate"] <= 0.10
