"""The brief as frozen models: stories with cited key points and cited disagreements.

The invariant lives here: no key point or contradiction side without a citation, and every citation
points at a numbered source of the brief (`check_quotes` adds: its quote is a sentence of that article).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Literal

from pydantic import Field, model_validator

from retrieval.models import Article, Citation, Frozen


class BriefSource(Frozen):
    """One numbered article of the brief: what `[n]` points to."""

    n: int = Field(ge=1)
    article_id: str
    title: str
    url: str | None = None
    published: date | None = None
    outlet: str = "unknown"
    outlets: tuple[str, ...] = ()


class KeyPoint(Frozen):
    text: str = Field(min_length=1)
    citations: tuple[Citation, ...] = Field(min_length=1)


class ContradictionSide(Frozen):
    """What one side says, and the sources that say it."""

    says: str = Field(min_length=1)
    citations: tuple[Citation, ...] = Field(min_length=1)


class StoryContradiction(Frozen):
    """A claim the sources disagree on (or that a briefing reports as disputed), each side cited."""

    claim: str = Field(min_length=1)
    sides: tuple[ContradictionSide, ...] = Field(min_length=1)


class Story(Frozen):
    headline: str
    summary: str
    summary_citations: tuple[Citation, ...] = Field(min_length=1)
    key_points: tuple[KeyPoint, ...] = ()
    contradictions: tuple[StoryContradiction, ...] = ()
    coverage: int = Field(ge=1)  # distinct outlets
    outlets: tuple[str, ...]
    single_source: bool
    article_ids: tuple[str, ...]
    latest: date | None = None
    sources: tuple[BriefSource, ...] = ()  # the story's own numbered articles: its `[n]` count from 1

    @property
    def article_count(self) -> int:
        """How many articles the story merges: what its coverage line says."""
        return len(self.article_ids)

    @model_validator(mode="after")
    def _coverage_matches_outlets(self) -> Story:
        if self.coverage != len(self.outlets) or self.single_source != (self.coverage == 1):
            raise ValueError("coverage must count the distinct outlets; single_source means exactly one")
        return self

    def citations(self) -> Iterator[Citation]:
        yield from self.summary_citations
        for point in self.key_points:
            yield from point.citations
        for contradiction in self.contradictions:
            for side in contradiction.sides:
                yield from side.citations


class Brief(Frozen):
    """A brief; a story with its own `sources` is numbered on its own, else it cites `Brief.sources`."""

    as_of: datetime
    window_hours: int
    topic: str | None = None
    stories: tuple[Story, ...] = ()
    sources: tuple[BriefSource, ...] = ()
    mode: Literal["llm", "extractive"] = "extractive"
    note: str | None = None

    @model_validator(mode="after")
    def _every_citation_resolves(self) -> Brief:
        _numbered_from_one(self.sources)
        for story in self.stories:
            numbered = _numbered_from_one(story.sources or self.sources)
            for citation in story.citations():
                source = numbered.get(citation.n)
                if source is None or source.article_id != citation.article_id:
                    raise ValueError(f"citation [{citation.n}] does not resolve to its source")
                if not citation.quote.strip():
                    raise ValueError(f"citation [{citation.n}] has no quote")
        return self

    def citations(self) -> Iterator[Citation]:
        for story in self.stories:
            yield from story.citations()

    def all_sources(self) -> tuple[BriefSource, ...]:
        """Every numbered source of the brief: the brief's own, then each story's."""
        return (*self.sources, *(s for story in self.stories for s in story.sources))


def _numbered_from_one(sources: tuple[BriefSource, ...]) -> dict[int, BriefSource]:
    numbered = {source.n: source for source in sources}
    if sorted(numbered) != list(range(1, len(sources) + 1)):
        raise ValueError("sources must be numbered 1..N")
    return numbered


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def article_contains(article: Article, quote: str) -> bool:
    """Is `quote` written in the article: its body, or a key point or contradiction line it carries?"""
    needle = normalise_space(quote)
    haystacks = (article.text, *article.key_points, *article.contradictions)
    return bool(needle) and any(needle in normalise_space(text) for text in haystacks)


def check_quotes(brief: Brief, articles: Mapping[str, Article]) -> list[Citation]:
    """Citations whose quote is not in the cited article (empty when the brief is sound)."""
    return [c for c in brief.citations() if c.article_id not in articles or not article_contains(
        articles[c.article_id], c.quote)]
