"""The offline extractive answer: real chunker, real local embedder, no mocks."""

from __future__ import annotations

import re
from datetime import date

import pytest

from retrieval.answer.extractive import REFUSAL_TEXT, answer_and_evidence, extractive_answer
from retrieval.index.chunking import chunk_article
from retrieval.models import Answer, Article, ScoredChunk
from retrieval.settings import Settings

THRESHOLD = Settings.model_fields["refusal_threshold"].default

BRIDGE = Article(
    id="bridge", title="Harbor City opens the Lindqvist Bridge", url="https://news.example/bridge",
    published=date(2024, 5, 14), outlet="Harbor Gazette",
    text=(
        "Harbor City opened its new crossing over the Vell estuary on Tuesday after four years of work.\n\n"
        "The Lindqvist Bridge was designed by the structural engineer Marta Okonkwo, whose firm also built "
        "the Kestrel Viaduct. The bridge cost 212 million dollars, most of it paid by the regional government.\n\n"
        "Commuters said the new route cut their morning drive by twenty minutes."
    ),
)
FLOOD = Article(
    id="flood", title="River Meriden bursts its banks", url="https://news.example/flood",
    published=date(2024, 5, 12), outlet="Valley Courier",
    text=(
        "Heavy rain over the weekend pushed the River Meriden over its banks, and residents of the valley "
        "were told to leave their homes.\n\n"
        "Officials said 3,400 people were evacuated from the Meriden valley on Sunday night. "
        "Emergency shelters opened in two schools in the town of Alder Cross."
    ),
)
ROWING = Article(
    id="rowing", title="Otters take the regional rowing title", url=None, published=None, outlet="unknown",
    text=(
        "The Riverton Otters won the regional rowing championship on Saturday, beating the Selby Herons "
        "by two lengths. Coach Ilse Marchetti said the crew had trained at dawn all winter."
    ),
)


def sources_of(*articles: Article) -> list[ScoredChunk]:
    """Every chunk of the articles, ranked in the given order (as a searcher would hand them over)."""
    chunks = [chunk for article in articles for chunk in chunk_article(article)]
    return [ScoredChunk(chunk=chunk, score=1.0 / (rank + 1)) for rank, chunk in enumerate(chunks)]


def assert_citations_are_true(answer: Answer, sources: list[ScoredChunk]) -> None:
    """Quotes are sentences of the cited chunk; `[n]` is the article's number among the retrieved sources
    (in order of first appearance), and the citations are exactly the numbers used, in number order."""
    by_id = {s.chunk.id: s.chunk for s in sources}
    article_number = {a: n for n, a in enumerate(dict.fromkeys(s.chunk.article_id for s in sources), start=1)}
    for citation in answer.citations:
        chunk = by_id[citation.chunk_id]
        assert citation.quote and citation.quote in chunk.text
        assert (citation.article_id, citation.title, citation.url) == (chunk.article_id, chunk.title, chunk.url)
        assert (citation.published, citation.outlet) == (chunk.published, chunk.outlet)
        assert f"{citation.quote} [{citation.n}]" in answer.text
        assert citation.n == article_number[citation.article_id]
    used = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert [c.n for c in answer.citations] == sorted(used)


@pytest.fixture(scope="module")
def sources() -> list[ScoredChunk]:
    return sources_of(ROWING, FLOOD, BRIDGE)


def test_answers_who_with_the_name_from_the_one_source_that_has_it(sources, embeddings) -> None:
    answer = extractive_answer("Who designed the Lindqvist Bridge?", sources, embeddings, refusal_threshold=THRESHOLD)
    assert not answer.refused and answer.mode == "extractive"
    assert "Marta Okonkwo" in answer.text
    first = answer.citations[0]
    assert first.n == 3 and first.article_id == "bridge" and "Okonkwo" in first.quote  # ranked third
    assert_citations_are_true(answer, sources)


def test_how_many_prefers_the_sentence_with_the_number(sources, embeddings) -> None:
    question = "How many people were evacuated from the Meriden valley?"
    answer = extractive_answer(question, sources, embeddings, refusal_threshold=THRESHOLD)
    assert not answer.refused
    assert answer.citations[0].quote.startswith("Officials said 3,400 people")
    assert_citations_are_true(answer, sources)


def test_later_sources_cited_keep_their_article_numbers(sources, embeddings) -> None:
    """The rowing chunk ranks first but is irrelevant: it keeps [1], uncited; the cited ones keep theirs."""
    question = "Which bridge opened and how many people were evacuated?"
    answer = extractive_answer(question, sources, embeddings, refusal_threshold=THRESHOLD, max_sentences=3)
    assert not answer.refused and "3,400" in answer.text
    assert len({c.article_id for c in answer.citations}) >= 2
    assert "rowing" not in {c.article_id for c in answer.citations}
    assert len(re.findall(r"\[\d+\]", answer.text)) <= 3
    assert_citations_are_true(answer, sources)


def test_refuses_a_question_the_sources_do_not_touch(sources, embeddings) -> None:
    for question in ("Which team won the Super Bowl?", "How many moons does Jupiter have?"):
        answer = extractive_answer(question, sources, embeddings, refusal_threshold=THRESHOLD)
        assert answer.refused, answer.text
        assert answer.text == REFUSAL_TEXT and answer.citations == ()


def test_evidence_separates_related_from_unrelated_questions(sources, embeddings) -> None:
    _, related = answer_and_evidence("Who designed the Lindqvist Bridge?", sources, embeddings)
    _, unrelated = answer_and_evidence("Which team won the Super Bowl?", sources, embeddings)
    assert related >= THRESHOLD > unrelated


def test_no_sources_is_a_refusal(embeddings) -> None:
    answer = extractive_answer("Who designed the bridge?", [], embeddings, refusal_threshold=THRESHOLD)
    assert answer.refused and answer.citations == ()


def test_max_sentences_is_respected(sources, embeddings) -> None:
    answer = extractive_answer(
        "What happened in the Meriden valley?", sources, embeddings, refusal_threshold=0.0, max_sentences=1
    )
    assert len(answer.citations) == 1 and len(re.findall(r"\[\d+\]", answer.text)) == 1
    assert_citations_are_true(answer, sources)
