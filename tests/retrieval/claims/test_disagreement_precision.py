"""Issue 13: the same entity in other words is no disagreement; nor is last year's figure; a follow-up does
not repeat a notice; the topic is a short label, never the question copied."""

from __future__ import annotations

from datetime import date

import pytest

from retrieval.claims.disagreements import NOTICE_PREFIX, describe, find_disagreements_in_texts
from retrieval.claims.entities import is_entity, same_by_form
from retrieval.claims.followups import asks_about, not_shown_before
from retrieval.models import Disagreement, Turn

SAME_ENTITY = [
    pytest.param("Republican Gov. Jeff Landry signed the law requiring schools to display the Ten Commandments.",
                 "GOP Gov. Jeff Landry signed the law requiring schools to display the Ten Commandments.",
                 id="gop-republican"),
    pytest.param("The pill will be sold over the counter in the U.S. for the first time, the FDA said.",
                 "The pill will be sold over the counter in the United States for the first time, the FDA said.",
                 id="us-united-states"),
    pytest.param("The IOC executive board rejected the application to let women compete in Nordic combined.",
                 "The International Olympic Committee executive board rejected the application to let women "
                 "compete in Nordic combined.", id="initials"),
    pytest.param("The study followed 27 people from an extended Colombian family who carried the variant.",
                 "The study followed 27 people from an extended Columbian family who carried the variant.",
                 id="spelling-variant"),
    pytest.param("Governor Kathy Hochul signed the budget bill in Albany on Tuesday night.",
                 "Gov. Kathy Hochul signed the budget bill in Albany on Tuesday night.", id="title-abbreviation"),
    pytest.param("Three people were hurt when the bridge in Da Nang collapsed, police said.",
                 "3 people were hurt when the bridge in Da Nang collapsed, police said.", id="number-as-word"),
    pytest.param("Shai Gilgeous-Alexander was named a finalist for Most Valuable Player on Sunday.",
                 "Shai Gilgeous-Alexander was named a finalist for MVP on Sunday.", id="embedder-abbreviation"),
]


@pytest.mark.parametrize(("left", "right"), SAME_ENTITY)
def test_the_same_entity_in_other_words_is_no_disagreement(left: str, right: str, embeddings) -> None:
    texts = [(left, "a"), (right, "b")]
    assert find_disagreements_in_texts(None, texts, embeddings) == ()
    assert find_disagreements_in_texts("Who signed it and where?", texts, embeddings) == ()


def test_forms_of_one_name_match_and_credits_are_no_entity() -> None:
    assert same_by_form("Republican Gov", "GOP Gov") and same_by_form("U.S.", "United States")
    assert same_by_form("More:LeBron James", "NBA:LeBron")
    assert not same_by_form("Canada", "Japan") and not same_by_form("Akriti Bhargava", "Amna Malik")
    assert not is_entity("Samir Hussein/WireImage/Getty Images") and not is_entity("Thanksgiving")


SWAPPED = ("The climate summit will be hosted by Canada next spring, ministers said.",
           "The climate summit will be hosted by Japan next spring, ministers said.")


def test_a_real_swap_is_still_flagged_with_a_short_topic(embeddings) -> None:
    question = "Which country will host the climate summit next spring, according to ministers?"
    (found,) = find_disagreements_in_texts(question, [(SWAPPED[0], "a"), (SWAPPED[1], "b")], embeddings)
    assert {says for says, _ in found.sides} == {"Canada", "Japan"}
    assert found.topic.startswith("who or what") and len(found.topic) <= 60
    assert "Which country" not in found.topic and "?" not in describe(found)


def test_articles_published_far_apart_report_different_years_not_a_disagreement(embeddings) -> None:
    texts = [("Thanksgiving is on Thursday, Nov. 23, the holiday calendar shows.", "a"),
             ("Thanksgiving is on Thursday, Nov. 28, the holiday calendar shows.", "b")]
    assert find_disagreements_in_texts(None, texts, embeddings, [date(2024, 11, 1), date(2024, 11, 2)])
    assert find_disagreements_in_texts(None, texts, embeddings, [date(2023, 11, 1), date(2024, 11, 2)]) == ()


NOTICE = Disagreement(topic="the date (Spotify Wrapped released)", sides=(("Nov. 30", (1,)), ("Nov. 29", (2,))))


def test_a_follow_up_does_not_repeat_a_notice_unless_it_asks_about_that_fact() -> None:
    earlier = Turn(question="When did Spotify Wrapped come out?", answer=f"It came out [1].\n\n{describe(NOTICE)}")
    assert describe(NOTICE).startswith(NOTICE_PREFIX)
    assert not_shown_before([NOTICE], "Which artists topped the charts?", [earlier]) == ()
    assert not_shown_before([NOTICE], "So what date was Spotify Wrapped released?", [earlier]) == (NOTICE,)
    assert not_shown_before([NOTICE], "Which artists topped the charts?", []) == (NOTICE,)
    assert not asks_about("Which groups said they would sue?", NOTICE)
