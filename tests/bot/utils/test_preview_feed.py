"""The streamed preview cites with the numbers of the final answer (bot/utils/answering.py PreviewFeed)."""

from __future__ import annotations

from bot.render import messages as render
from bot.utils.answering import PreviewFeed
from retrieval.models import Chunk, ScoredChunk


def _scored(article: str) -> ScoredChunk:
    chunk = Chunk(id=f"{article}:0", article_id=article, n=0, text="Some text.", title=f"{article} story",
                  outlet="CNN")
    return ScoredChunk(chunk=chunk, score=1.0)


def test_the_preview_drops_unknown_numbers_and_rewrites_marker_shapes_as_the_final_answer_does() -> None:
    shown: list[render.Preview] = []
    feed = PreviewFeed(shown.append, show_sources=False)
    feed.on_sources([_scored("a"), _scored("b"), _scored("a")])
    feed.on_partial("Putin sought allies (source 2) [5]")
    assert shown[-1].text == "Putin sought allies [2]"
    assert shown[-1].sources == ()  # sources not shown, yet their numbers are known
    content = render.render_partial(shown[-1])
    assert "[2]" in content and "[5]" not in content and "(source 2)" not in content


def test_the_preview_lists_each_found_article_once_under_its_number() -> None:
    shown: list[render.Preview] = []
    feed = PreviewFeed(shown.append)
    feed.on_sources([_scored("a"), _scored("b"), _scored("a")])
    assert shown[-1].sources == ("[1] a story · CNN", "[2] b story · CNN")
