"""The LLM story: the model writes one story as JSON, every citation is checked against its article.

A story whose output cannot be used returns None with a note, and the caller falls back to the extractive one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError, model_validator

import prompts
from retrieval.answer.citations import escape_source_text
from retrieval.brief.models import ContradictionSide, KeyPoint, Story, StoryContradiction
from retrieval.brief.stories import (
    MAX_ARTICLES_PER_STORY,
    MAX_KEY_POINTS,
    MAX_SENTENCES_PER_ARTICLE,
    Numbering,
    StoryGroup,
    headline,
)
from retrieval.errors import LLMUnavailableError
from retrieval.models import Article, Citation
from retrieval.text.instructions import gives_orders, news_sentences
from retrieval.text.sentences import split_sentences

if TYPE_CHECKING:
    from retrieval.llm import ChatClient

log = logging.getLogger(__name__)

MIN_QUOTE_CHARS = 12
STEM_CHARS = 5
CLAIM_WORD_SHARE = 0.6  # an LLM point with no usable quote must share this much of its words with a sentence
_FILLER = frozenset([
    "the", "and", "for", "that", "with", "from", "this", "have", "has", "was", "were", "are", "its", "their",
    "said", "says", "will"
])


class _Cited(BaseModel):
    source: int
    quote: str = ""

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, value: object) -> object:
        return {"source": value} if isinstance(value, int) else value


class _Point(BaseModel):
    text: str
    citations: list[_Cited] = []


class _Side(BaseModel):
    says: str
    citations: list[_Cited] = []


class _Contradiction(BaseModel):
    claim: str
    sides: list[_Side] = []


class _StoryJSON(BaseModel):
    """What the model is asked to return for one story."""

    headline: str
    summary: str
    summary_citations: list[_Cited] = []
    key_points: list[_Point]
    contradictions: list[_Contradiction] = []


def llm_story(group: StoryGroup, numbering: Numbering, chat: ChatClient) -> tuple[Story | None, str | None]:
    """The story as the LLM writes it, citations checked; None (and why) when it cannot be used."""
    articles = group.articles[:MAX_ARTICLES_PER_STORY]
    messages = [
        {"role": "system", "content": prompts.load("brief_system")},
        {"role": "user", "content": prompts.load("brief_user").format(sources=_prompt_sources(articles, numbering))},
    ]
    try:
        completion = chat.complete(messages)
        parsed = _StoryJSON.model_validate_json(_json_object(completion.text))
    except LLMUnavailableError as exc:
        return None, f"LLM unavailable ({exc}); written extractively."
    except (ValidationError, ValueError):
        log.warning("brief: the LLM's story JSON could not be read; using the extractive story")
        return None, "The LLM's output could not be read; written extractively."
    by_number = {numbering.numbers[a.id]: a for a in articles}
    points = [KeyPoint(text=p.text.strip(), citations=cs) for p in parsed.key_points
              if p.text.strip() and not gives_orders(p.text)
              and (cs := _checked(p.citations, p.text, by_number, numbering))]
    if not points:
        return None, "The LLM's key points had no valid citation; written extractively."
    summary = " ".join(news_sentences(parsed.summary.strip()))
    if not summary:
        return None, "The LLM's summary repeated instructions from an article; written extractively."
    contradictions = [c for c in (_checked_contradiction(c, by_number, numbering) for c in parsed.contradictions) if c]
    central = articles[0]
    summary_citations = _checked(parsed.summary_citations, parsed.summary, by_number, numbering) or (
        numbering.cite(central, (split_sentences(central.text) or [central.title])[0]),)
    return Story(
        headline=(None if gives_orders(parsed.headline) else parsed.headline.strip()) or headline(central),
        summary=summary,
        summary_citations=summary_citations,
        key_points=tuple(points[:MAX_KEY_POINTS]),
        contradictions=tuple(contradictions),
        coverage=len(group.outlets), outlets=group.outlets, single_source=len(group.outlets) == 1,
        article_ids=tuple(a.id for a in group.articles), latest=group.latest,
    ), None


def _prompt_sources(articles: Sequence[Article], numbering: Numbering) -> str:
    blocks = []
    for article in articles:
        body = " ".join(split_sentences(article.text)[:MAX_SENTENCES_PER_ARTICLE])
        extra = "".join(
            f"\n{label} (what this briefing claims, not settled fact):\n" + "\n".join(f"- {line}" for line in lines)
            for label, lines in (("Key points", article.key_points), ("Contradictions", article.contradictions))
            if lines
        )
        date_text = article.published.isoformat() if article.published else "unknown"
        blocks.append(
            f'<source id="{numbering.numbers[article.id]}" outlet="{escape_source_text(article.outlet)}" '
            f'date="{date_text}" title="{escape_source_text(article.title)}">\n'
            f"{escape_source_text(body)}{escape_source_text(extra)}\n</source>"
        )
    return "\n\n".join(blocks)


def _json_object(text: str) -> str:
    """The JSON object in the reply, without a ```json fence or chatter around it."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the reply")
    return text[start : end + 1]


def _checked(
    cited: Sequence[_Cited], claim: str, by_number: dict[int, Article], numbering: Numbering
) -> tuple[Citation, ...]:
    """Citations to this story's sources whose quote (or the claim) is a sentence of the cited article."""
    found: dict[int, Citation] = {}
    for item in cited:
        article = by_number.get(item.source)
        sentence = _sentence_for(article, item.quote, claim) if article else None
        if article and sentence and item.source not in found:
            found[item.source] = numbering.cite(article, sentence)
    return tuple(found[n] for n in sorted(found))


def _sentence_for(article: Article, quote: str, claim: str) -> str | None:
    """The article's sentence holding the quote; else the one sharing most of the claim's words.

    Either way the sentence must share words with the claim, so a real but unrelated quote is refused.
    """
    sentences = [*split_sentences(article.text), *article.key_points, *article.contradictions]
    needle = " ".join(quote.split()).lower()
    words = _content_words(claim)
    if len(needle) >= MIN_QUOTE_CHARS:
        for sentence in sentences:
            if needle in " ".join(sentence.split()).lower():
                # a real sentence that shares nothing with the point does not support it
                return sentence if words & _content_words(sentence) else None
    if not words:
        return None
    best = max(sentences, key=lambda s: len(words & _content_words(s)), default=None)
    if best is None or len(words & _content_words(best)) < CLAIM_WORD_SHARE * len(words):
        return None
    return best


def _content_words(text: str) -> set[str]:
    """Content words cut to their first letters, a crude stem: "rescuers" and "rescue" meet."""
    return {w[:STEM_CHARS] for w in re.findall(r"[a-z]{3,}|\d+", text.lower()) if w not in _FILLER}


def _checked_contradiction(
    item: _Contradiction, by_number: dict[int, Article], numbering: Numbering
) -> StoryContradiction | None:
    sides = [
        ContradictionSide(says=side.says.strip(), citations=cs)
        for side in item.sides
        if side.says.strip() and not gives_orders(side.says)
        and (cs := _checked(side.citations, side.says, by_number, numbering))
    ]
    if len(sides) < 2 or not item.claim.strip() or gives_orders(item.claim):
        return None
    return StoryContradiction(claim=item.claim.strip(), sides=tuple(sides))

