"""Follow-ups resolved against the conversation: what "it" refers to, and which articles it already cited."""

from __future__ import annotations

from retrieval.answer.follow_up import earlier_article_ids, refers_back, resolved_question, retrieval_query
from retrieval.models import Turn

LAW = "What does the new Louisiana law require schools to display?"


def test_a_follow_up_that_says_it_is_searched_with_the_subject_it_refers_to_even_turns_later() -> None:
    history = (
        Turn(question=LAW, answer="...", article_ids=("law",)),
        Turn(question="When does it take effect?", answer="...", article_ids=("law",)),
        Turn(question="Who signed it?", answer="...", article_ids=("law", "other")),
    )
    query = retrieval_query("Did any other state pass something similar?", history, recent_turns=2)
    assert query == f"{LAW} When does it take effect? Who signed it? Did any other state pass something similar?"


def test_a_follow_up_that_names_its_own_subject_keeps_only_the_recent_questions() -> None:
    history = (Turn(question=LAW, answer="..."), Turn(question="Who signed it?", answer="..."),
               Turn(question="When does it take effect?", answer="..."))
    assert not refers_back("What did Governor Landry say about Texas?")
    assert retrieval_query("What did Governor Landry say about Texas?", history, recent_turns=2) == (
        "Who signed it? When does it take effect? What did Governor Landry say about Texas?"
    )


def test_the_articles_a_conversation_cited_are_listed_newest_first_each_once() -> None:
    history = (Turn(question=LAW, answer="...", article_ids=("a", "b")),
               Turn(question="Who signed it?", answer="...", article_ids=("c", "a")))
    assert earlier_article_ids(history) == ("c", "a", "b")
    assert earlier_article_ids(()) == ()


def test_the_offline_answer_reads_a_follow_up_with_the_subject_it_refers_back_to() -> None:
    history = (Turn(question="What does the new Louisiana law require schools to display?", answer="Posters."),)

    assert resolved_question("When does it take effect, and who signed it?", history) == (
        "When does it take effect, and who signed it? What does the new Louisiana law require schools to display?")
    assert resolved_question("What did the football coach say about the weather?", history) == (
        "What did the football coach say about the weather?")  # names its own subject: read as asked
    assert resolved_question("When does it take effect?", ()) == "When does it take effect?"
