"""Contradiction detection on hand-made pairs: what must be flagged, and what must not."""

from __future__ import annotations

import pytest

from retrieval.claims.disagreements import (
    attach_disagreements,
    compatible,
    describe,
    find_disagreements,
    find_disagreements_in_texts,
    find_values,
    question_kind,
)
from retrieval.models import Answer, Chunk, ScoredChunk

DISAGREEING = [
    pytest.param(
        "The fire at the warehouse in Lyon killed 12 people on Monday, officials said.",
        "The fire at the warehouse in Lyon killed 15 people on Monday, officials said.",
        "12", "15", None, id="numbers",
    ),
    pytest.param(
        "Officials said 12 people died in the warehouse fire in Lyon.",
        "The warehouse fire in Lyon killed at least 20 people, officials said.",
        "12 people", "20 people", None, id="reworded-count",
    ),
    pytest.param(
        "The company said the new plant in Ohio will open on March 3, 2025.",
        "The company said the new plant in Ohio will open on 14 May 2025.",
        "March 3, 2025", "14 May 2025", None, id="dates",
    ),
    pytest.param(
        "The climate summit will be hosted by Canada next spring, ministers said.",
        "The climate summit will be hosted by Japan next spring, ministers said.",
        "Canada", "Japan", "Which country will host the climate summit?", id="names",
    ),
    pytest.param(
        "The inquiry found that the fire started in the kitchen of Hotel Miramar in Nice.",
        "The inquiry found that the fire started in the kitchen of Hotel Splendid in Nice.",
        "Hotel Miramar", "Hotel Splendid", "Where did the fire start?", id="places",
    ),
    pytest.param(
        "The minister said the government will raise the fuel tax this year.",
        "The minister said the government will not raise the fuel tax this year.",
        "will raise", "will not raise", None, id="negation",
    ),
    pytest.param(
        "Moscow and Pyongyang have denied any arms trade between them, officials said.",
        "Moscow and Pyongyang have confirmed an arms trade between them, officials said.",
        "denied", "confirmed", None, id="antonyms",
    ),
]

AGREEING = [
    pytest.param("Facebook bought Instagram for $1 billion in 2012.",
                 "Facebook bought Instagram for $1,000 million in 2012.", id="same-number-written-differently"),
    pytest.param("The game was released on Dec. 1, 2017 in Japan and Europe.",
                 "The game was released on 1 December 2017 in Japan and Europe.", id="same-date-written-differently"),
    pytest.param("The game was released in December 2017 in Japan and Europe.",
                 "The game was released on December 1, 2017 in Japan and Europe.", id="date-more-precise"),
    pytest.param("Instagram was acquired by Facebook in April 2012 for about $1 billion.",
                 "In April 2012, Facebook agreed to buy the photo app Instagram for roughly one billion dollars.",
                 id="paraphrase"),
    pytest.param("President Joe Biden met Chancellor Olaf Scholz in Berlin on Friday.",
                 "Biden met Scholz in Berlin on Friday, the White House said.", id="short-and-long-names"),
    pytest.param("Tesla reported revenue of $10.39 billion for the quarter.",
                 "Tesla reported revenue of $10.4 billion for the quarter.", id="rounded"),
    pytest.param("Karolína Plíšková reached the final at Wimbledon in 2021.",
                 "Karolina Pliskova reached the final at Wimbledon in 2021.", id="accents"),
    pytest.param("Apple reported revenue of $90 billion in the quarter.",
                 "Microsoft reported revenue of $52 billion in the quarter.", id="different-subjects"),
    pytest.param("Emma Stone took home the Academy Award for Best Actress for her role on Sunday.",
                 "Emma Stone took home the best actress Oscar for her role on Sunday.", id="reworded-names"),
]


def _pair(a: str, b: str) -> list[tuple[str, str]]:
    return [(a, "article-a"), (b, "article-b")]


@pytest.mark.parametrize(("left", "right", "left_says", "right_says", "question"), DISAGREEING)
def test_disagreeing_pairs_are_flagged_with_both_sides_cited(
    left: str, right: str, left_says: str, right_says: str, question: str | None, embeddings
) -> None:
    found = find_disagreements_in_texts(question, _pair(left, right), embeddings)
    assert len(found) == 1
    sides = dict(found[0].sides)
    by_source = {numbers: says for says, numbers in sides.items()}
    assert left_says in by_source[(1,)]
    assert right_says in by_source[(2,)]


@pytest.mark.parametrize(("left", "right"), AGREEING)
def test_agreeing_pairs_are_not_flagged(left: str, right: str, embeddings) -> None:
    assert find_disagreements_in_texts(None, _pair(left, right), embeddings) == ()


def test_with_no_question_a_differing_name_is_another_subject_not_a_disagreement(embeddings) -> None:
    """A brief compares articles with no question: "the Southern Tier" / "the mid-Hudson Valley" in two local
    editions of one story are two places, not two answers."""
    left, right = DISAGREEING[3].values[:2]
    assert find_disagreements_in_texts(None, _pair(str(left), str(right)), embeddings) == ()


def test_one_article_never_disagrees_with_itself(embeddings) -> None:
    texts = [("The storm killed 12 people in Manila on Tuesday.", "same"),
             ("The storm killed 15 people in Manila on Tuesday.", "same")]
    assert find_disagreements_in_texts(None, texts, embeddings) == ()


def _chunk(n: int, text: str, article: str | None = None) -> ScoredChunk:
    article_id = article or f"article-{n}"
    return ScoredChunk(chunk=Chunk(id=f"{article_id}:{n}", article_id=article_id, n=n, text=text,
                                   title=f"Story {n}"), score=1.0)


STORM = [
    _chunk(1, "Typhoon Hagupit killed 12 people in the Philippines on Tuesday, the disaster agency said."),
    _chunk(2, "Typhoon Hagupit killed 31 people in the Philippines on Tuesday, the disaster agency said."),
    _chunk(3, "Typhoon Hagupit killed 12 people in the Philippines on Tuesday, the disaster agency said."),
    _chunk(4, "Rescue teams reached the flooded towns of Samar island by boat on Wednesday."),
]


def test_sides_cite_every_source_that_says_them(embeddings) -> None:
    found = find_disagreements("How many people did Typhoon Hagupit kill?", STORM, embeddings)
    assert found[0].sides == (("12", (1, 3)), ("31", (2,)))
    # a short label of the fact and its subject, never the question copied (issue 13)
    assert found[0].topic == "the figure (Typhoon Hagupit killed)"


def test_a_question_about_another_kind_of_fact_ignores_the_clash(embeddings) -> None:
    assert find_disagreements("Where did Typhoon Hagupit hit?", STORM, embeddings) == ()


def test_statements_that_differ_in_the_questions_own_subject_are_not_a_disagreement(embeddings) -> None:
    sources = [
        _chunk(1, "The 2021 Nobel Prize in Literature was awarded to Abdulrazak Gurnah in October."),
        _chunk(2, "The 2020 Nobel Prize in Literature was awarded to Louise Glück in October."),
    ]
    assert find_disagreements("Who won the 2021 Nobel Prize in Literature?", sources, embeddings) == ()


def test_answers_spell_out_the_disagreement(embeddings) -> None:
    answer = Answer(question="How many died?", text="Typhoon Hagupit killed 12 people [1].")
    updated = attach_disagreements(answer, "How many people did Typhoon Hagupit kill?", STORM, embeddings)
    assert updated.disagreements and updated.text.startswith(answer.text)
    assert "Sources disagree" in updated.text and "12, say [1][3]" in updated.text and "31, say [2]" in updated.text
    assert describe(updated.disagreements[0]) in updated.text


def test_answers_without_disagreement_are_unchanged(embeddings) -> None:
    answer = Answer(question="q", text="Rescue teams arrived by boat [4].")
    assert attach_disagreements(answer, "How did rescuers arrive?", STORM[3:], embeddings) is answer


def test_values_are_parsed_whatever_the_spelling() -> None:
    dates = [v for v in find_values("It opened on Dec. 1, 2017, then on 1 December 2017 and 2017-12-01.")]
    assert [v.key for v in dates] == [(2017, 12, 1)] * 3
    money = find_values("It cost $1.5 billion, or $1,500 million.")
    assert len(money) == 2 and compatible(money[0], money[1])
    assert not compatible(*find_values("It rose 12% and then 15%."))


def test_question_kinds() -> None:
    assert question_kind("When was Pixel 6 announced?") == "date"
    assert question_kind("How many people died?") == "number"
    assert question_kind("Who acquired Instagram?") == "name"
