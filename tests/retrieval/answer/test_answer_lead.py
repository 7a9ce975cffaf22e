"""Issue 13, item 2: the first sentence of the offline answer is the one that answers (retrieval/answer/lead.py).

Real local embedder on hand-built retrieved lists (no index: the lead depends only on what was retrieved);
the assertions are on the answer's first sentence, what a reader takes as the answer.
"""

from __future__ import annotations

from datetime import date

from retrieval.answer.asked_fact import asked_values
from retrieval.answer.extractive import answer_and_evidence
from retrieval.answer.lead import proximity
from retrieval.answer.question_kinds import QuestionKind
from retrieval.answer.terms import weighted_terms
from retrieval.claims.values import find_values
from retrieval.models import Chunk, ScoredChunk
from retrieval.text.markers import strip_markers
from retrieval.text.sentences import split_cited_sentences


def _source(article: str, text: str, published: date | None, score: float, outlet: str = "Coast News") -> ScoredChunk:
    chunk = Chunk(id=f"{article}:0", article_id=article, n=0, text=text, title=f"{article} story",
                  url=f"https://{article}.example/story", published=published, outlet=outlet)
    return ScoredChunk(chunk=chunk, score=score)


def _sentences(question: str, sources: list[ScoredChunk], embeddings) -> list[str]:
    answer, _ = answer_and_evidence(question, sources, embeddings)
    assert not answer.refused
    return [strip_markers(s).strip() for s in split_cited_sentences(answer.text)]


FILLER = _source("filler", "The county library extended its opening hours for the summer holidays, the council said.",
                 date(2024, 5, 3), 0.01)


def test_the_newest_coverage_leads_when_an_older_article_tells_the_same_story(embeddings) -> None:
    """A question about this week's festival is answered by this year's article, not last year's."""
    old = _source("last-year", "The Lantern Festival was held in Dunmore, drawing large crowds to the river.",
                  date(2023, 5, 2), 0.05)
    new = _source("this-year", "The Lantern Festival was held in Kelso, drawing large crowds to the river.",
                  date(2024, 5, 3), 0.04)

    lead = _sentences("Which town hosted the Lantern Festival this week?", [old, new, FILLER], embeddings)[0]

    assert "Kelso" in lead


def test_a_linked_headline_inside_an_article_never_leads(embeddings) -> None:
    """The headline of a linked story ("...: details on ...") has no closing stop: the lead is a sentence."""
    text = ("Phish festival in Dover: name, tickets and dates for the Woodlands show\n\n"
            "The band will host its own festival, called Mondegreen, at The Woodlands of Dover in August.")
    sentences = _sentences("What is the name of the festival Phish is hosting in Dover?",
                           [_source("phish", text, date(2024, 5, 3), 0.05), FILLER], embeddings)

    assert "Mondegreen" in sentences[0]
    assert sentences[0].endswith(".")


def test_who_is_answered_by_the_name_the_sources_agree_on(embeddings) -> None:
    """A name several sources give, next to the question's words, leads; a passing mention does not."""
    sources = [
        _source("board", "Kestrel Bank's board met on Monday, and the shareholder Tom Ruiz criticised its pay plans.",
                date(2024, 5, 3), 0.05),
        _source("wire", "Maria Olsen will lead Kestrel Bank from June, the board said.", date(2024, 5, 3), 0.04,
                outlet="Wire"),
        _source("profile", "Olsen, a former central banker, takes over at Kestrel Bank in June.", date(2024, 5, 2),
                0.03, outlet="Profile"),
    ]

    lead = _sentences("Who will lead Kestrel Bank?", sources, embeddings)[0]

    assert "Olsen" in lead and "Ruiz" not in lead


def test_the_same_wire_sentence_from_two_outlets_is_given_once(embeddings) -> None:
    """Two outlets' copies of one sentence: the answer gives it once, then something else or nothing."""
    wire = "Maria Olsen will lead Kestrel Bank from June, the board said on Monday."
    sources = [_source("wire", wire, date(2024, 5, 3), 0.05, outlet="Wire"),
               _source("copy", wire.replace("on Monday", "late on Monday"), date(2024, 5, 3), 0.04, outlet="Copy")]

    sentences = _sentences("Who will lead Kestrel Bank?", sources, embeddings)

    assert sum("Maria Olsen will lead Kestrel Bank" in s for s in sentences) == 1, sentences


def test_proximity_counts_the_question_terms_next_to_the_asked_value_only() -> None:
    terms = weighted_terms("Which cryptocurrency crossed $100,000 for the first time?")
    near = "After weeks of swings, Bitcoin crossed $100,000 for the first time on Thursday."
    far = ("Bitcoin fans met in Lisbon on Monday for a conference about mining, custody, regulation, taxes and "
           "the long history of exchanges, and later the currency crossed $100,000.")

    def slots(sentence: str) -> list:
        return [v for v in find_values(sentence) if v.kind == "name" and "Bitcoin" in sentence[v.start : v.end]]

    assert proximity(near, slots(near), terms) > proximity(far, slots(far), terms)
    assert proximity(near, [], terms) == 0.0


def test_what_percentage_is_answered_by_a_percentage_not_by_another_figure(embeddings) -> None:
    """A number in the asked unit leads: "52%" for "what percentage", not the record "$4 million"."""
    text = ("Fresh produce sales at Kelso farmers markets set a record in 2023, with over $4 million of total sales. "
            "That was 52% of the total, with meats, cheeses and breads making up the rest.")
    lead = _sentences("What percentage of total sales at Kelso farmers markets came from fresh produce?",
                      [_source("markets", text, date(2024, 5, 3), 0.05), FILLER], embeddings)[0]

    assert "52%" in lead
    asked = "What percentage of total sales came from fresh produce?"
    assert asked_values(QuestionKind.NUMBER, "Sales topped $4 million and 3,000 visitors came.", asked) == []
    assert [v.key[0] for v in asked_values(QuestionKind.NUMBER, "Produce made up 52% of it.", asked)] == ["%"]


def test_an_articles_subheading_question_never_leads(embeddings) -> None:
    """A question inside an article ("Who is Maria Olsen...?") restates, it does not answer."""
    text = ("Who is Maria Olsen, the banker who will lead Kestrel Bank?\n\n"
            "The board named Maria Olsen, a former central banker, to run Kestrel Bank from June.")
    sentences = _sentences("Who will lead Kestrel Bank?", [_source("olsen", text, date(2024, 5, 3), 0.05), FILLER],
                           embeddings)

    assert "Maria Olsen" in sentences[0] and not sentences[0].endswith("?"), sentences


def test_a_paraphrase_of_the_lead_from_another_outlet_does_not_follow_it(embeddings) -> None:
    """Two outlets tell the same history in other words: a reader gets it once."""
    first = ("In June 1968, Congress passed the Uniform Monday Holiday Act, which established the observance of "
             "Washington's Birthday on the third Monday of February, a move that made more three-day weekends.")
    second = ("The first president's birthday has long been celebrated in the United States, but in 1968 Congress "
              "passed the Uniform Monday Holiday Act, which established the observance of Washington's birthday "
              "each year on the third Monday of February.")
    sources = [_source("history", first, date(2024, 2, 19), 0.05),
               _source("explainer", second, date(2024, 2, 19), 0.04, outlet="Explainer")]

    sentences = _sentences("Presidents' Day falls on or near which president's birthday?", sources, embeddings)

    assert sum("Uniform Monday Holiday Act" in s for s in sentences) == 1, sentences


def test_a_correction_notice_is_neither_the_answer_nor_its_support(embeddings) -> None:
    """A publication's note about its own text matches the question's words but reports no news."""
    correction = _source("corrections", "Because of an editing error, the Nov. 18 story on the Federal Reserve "
                         "misstated what the Federal Reserve decided about interest rates.", date(2024, 5, 3), 0.09)
    news = _source("fed", "The Federal Reserve left its key interest rate unchanged on Wednesday.",
                   date(2024, 5, 2), 0.05)

    sentences = _sentences("What did the Federal Reserve decide about interest rates?",
                           [correction, news, FILLER], embeddings)

    assert sentences[0] == "The Federal Reserve left its key interest rate unchanged on Wednesday."
    assert not any("editing error" in s for s in sentences)
