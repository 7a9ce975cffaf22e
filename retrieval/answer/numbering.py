"""Final touches on an answer's sources: disagreements cited in the answer's own numbering, and one
number per article, so a reader sees each source once however many of its sentences are quoted."""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.claims.disagreements import describe
from retrieval.models import Answer, Citation, Disagreement, ScoredChunk
from retrieval.text.markers import renumber
from retrieval.text.sentences import split_sentences


def cite_disagreements(
    answer: Answer, disagreements: Sequence[Disagreement], sources: Sequence[ScoredChunk]
) -> Answer:
    """Disagreements number their sides by position in `sources`; give each side a citation of the answer."""
    if not disagreements:
        return answer
    citations = list(answer.citations)
    number_of = {c.chunk_id: c.n for c in citations}

    def number_for(position: int, says: str) -> int:
        chunk = sources[position - 1].chunk
        if chunk.id not in number_of:
            number_of[chunk.id] = len(citations) + 1
            citations.append(Citation(
                n=number_of[chunk.id], article_id=chunk.article_id, chunk_id=chunk.id, title=chunk.title,
                url=chunk.url, published=chunk.published, outlet=chunk.outlet, quote=_quote(chunk.text, says),
            ))
        return number_of[chunk.id]

    cited = tuple(
        Disagreement(topic=d.topic, sides=tuple(
            (says, tuple(dict.fromkeys(number_for(p, says) for p in positions))) for says, positions in d.sides
        ))
        for d in disagreements
    )
    text = "\n".join([answer.text.rstrip(), "", *(describe(d) for d in cited)])
    return answer.model_copy(update={"text": text, "citations": tuple(citations), "disagreements": cited})


def group_by_article(answer: Answer) -> Answer:
    """Renumber so every article has one number (its first citation, with its quote)."""
    first_for_article: dict[str, int] = {}
    renumbered: dict[int, int] = {}
    kept: list[Citation] = []
    for citation in sorted(answer.citations, key=lambda c: c.n):
        if citation.article_id not in first_for_article:
            first_for_article[citation.article_id] = len(kept) + 1
            kept.append(citation.model_copy(update={"n": len(kept) + 1}))
        renumbered[citation.n] = first_for_article[citation.article_id]
    if len(kept) == len(answer.citations):
        return answer

    text = renumber(answer.text, lambda n: renumbered.get(n, n))
    disagreements = tuple(
        Disagreement(topic=d.topic, sides=tuple(
            (says, tuple(dict.fromkeys(renumbered.get(n, n) for n in numbers))) for says, numbers in d.sides
        ))
        for d in answer.disagreements
    )
    return answer.model_copy(update={"text": text, "citations": tuple(kept), "disagreements": disagreements})


def _quote(text: str, says: str) -> str:
    sentences = split_sentences(text)
    lowered = says.lower()
    return next((s for s in sentences if lowered in s.lower()), sentences[0] if sentences else text)
