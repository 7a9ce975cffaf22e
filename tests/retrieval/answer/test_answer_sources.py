"""Sources are numbered once, per article; the prompt and disagreement lines use those numbers."""

from __future__ import annotations

import re
from datetime import date

from retrieval.answer.citations import format_sources_for_prompt
from retrieval.answer.numbering import SourceNumbering, cite_disagreements
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

    cited = cite_disagreements(answer, [disagreement], SourceNumbering.of(sources))

    assert [c.article_id for c in cited.citations] == ["a", "b"]
    assert cited.citations[1].quote == "The final was played in Glendale."
    assert cited.disagreements[0].sides == (("Tampa", (1,)), ("Glendale", (2,)))
    assert "Sources disagree on where the final was played" in cited.text
    assert _resolves(cited)


def test_articles_are_numbered_once_in_order_of_first_appearance() -> None:
    sources = [_source("a", 2, "First fact."), _source("b", 0, "Other fact."), _source("a", 0, "Earlier fact.")]

    numbering = SourceNumbering.of(sources)

    assert [(a.n, [c.id for c in a.chunks]) for a in numbering.articles] == [(1, ["a:2", "a:0"]), (2, ["b:0"])]
    assert [n for n, _ in numbering.retrieved] == [1, 2, 1]
    assert [(c.n, c.article_id, c.chunk_id) for c in numbering.citations()] == [(1, "a", "a:2"), (2, "b", "b:0")]


def test_the_prompt_has_one_block_per_article_holding_its_chunks_in_article_order() -> None:
    sources = [_source("a", 2, "Later fact."), _source("b", 0, "Other fact."), _source("a", 0, "Earlier fact.")]

    prompt = format_sources_for_prompt(SourceNumbering.of(sources))

    assert prompt.count("<source ") == 2 and prompt.count("</source>") == 2
    assert '<source id="1" title="Title a"' in prompt and '<source id="2" title="Title b"' in prompt
    first_block = prompt.split("</source>")[0]
    assert first_block.index("Earlier fact.") < first_block.index("Later fact.")
    assert "Other fact." not in first_block


def test_a_side_from_a_cited_article_keeps_its_number() -> None:
    sources = [_source("a", 0, "The final was played in Tampa."), _source("b", 0, "Tickets sold out."),
               _source("a", 1, "Fans travelled to Tampa.")]
    answer = Answer(question="Where?", text="It was played in Tampa. [1]", citations=(_citation(1, sources[0]),))
    disagreement = Disagreement(topic="the venue", sides=(("Tampa", (1, 3)), ("Glendale", (2,))))

    cited = cite_disagreements(answer, [disagreement], SourceNumbering.of(sources))

    assert cited.disagreements[0].sides == (("Tampa", (1,)), ("Glendale", (2,)))
    assert [(c.n, c.article_id) for c in cited.citations] == [(1, "a"), (2, "b")]
    assert _resolves(cited)


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
