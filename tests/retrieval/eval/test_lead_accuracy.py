"""`briefbot eval`'s lead_accuracy: the gold answer must be in the answer's first sentence, as a reader sees it."""

from __future__ import annotations

from retrieval.eval.realtimeqa import Outcome, lead_sentence, summarise


def _outcome(answer_text: str, gold: str, evidence: float = 0.9) -> Outcome:
    question = {"id": "q", "question": "Which town hosted the festival?", "answer": gold,
                "question_date": "2024-05-03", "week": "2024-05-03"}
    return Outcome(question=question, chunk_texts=(answer_text,), answer_text=answer_text, evidence=evidence,
                   latency_ms=1.0)


def test_the_gold_answer_counts_for_the_lead_only_in_the_first_sentence() -> None:
    first = _outcome("The Lantern Festival was held in Kelso. [1] Crowds came from the coast. [2]", "Kelso")
    later = _outcome("The Lantern Festival drew crowds. [1] It was held in Kelso. [2]", "Kelso")
    refused = _outcome("The Lantern Festival was held in Kelso. [1]", "Kelso", evidence=0.1)

    figures = summarise([first, later, refused], [], 0.4, [])

    assert figures["lead_accuracy"] == round(1 / 3, 4)
    assert figures["answer_accuracy"] == round(2 / 3, 4)


def test_the_lead_sentence_is_read_without_its_citation_markers() -> None:
    assert lead_sentence("Kelso hosted it [1][2]. More followed. [3]").strip().startswith("Kelso hosted it")
    assert "[1]" not in lead_sentence("Kelso hosted it. [1] More followed. [3]")
    assert lead_sentence("") == ""
