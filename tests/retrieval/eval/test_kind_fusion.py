"""bench/kind_fusion.py: a question kind's fusion is chosen on the other weeks only, the shipped one kept on ties."""

from __future__ import annotations

from typing import Any

from tests.system.test_loop_lag import load_bench

HIT, MISS = ("the answer is Kate",), ("nothing here",)


def _question(qid: str, text: str) -> dict[str, Any]:
    return {"id": qid, "question": text, "answer": "Kate", "answer_supported": False}


def test_each_kind_gets_the_fusion_that_won_its_questions_on_the_other_weeks() -> None:
    kind_fusion = load_bench("kind_fusion")
    folds = {
        "W1": [_question("a", "Who won?"), _question("b", "How many voted?")],
        "W2": [_question("c", "Who lost?"), _question("d", "How many left?")],
    }
    # "dense" finds the answer to who-questions, "default" (shipped) to how-many questions.
    ranked = {"default": {"a": MISS, "b": HIT, "c": MISS, "d": HIT},
              "dense": {"a": HIT, "b": MISS, "c": HIT, "d": MISS}}
    log: list[dict[str, Any]] = []

    weeks = kind_fusion.held_out(ranked, folds, kind_fusion.question_kind, ["default", "dense"], log=log)

    assert log[0]["chosen"] == {"name": "dense", "number": "default"}  # learnt on W2 alone
    assert weeks["W1"]["recall@5"] == weeks["W2"]["recall@5"] == 1.0


def test_a_margin_keeps_the_shipped_fusion_unless_another_wins_by_that_many_questions() -> None:
    kind_fusion = load_bench("kind_fusion")
    train = [_question("a", "Who won?"), _question("b", "Who lost?")]
    ranked = {"default": {"a": MISS, "b": HIT}, "dense": {"a": HIT, "b": HIT}}

    assert kind_fusion.choose(ranked, train, ["default", "dense"], margin=0) == "dense"
    assert kind_fusion.choose(ranked, train, ["default", "dense"], margin=2) == "default"
    assert kind_fusion.choose({"default": ranked["default"], "dense": ranked["default"]}, train,
                              ["default", "dense"], margin=0) == "default"  # a tie keeps the shipped one
