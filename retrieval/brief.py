"""The brief: the window's articles grouped into stories, each with cited key points and disagreements.

Extractive by default (MMR over sentence embeddings for key points, `contradictions` for disagreements);
with a chat client each story is written by the LLM as JSON, validated citation by citation, and any
story whose output cannot be used falls back to the extractive one. Key points and contradictions that
an ingested briefing states are evidence: they are cited to that briefing, never stated as fact.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ValidationError, model_validator

import prompts
from retrieval.brief_models import (
    Brief,
    BriefSource,
    ContradictionSide,
    KeyPoint,
    Story,
    StoryContradiction,
    check_quotes,
)
from retrieval.chunking import chunk_article, split_sentences
from retrieval.citations import escape_source_text
from retrieval.contradictions import find_disagreements_in_texts, find_values
from retrieval.errors import LLMUnavailableError
from retrieval.models import Article, Citation

if TYPE_CHECKING:
    from retrieval.llm import ChatClient

log = logging.getLogger(__name__)

STORY_MIN_COSINE = 0.62  # title+lead of two articles this close: the same story
TOPIC_MIN_COSINE = 0.35
MAX_STORIES = 8
MAX_ARTICLES_PER_STORY = 8
MAX_SENTENCES_PER_ARTICLE = 14
MIN_POINT_CHARS = 40
MAX_POINT_CHARS = 400
MAX_KEY_POINTS = 5
MMR_LAMBDA = 0.7  # weight of centrality against novelty
SAME_SENTENCE_COSINE = 0.9  # another outlet's sentence this close says the same: cite it too
SIDE_SUPPORT_COSINE = 0.55
BRIEFING_POINT_BONUS = 0.05
SUMMARY_SENTENCES = 2
LEAD_SENTENCES = 2
MIN_QUOTE_CHARS = 12
STEM_CHARS = 5
CLAIM_WORD_SHARE = 0.6  # an LLM point with no usable quote must share this much of its words with a sentence
_FILLER = frozenset([
    "the", "and", "for", "that", "with", "from", "this", "have", "has", "was", "were", "are", "its", "their",
    "said", "says", "will"
])

_SENTENCE_END = re.compile(r"[.!][\"'”’)]*$")  # a statement: questions and teasers are not key points
_TITLE_SUFFIX = re.compile(r"\s+(?:[|–—]|-)\s+[^|–—-]{2,40}$")
_SIDES = re.compile(r"^(?:while|whereas|although|though)\s+(?P<a>.+?),\s+(?P<b>.+)$", re.IGNORECASE)
_SIDE_BREAK = re.compile(r";\s+|,?\s+(?:but|while|whereas)\s+|,\s+however,\s+", re.IGNORECASE)


# --- embeddings, once per text --------------------------------------------------------------------
class CachedEmbeddings(Embeddings):
    """Each text is embedded once per brief, whoever asks (key points, stories, contradictions)."""

    def __init__(self, inner: Embeddings) -> None:
        self._inner = inner
        self._cache: dict[str, np.ndarray] = {}

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, vector in zip(missing, self._inner.embed_documents(missing), strict=True):
                array = np.asarray(vector, dtype=np.float32)
                self._cache[text] = array / (np.linalg.norm(array) + 1e-9)
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.matrix(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.matrix([text])[0].tolist()


# --- stories -----------------------------------------------------------------------------------------
@dataclass
class StoryGroup:
    """Articles about one story, the most central first."""

    articles: list[Article]
    centroid: np.ndarray

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(sorted({o for a in self.articles for o in (*a.outlets, a.outlet) if o}))

    @property
    def latest(self) -> date | None:
        return max((a.published for a in self.articles if a.published), default=None)


@dataclass
class Numbering:
    """Brief-wide source numbers, given in story order."""

    numbers: dict[str, int] = field(default_factory=dict)
    articles: dict[str, Article] = field(default_factory=dict)
    _chunks: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def add(self, article: Article) -> int:
        if article.id not in self.numbers:
            self.numbers[article.id] = len(self.numbers) + 1
            self.articles[article.id] = article
        return self.numbers[article.id]

    def cite(self, article: Article, quote: str) -> Citation:
        return Citation(
            n=self.add(article), article_id=article.id, chunk_id=f"{article.id}:{self._chunk_number(article, quote)}",
            title=article.title, url=article.url, published=article.published, outlet=article.outlet,
            quote=quote,
        )

    def _chunk_number(self, article: Article, quote: str) -> int:
        """The indexed chunk that holds the quote (chunk ids are `{article_id}:{n}`); 0 if none does."""
        if article.id not in self._chunks:
            self._chunks[article.id] = [(c.n, c.text) for c in chunk_article(article)]
        return next((n for n, text in self._chunks[article.id] if quote in text), 0)

    def sources(self) -> tuple[BriefSource, ...]:
        return tuple(
            BriefSource(n=n, article_id=a.id, title=a.title, url=a.url, published=a.published,
                        outlet=a.outlet, outlets=a.outlets or (a.outlet,))
            for n, a in ((self.numbers[i], a) for i, a in self.articles.items())
        )


def in_window(articles: Sequence[Article], as_of: datetime, window_hours: int) -> list[Article]:
    """Articles published on the window's dates (inclusive); undated ones cannot be ruled out."""
    first = (as_of - timedelta(hours=window_hours)).date()
    return [a for a in articles if a.published is None or first <= a.published <= as_of.date()]


def on_topic(articles: Sequence[Article], topic: str, vectors: CachedEmbeddings) -> list[Article]:
    """Articles that name the topic's words or sit close to it in embedding space."""
    words = [w for w in re.findall(r"\w{3,}", topic.lower())]
    leads = vectors.matrix([_lead(a) for a in articles])
    query = vectors.matrix([topic])[0]
    return [
        a for a, lead in zip(articles, leads, strict=True)
        if (words and all(w in f"{a.title} {a.text}".lower() for w in words)) or float(lead @ query) >= TOPIC_MIN_COSINE
    ]


def group_stories(articles: Sequence[Article], vectors: CachedEmbeddings) -> list[StoryGroup]:
    """Greedy clustering on title+lead, newest first: close in meaning and naming someone in common.

    Stories are ordered by coverage (distinct outlets), then recency, then size.
    """
    if not articles:
        return []
    newest_first = sorted(articles, key=lambda a: (a.published or date.min, a.id), reverse=True)
    leads = vectors.matrix([_lead(a) for a in newest_first])
    names = [_names(_lead(a)) for a in newest_first]
    members: list[list[int]] = []
    sums: list[np.ndarray] = []
    for index, vector in enumerate(leads):
        best, best_similarity = -1, STORY_MIN_COSINE
        for cluster, total in enumerate(sums):
            similarity = float(vector @ total) / (float(np.linalg.norm(total)) + 1e-9)
            shares_a_name = any(names[index] & names[m] for m in members[cluster])
            if similarity >= best_similarity and shares_a_name:
                best, best_similarity = cluster, similarity
        if best >= 0:
            members[best].append(index)
            sums[best] = sums[best] + vector
        else:
            members.append([index])
            sums.append(vector.copy())
    groups = []
    for indexes, total in zip(members, sums, strict=True):
        centroid = total / (np.linalg.norm(total) + 1e-9)
        # the version most outlets carried leads (its title is the headline), then the most central
        ordered = sorted(indexes, key=lambda i: (-len(set(newest_first[i].outlets)), -float(leads[i] @ centroid)))
        groups.append(StoryGroup([newest_first[i] for i in ordered], centroid))
    groups.sort(key=lambda g: (-len(g.outlets), -(g.latest or date.min).toordinal(), -len(g.articles)))
    return groups


def _names(text: str) -> frozenset[str]:
    """The name words of a text ("Goff", "Lions"), to tell apart stories that only sound alike."""
    return frozenset(str(word) for value in find_values(text) if value.kind == "name" for word in value.key[0])  # type: ignore[attr-defined]


# --- the extractive story ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Sentence:
    article: Article
    text: str
    from_briefing: bool = False


def extractive_story(group: StoryGroup, numbering: Numbering, vectors: CachedEmbeddings) -> Story:
    central = group.articles[0]
    summary = [s for s in split_sentences(central.text) if len(s) >= MIN_POINT_CHARS][:SUMMARY_SENTENCES]
    summary = summary or split_sentences(central.text)[:1] or [central.title]
    pool = [c for c in _candidates(group) if c.text not in summary]
    return Story(
        headline=headline(central.title),
        summary=" ".join(summary),
        summary_citations=tuple(numbering.cite(central, s) for s in summary if s in central.text)
        or (numbering.cite(central, summary[0]),),
        key_points=_key_points(pool, summary, numbering, vectors),
        contradictions=(*_briefing_contradictions(group, numbering, vectors), *_detected(group, numbering, vectors)),
        coverage=len(group.outlets),
        outlets=group.outlets,
        single_source=len(group.outlets) == 1,
        article_ids=tuple(a.id for a in group.articles),
        latest=group.latest,
    )


def _candidates(group: StoryGroup) -> list[_Sentence]:
    found: list[_Sentence] = []
    for article in group.articles[:MAX_ARTICLES_PER_STORY]:
        found.extend(_Sentence(article, line, True) for line in article.key_points)
        sentences = split_sentences(article.text)[:MAX_SENTENCES_PER_ARTICLE]
        found.extend(_Sentence(article, s) for s in sentences if _point_like(s))
    return [c for c in found if c.text]


def _point_like(sentence: str) -> bool:
    """A whole sentence of reasonable length: not a link teaser or a headline run into the text."""
    return MIN_POINT_CHARS <= len(sentence) <= MAX_POINT_CHARS and bool(_SENTENCE_END.search(sentence))


def _key_points(
    pool: list[_Sentence], summary: list[str], numbering: Numbering, vectors: CachedEmbeddings
) -> tuple[KeyPoint, ...]:
    """MMR: central to the story (close to the mean sentence), unlike the summary and the points chosen."""
    if not pool:
        return ()
    matrix = vectors.matrix([c.text for c in pool])
    mean = matrix.mean(axis=0)
    centrality = matrix @ (mean / (np.linalg.norm(mean) + 1e-9))
    centrality += np.array([BRIEFING_POINT_BONUS if c.from_briefing else 0.0 for c in pool])
    said = (matrix @ vectors.matrix(summary).T).max(axis=1) if summary else np.zeros(len(pool))
    chosen: list[int] = []
    while len(chosen) < min(MAX_KEY_POINTS, len(pool)):
        redundancy = np.maximum(said, (matrix @ matrix[chosen].T).max(axis=1) if chosen else 0.0)
        scores = MMR_LAMBDA * centrality - (1 - MMR_LAMBDA) * redundancy
        scores[chosen] = -np.inf
        scores[redundancy >= SAME_SENTENCE_COSINE] = -np.inf
        best = int(np.argmax(scores))
        if not np.isfinite(scores[best]):
            break
        chosen.append(best)
    return tuple(KeyPoint(text=pool[i].text, citations=_same_said(i, pool, matrix, numbering)) for i in chosen)


def _same_said(index: int, pool: list[_Sentence], matrix: np.ndarray, numbering: Numbering) -> tuple[Citation, ...]:
    """The chosen sentence, plus each other article's sentence that says the same thing."""
    chosen = pool[index]
    citations = {chosen.article.id: numbering.cite(chosen.article, chosen.text)}
    similarities = matrix @ matrix[index]
    for other in np.argsort(-similarities):
        candidate = pool[int(other)]
        if similarities[other] < SAME_SENTENCE_COSINE:
            break
        if candidate.article.id not in citations:
            citations[candidate.article.id] = numbering.cite(candidate.article, candidate.text)
    return tuple(sorted(citations.values(), key=lambda c: c.n))


def _briefing_contradictions(
    group: StoryGroup, numbering: Numbering, vectors: CachedEmbeddings
) -> list[StoryContradiction]:
    """A briefing's "Contradictions" line, cited to it, each side backed by the story's own sentences."""
    body = [c for c in _candidates(group) if not c.from_briefing]
    found = []
    for article in group.articles:
        for line in article.contradictions:
            line_citation = numbering.cite(article, line)
            sides = [
                ContradictionSide(says=says, citations=(line_citation, *_supporting(says, body, numbering, vectors)))
                for says in split_sides(line)
            ]
            found.append(StoryContradiction(claim=line, sides=tuple(sides)))
    return found


def _supporting(says: str, body: list[_Sentence], numbering: Numbering, vectors: CachedEmbeddings) -> list[Citation]:
    if not body:
        return []
    similarities = vectors.matrix([c.text for c in body]) @ vectors.matrix([says])[0]
    best = int(np.argmax(similarities))
    return [numbering.cite(body[best].article, body[best].text)] if similarities[best] >= SIDE_SUPPORT_COSINE else []


def split_sides(line: str) -> list[str]:
    """ "While A, B." → [A, B]; "A, but B" → [A, B]; otherwise the line itself."""
    text = line.strip().rstrip(".")
    match = _SIDES.match(text)
    parts = [match.group("a"), match.group("b")] if match else _SIDE_BREAK.split(text)
    parts = [p.strip(" ,;") for p in parts if p and p.strip(" ,;")]
    if len(parts) < 2:
        return [line.strip()]
    return [p[0].upper() + p[1:] for p in parts]


def _detected(group: StoryGroup, numbering: Numbering, vectors: CachedEmbeddings) -> list[StoryContradiction]:
    """Disagreements between the story's articles, found by `contradictions`, each side cited."""
    articles = group.articles[:MAX_ARTICLES_PER_STORY]
    if len(articles) < 2:
        return []
    texts = [(" ".join(split_sentences(a.text)[: MAX_SENTENCES_PER_ARTICLE * 2]), a.id) for a in articles]
    found = []
    for disagreement in find_disagreements_in_texts(None, texts, vectors):
        sides = []
        for says, numbers in disagreement.sides:
            citations = [c for n in numbers if (c := _quote_citation(articles[n - 1], says, numbering))]
            if citations:
                sides.append(ContradictionSide(says=says, citations=tuple(citations)))
        if len(sides) >= 2:
            found.append(StoryContradiction(claim=f"Sources disagree on {disagreement.topic}", sides=tuple(sides)))
    return found


def _quote_citation(article: Article, says: str, numbering: Numbering) -> Citation | None:
    sentence = next((s for s in split_sentences(article.text) if says.lower() in s.lower()), None)
    return numbering.cite(article, sentence) if sentence else None


# --- the LLM story -----------------------------------------------------------------------------------
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
              if p.text.strip() and (cs := _checked(p.citations, p.text, by_number, numbering))]
    if not points:
        return None, "The LLM's key points had no valid citation; written extractively."
    contradictions = [c for c in (_checked_contradiction(c, by_number, numbering) for c in parsed.contradictions) if c]
    central = articles[0]
    summary_citations = _checked(parsed.summary_citations, parsed.summary, by_number, numbering) or (
        numbering.cite(central, (split_sentences(central.text) or [central.title])[0]),)
    return Story(
        headline=parsed.headline.strip() or headline(central.title),
        summary=parsed.summary.strip(),
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
        if side.says.strip() and (cs := _checked(side.citations, side.says, by_number, numbering))
    ]
    if len(sides) < 2 or not item.claim.strip():
        return None
    return StoryContradiction(claim=item.claim.strip(), sides=tuple(sides))


# --- the brief ---------------------------------------------------------------------------------------
def build_brief(
    articles: Sequence[Article],
    *,
    as_of: datetime,
    window_hours: int = 24,
    topic: str | None = None,
    embeddings: Embeddings,
    chat: ChatClient | None = None,
) -> Brief:
    """The brief of the window before `as_of`: stories by coverage then recency, every point cited."""
    vectors = CachedEmbeddings(embeddings)
    chosen = in_window(articles, as_of, window_hours)
    if topic and topic.strip() and chosen:
        chosen = on_topic(chosen, topic.strip(), vectors)
    groups = group_stories(chosen, vectors)[:MAX_STORIES]
    numbering = Numbering()
    for group in groups:
        for article in group.articles:
            numbering.add(article)
    stories, notes, used_llm = [], [], False
    for group in groups:
        story = None
        if chat is not None:
            story, note = llm_story(group, numbering, chat)
            used_llm = used_llm or story is not None
            notes.extend([note] if note else [])
        stories.append(story or extractive_story(group, numbering, vectors))
    brief = Brief(
        as_of=as_of, window_hours=window_hours, topic=topic, stories=tuple(stories), sources=numbering.sources(),
        mode="llm" if used_llm else "extractive", note=notes[0] if notes else None,
    )
    broken = check_quotes(brief, numbering.articles)
    if broken:
        raise ValueError(f"{len(broken)} citation quote(s) are not in their article")
    return brief


# --- helpers -----------------------------------------------------------------------------------------
def headline(title: str) -> str:
    """The title without a trailing "| Outlet" or "- Outlet"."""
    stripped = _TITLE_SUFFIX.sub("", title.strip())
    return stripped if len(stripped) >= 12 else title.strip()


def _lead(article: Article) -> str:
    return " ".join([article.title, *split_sentences(article.text)[:LEAD_SENTENCES]])


# --- Markdown ----------------------------------------------------------------------------------------
def render_brief_markdown(brief: Brief) -> str:
    """The brief shaped like the seed briefing: summary, `Key points`, `Contradictions`, then sources."""
    span = f"last {brief.window_hours} h" if brief.window_hours % 24 else f"last {brief.window_hours // 24} day(s)"
    title = f"# Brief, {brief.as_of.date().isoformat()} ({span}{f', topic: {brief.topic}' if brief.topic else ''})"
    lines = [title, ""]
    if brief.note:
        lines += [f"_{brief.note}_", ""]
    if not brief.stories:
        lines.append("No articles in this window.")
    for number, story in enumerate(brief.stories, 1):
        coverage = (f"single source: {story.outlets[0]}" if story.single_source
                    else f"{story.coverage} outlets: {', '.join(story.outlets)}")
        lines += [f"## {number}. {story.headline}", f"_{coverage}_", "",
                  f"{story.summary} {_markers(story.summary_citations)}", ""]
        if story.key_points:
            lines.append("Key points")
            lines += [f"- {point.text} {_markers(point.citations)}" for point in story.key_points]
            lines.append("")
        if story.contradictions:
            lines.append("Contradictions")
            for contradiction in story.contradictions:
                lines.append(f"- {contradiction.claim}")
                lines += [f"  - {side.says} {_markers(side.citations)}" for side in contradiction.sides]
            lines.append("")
    if brief.sources:
        lines.append("Sources")
        lines += [_source_line(source) for source in brief.sources]
    return "\n".join(lines).rstrip() + "\n"


def _markers(citations: Sequence[Citation]) -> str:
    return "".join(f"[{n}]" for n in sorted({c.n for c in citations}))


def _source_line(source: BriefSource) -> str:
    parts = [source.title, source.outlet]
    if source.published:
        parts.append(source.published.isoformat())
    if source.url:
        parts.append(source.url)
    return f"[{source.n}] " + " — ".join(parts)
