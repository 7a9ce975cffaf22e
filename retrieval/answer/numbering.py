"""Source numbers: decided once, per article, from the retrieved chunks, before any answer is written.

The LLM prompt, the extractive answer and the disagreement lines all cite these numbers, so the `[n]`
a reader sees while the model streams is the `[n]` of the final answer, and nothing renumbers text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.claims.disagreements import describe
from retrieval.models import Answer, Chunk, Citation, Disagreement, ScoredChunk
from retrieval.text.sentences import split_sentences


@dataclass(frozen=True)
class NumberedArticle:
    """One article's number and its retrieved chunks, best ranked first."""

    n: int
    chunks: tuple[Chunk, ...]

    def citation(self, chunk: Chunk | None = None, quote: str = "") -> Citation:
        """The citation `[n]`, quoting `chunk` (by default the article's best-ranked chunk)."""
        chunk = chunk or self.chunks[0]
        return Citation(n=self.n, article_id=chunk.article_id, chunk_id=chunk.id, title=chunk.title,
                        url=chunk.url, published=chunk.published, outlet=chunk.outlet, quote=quote)


@dataclass(frozen=True)
class SourceNumbering:
    """Article → `n` (1-based, in order of first appearance among the retrieved chunks)."""

    articles: tuple[NumberedArticle, ...]
    retrieved: tuple[tuple[int, Chunk], ...]  # (its article's number, chunk) per retrieved chunk, in order

    @classmethod
    def of(cls, sources: Sequence[ScoredChunk]) -> SourceNumbering:
        numbers: dict[str, int] = {}
        chunks: dict[str, list[Chunk]] = {}
        for scored in sources:
            article_id = scored.chunk.article_id
            numbers.setdefault(article_id, len(numbers) + 1)
            chunks.setdefault(article_id, []).append(scored.chunk)
        articles = tuple(NumberedArticle(numbers[a], tuple(cs)) for a, cs in chunks.items())
        return cls(articles, tuple((numbers[s.chunk.article_id], s.chunk) for s in sources))

    def article(self, n: int) -> NumberedArticle:
        return self.articles[n - 1]

    def citations(self) -> tuple[Citation, ...]:
        """One citation per article, in number order; quotes are filled in when a sentence cites it."""
        return tuple(a.citation() for a in self.articles)


def in_story_order(found: Sequence[ScoredChunk], article_ids: Sequence[str], k: int) -> list[ScoredChunk]:
    """A story's own retrieved chunks, ordered so that numbering by first appearance gives each article
    the number the story gave it (`article_ids[i]` is `[i + 1]`, as the brief numbers a story): every
    found article's best chunk first, in story order, then the rest by rank; at most `k` chunks, or one
    per found article if there are more. (An article the search did not find at all leaves a gap the
    numbers after it close; a story's few articles are searched 100 deep, so that is rare.)"""
    rank = {article_id: i for i, article_id in enumerate(dict.fromkeys(article_ids))}
    best: dict[str, int] = {}
    for i, scored in enumerate(found):
        if scored.chunk.article_id in rank:
            best.setdefault(scored.chunk.article_id, i)
    leads = sorted(best.values(), key=lambda i: rank[found[i].chunk.article_id])
    rest = [i for i, s in enumerate(found) if s.chunk.article_id in rank and i not in set(leads)]
    return [found[i] for i in (leads + rest)[: max(k, len(leads))]]


def cite_disagreements(
    answer: Answer, disagreements: Sequence[Disagreement], numbering: SourceNumbering
) -> Answer:
    """Disagreements name their sides by 1-based position among the retrieved chunks; cite each side by
    its article's number (every retrieved chunk's article has one), adding its citation if uncited."""
    if not disagreements:
        return answer
    citations = {c.n: c for c in answer.citations}

    def number_for(position: int, says: str) -> int:
        n, chunk = numbering.retrieved[position - 1]
        if n not in citations:
            citations[n] = numbering.article(n).citation(chunk, _quote(chunk.text, says))
        return n

    cited = tuple(
        Disagreement(topic=d.topic, sides=tuple(
            (says, tuple(dict.fromkeys(number_for(p, says) for p in positions))) for says, positions in d.sides
        ))
        for d in disagreements
    )
    text = "\n".join([answer.text.rstrip(), "", *(describe(d) for d in cited)])
    ordered = tuple(sorted(citations.values(), key=lambda c: c.n))
    return answer.model_copy(update={"text": text, "citations": ordered, "disagreements": cited})


def _quote(text: str, says: str) -> str:
    sentences = split_sentences(text)
    lowered = says.lower()
    return next((s for s in sentences if lowered in s.lower()), sentences[0] if sentences else text)
