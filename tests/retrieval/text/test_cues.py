"""The cue words every stage shares: one vocabulary for negation, reasons and a page's notes about itself,
each use named (the lead's narrower reasons, a clause's negation, a note anywhere or at the start)."""

from __future__ import annotations

from retrieval.answer.lead import answer_slots
from retrieval.answer.question_kinds import QuestionKind, answer_type_match
from retrieval.text.cues import CLAUSE_NEGATION, NEGATIONS, NOT_A_LEADS_REASON, is_intro, is_page_note


def _lead_reasons(sentence: str) -> list[str]:
    return [str(v.key[0]) for v in answer_slots(QuestionKind.DESCRIPTION, sentence, "Why did it close?")]


def test_the_lead_reads_a_cause_as_its_reason_and_leaves_out_the_cues_it_was_fitted_without() -> None:
    assert _lead_reasons("The park closed because of the storm.") == ["because"]
    for sentence in ("The park closed following the storm.", "The park closed amid fears of flooding.",
                     "Concerns grew and the park closed.", "The goal was to save money."):
        assert answer_type_match(QuestionKind.DESCRIPTION, sentence, "") == 1.0  # an explanation still
        assert _lead_reasons(sentence) in ([], ["amid"])  # but no fear, concern, goal or following
    assert {"following", "fear", "concern"} <= NOT_A_LEADS_REASON


def test_a_clause_is_negated_by_not_or_nt_in_either_apostrophe_but_not_by_without() -> None:
    assert CLAUSE_NEGATION.search("The show will not drop every episode on Feb. 14")
    assert CLAUSE_NEGATION.search("The show didn’t drop every episode on Feb. 14")
    assert not CLAUSE_NEGATION.search("The show dropped every episode on Feb. 14 without a trailer")
    assert not CLAUSE_NEGATION.search("Nothing but notable nominees")  # whole words only
    assert "without" in NEGATIONS  # a swapped "with"/"without" is still a negation between two statements


def test_a_page_note_anywhere_is_no_answer_and_an_intro_opens_a_text() -> None:
    assert is_page_note("An earlier version of this story misstated the date of the vote.")
    assert is_page_note("The vote was delayed. This report has been corrected.")
    assert not is_intro("The vote was delayed. This report has been corrected.")  # not at the start
    assert is_intro("“Editor’s note: this story is part of a series on housing.”")
    assert is_intro("By Jane Doe, USA TODAY")
    assert not is_page_note("By Jane Doe, USA TODAY")  # a byline is no note about the text's accuracy
    assert not is_page_note("The council approved the update to the zoning code.")
