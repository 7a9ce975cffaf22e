"""The command line's Markdown brief, on the extractive brief of the fixture corpus with the seed."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.render.markdown import render_brief_markdown
from retrieval.brief.build import build_brief
from retrieval.brief.models import Brief
from retrieval.models import Article
from tests.retrieval.brief.test_brief import SEED_CONTRADICTION, brief, corpus, seed  # noqa: F401 (fixtures)


def test_markdown_is_shaped_like_the_seed(brief: Brief) -> None:  # noqa: F811
    text = render_brief_markdown(brief)
    assert "\nKey points\n- " in text and "\nContradictions\n- " in text and "\nSources\n[1] " in text
    assert "1 article · Briefing" in text and "3 outlets: apnews.com, bbc.co.uk, reuters.com" in text
    assert f"- {SEED_CONTRADICTION}\n  - Western nations express concern" in text


def test_an_empty_window_says_so(corpus: list[Article], embeddings) -> None:  # noqa: F811
    empty = build_brief(corpus, as_of=datetime(2030, 1, 1, tzinfo=UTC), embeddings=embeddings)
    assert "No articles in this window." in render_brief_markdown(empty)
