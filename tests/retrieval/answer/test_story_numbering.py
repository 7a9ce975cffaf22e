"""A story's "Ask" answer numbers each article as the story does; the streamed text shows the final `[n]`."""

from __future__ import annotations

from retrieval.answer.citations import map_citations, streamed_markers
from retrieval.answer.numbering import SourceNumbering, in_story_order
from retrieval.models import Chunk, ScoredChunk


def _scored(article: str, n: int, score: float) -> ScoredChunk:
    chunk = Chunk(id=f"{article}:{n}", article_id=article, n=n, text=f"{article} text {n}.", title=article.upper())
    return ScoredChunk(chunk=chunk, score=score)


def test_a_story_answer_numbers_its_articles_in_the_storys_order_whatever_ranks_first() -> None:
    story = ("central", "second", "third")  # the story cites them [1], [2], [3]
    found = [_scored("third", 0, 0.9), _scored("other", 0, 0.8), _scored("second", 1, 0.7),
             _scored("third", 2, 0.6), _scored("central", 0, 0.5)]
    sources = in_story_order(found, story, k=4)
    numbering = SourceNumbering.of(sources)
    assert [(a.n, a.chunks[0].article_id) for a in numbering.articles] == [(1, "central"), (2, "second"), (3, "third")]
    assert all(s.chunk.article_id != "other" for s in sources)  # only the story's own articles
    assert len(sources) == 4 and sources[-1].chunk.id == "third:2"  # then the rest, by rank


def test_every_found_story_article_keeps_a_chunk_even_beyond_k() -> None:
    found = [_scored("a", i, 1 - i / 10) for i in range(5)] + [_scored("b", 0, 0.1)]
    sources = in_story_order(found, ("a", "b"), k=1)
    assert [s.chunk.article_id for s in sources] == ["a", "b"]


def test_streamed_text_shows_the_markers_the_final_answer_keeps() -> None:
    sources = [_scored("x", 0, 0.9), _scored("y", 0, 0.8)]
    numbering = SourceNumbering.of(sources)
    model_text = "Allies were sought 【1】. The US worried (source 2). Again [2][2]. A made-up one [7]. Fine [1, 9]."
    final, _ = map_citations(model_text, numbering.citations())
    streamed = streamed_markers(model_text, {a.n for a in numbering.articles})
    assert streamed == final == "Allies were sought [1]. The US worried [2]. Again [2]. A made-up one. Fine [1]."
    # Before the sources are known, shapes are still rewritten and no number is changed.
    assert streamed_markers("Sought 【2】 and (sources 1, 3).") == "Sought [2] and [1][3]."
