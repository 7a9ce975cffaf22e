"""Issue 13: two outlets state one fact in their own words with values that cannot both hold (same slot, same
time reference), or one sentence reports two parties' values; hedges are bounds, not values."""

from __future__ import annotations

from datetime import date

import pytest

from retrieval.claims.disagreements import describe, find_disagreements_in_texts
from retrieval.claims.values import Value, compatible, find_values

SAME_DAY = [date(2030, 3, 2), date(2030, 3, 2)]
DAYS_APART = [date(2030, 3, 2), date(2030, 3, 9)]


def _number(text: str) -> Value:
    (value,) = [v for v in find_values(text) if v.kind == "number"]
    return value


def test_hedges_are_bounds() -> None:
    nearly, above, plain = _number("nearly 300 boats"), _number("more than 300 boats"), _number("300 boats")
    assert (nearly.bound, above.bound) == ("near_below", "above")
    assert not compatible(nearly, above)  # below 300 against above 300
    assert compatible(nearly, plain) and compatible(above, plain)  # a round figure may be either
    assert compatible(_number("at least 9 people"), _number("at least 12 people"))  # both lower bounds hold
    assert not compatible(_number("at least 20 people"), _number("12 people"))
    assert compatible(_number("about 300 boats"), _number("310 boats"))


def test_reworded_statements_with_one_year_and_two_days_disagree(embeddings) -> None:
    texts = [("In 2029 and 2028, the Lumen Festival opened on Oct. 12.", "a"),
             ("The Lumen Festival 2029 began Oct. 11.", "b")]
    (found,) = find_disagreements_in_texts(None, texts, embeddings, DAYS_APART)
    assert {says for says, _ in found.sides} == {"Oct. 12", "Oct. 11"}
    assert found.topic.startswith("the date") and "Lumen" in found.topic and len(found.topic) <= 60


def test_hedged_counts_of_one_event_that_cannot_both_hold_disagree(embeddings) -> None:
    texts = [("Nearly 300 boats will sail in the 2030 Lyon Regatta, but Norway will not send one.", "a"),
             ("More than 300 boats from Chile to Japan will take part in the 2030 Lyon Regatta, which starts on "
              "Friday.", "b")]
    (found,) = find_disagreements_in_texts(None, texts, embeddings, DAYS_APART)
    assert {says for says, _ in found.sides} == {"Nearly 300 boats", "More than 300 boats"}
    assert "boats" in found.topic


@pytest.mark.parametrize(("left", "right", "days"), [
    pytest.param("In 2028, the Lumen Festival opened on Oct. 12.", "The Lumen Festival 2029 began Oct. 11.",
                 DAYS_APART, id="another-year"),
    pytest.param("All Walmart stores will be closed on Dec. 25, the company said.",
                 "All Costco warehouses will be closed on Dec. 24, the company said.", SAME_DAY,
                 id="another-subject"),
    pytest.param("The flood in Valencia has killed 52 people, officials said.",
                 "The flood in Valencia killed 95 people, officials said.", DAYS_APART, id="running-toll-updated"),
    pytest.param("Globally, there are over 16,500 cases of the virus reported in 74 countries.",
                 "At the time, 3,040 cases of the virus had been reported in 47 countries.", SAME_DAY,
                 id="another-moment"),
    pytest.param("The storm Elsa became a Category 1 hurricane Wednesday near Cuba.",
                 "The storm Elsa became a Category 2 hurricane Thursday near Cuba.", SAME_DAY, id="label-and-days"),
    pytest.param("Nearly 300 boats will sail in the 2030 Lyon Regatta.",
                 "About 300 boats will sail in the 2030 Lyon Regatta, organisers said.", DAYS_APART,
                 id="hedges-that-overlap"),
])
def test_reworded_statements_about_another_fact_or_time_do_not_disagree(left, right, days, embeddings) -> None:
    assert find_disagreements_in_texts(None, [(left, "a"), (right, "b")], embeddings, days) == ()


def test_one_sentence_reporting_two_parties_values_is_a_disagreement_citing_its_source(embeddings) -> None:
    sentence = ("Chile's National Seismological Center gave the quake a magnitude of 6.8 while the USGS recorded "
                "it at 7.1 with a depth of about 30 miles.")
    (found,) = find_disagreements_in_texts("How strong was the quake?", [(sentence, "a")], embeddings)
    assert found.sides == (("6.8 (Chile's National Seismological Center)", (1,)), ("7.1 (USGS)", (1,)))
    assert found.topic == "the figure (quake magnitude)"
    assert describe(found).count("[1]") == 2 and "How strong" not in describe(found)


@pytest.mark.parametrize("sentence", [
    pytest.param("Apple sold 5 million phones in May while Samsung sold 7 million phones.", id="not-reporting"),
    pytest.param("The USGS recorded the first quake at 6.8 while the second one reached 5.1 hours later.",
                 id="one-party"),
    pytest.param("Police said 3 people were arrested, while the mayor said 40 officers were deployed.",
                 id="other-nouns"),
])
def test_a_sentence_with_two_figures_that_are_two_facts_is_no_disagreement(sentence: str, embeddings) -> None:
    assert find_disagreements_in_texts(None, [(sentence, "a")], embeddings) == ()
