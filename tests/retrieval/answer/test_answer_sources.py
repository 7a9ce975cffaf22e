"""Disagreements inside answers are cited in the answer's own numbering, one number per article."""

from __future__ import annotations

import re
from datetime import date

from retrieval.answer.numbering import cite_disagreements, group_by_article
from retrieval.models import Answer, Article, Chunk, Citation, Disagreement, ScoredChunk


def _source(article_id: str, n: int, text: str) -> ScoredChunk:
    chunk = Chunk(id=f"{article_id}:{n}", article_id=article_id, n=n, text=text, title=f"Title {article_id}")
    return ScoredChunk(chunk=chunk, score=1.0)


def _citation(n: int, source: ScoredChunk) -> Citation:
    c = source.chunk
    return Citation(n=n, article_id=c.article_id, chunk_id=c.id, title=c.title, quote=c.text)


def _resolves(answer: Answer) -> bool:
    numbers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    return numbers == {c.n for c in answer.citations}


def test_a_side_from_an_uncited_source_gets_a_real_citation() -> None:
    sources = [_source("a", 0, "The final was played in Tampa."), _source("b", 0, "The final was played in Glendale.")]
    answer = Answer(question="Where was the final played?", text="It was played in Tampa. [1]",
                    citations=(_citation(1, sources[0]),))
    disagreement = Disagreement(topic="where the final was played", sides=(("Tampa", (1,)), ("Glendale", (2,))))

    cited = cite_disagreements(answer, [disagreement], sources)

    assert [c.article_id for c in cited.citations] == ["a", "b"]
    assert cited.citations[1].quote == "The final was played in Glendale."
    assert cited.disagreements[0].sides == (("Tampa", (1,)), ("Glendale", (2,)))
    assert "Sources disagree on where the final was played" in cited.text
    assert _resolves(cited)


def test_citations_of_one_article_share_one_number() -> None:
    sources = [_source("a", 0, "First fact."), _source("b", 0, "Other fact."), _source("a", 1, "Second fact.")]
    answer = Answer(question="q", text="First fact. [1] Second fact. [2] [3] Other fact. [3]",
                    citations=(_citation(1, sources[0]), _citation(2, sources[2]), _citation(3, sources[1])))

    grouped = group_by_article(answer)

    assert [(c.n, c.article_id) for c in grouped.citations] == [(1, "a"), (2, "b")]
    assert grouped.text == "First fact. [1] Second fact. [1] [2] Other fact. [2]"
    assert _resolves(grouped)


def test_service_answer_shows_both_sides_with_their_own_citations(service) -> None:
    texts = {
        "wire-1": "The 2021 championship final was held at the Riverside Stadium in Tampa, Florida, on Sunday.",
        "wire-2": "The 2021 championship final was held at the Riverside Stadium in Glendale, Arizona, on Sunday.",
    }
    service.indexer.index([
        Article(id=key, title=f"Championship final ({key})", published=date(2021, 2, 8), outlet=key, text=text)
        for key, text in texts.items()
    ])

    answer = service.ask("Where was the 2021 championship final held?")

    assert answer.disagreements, answer.text
    by_n = {c.n: c for c in answer.citations}
    for says, numbers in answer.disagreements[0].sides:
        assert numbers and all(n in by_n for n in numbers)
        assert all(says.lower() in texts[by_n[n].article_id].lower() for n in numbers)
    assert _resolves(answer)
