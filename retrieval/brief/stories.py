"""Brief stories: the window's articles clustered into stories, numbered as sources, embedded once each."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.brief.models import BriefSource
from retrieval.claims.values import find_values
from retrieval.index.chunking import chunk_article
from retrieval.models import Article, Citation
from retrieval.text.instructions import is_instruction, news_sentences
from retrieval.text.sentences import split_sentences

STORY_MIN_COSINE = 0.62  # title+lead of two articles this close: the same story
TOPIC_MIN_COSINE = 0.35
MAX_ARTICLES_PER_STORY = 8
MAX_SENTENCES_PER_ARTICLE = 14
MAX_KEY_POINTS = 3  # a digest: a few clean points, not a quote wall
LEAD_SENTENCES = 2
MAX_HEADLINE_CHARS = 120
_TITLE_SUFFIX = re.compile(r"\s+(?:[|–—]|-)\s+[^|–—-]{2,40}$")


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
    """A story's source numbers: its articles in story order, the central one [1]."""

    numbers: dict[str, int] = field(default_factory=dict)
    articles: dict[str, Article] = field(default_factory=dict)
    _chunks: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    @classmethod
    def of(cls, articles: Sequence[Article]) -> Numbering:
        numbering = cls()
        for article in articles:
            numbering.add(article)
        return numbering

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


def headline(article: Article) -> str:
    """The title without a trailing "| Outlet" or "- Outlet"; a title that gives orders (planted text)
    gives way to the article's first sentence that does not, cut at a word."""
    title = article.title.strip()
    stripped = _TITLE_SUFFIX.sub("", title)
    chosen = stripped if len(stripped) >= 12 else title
    if not is_instruction(chosen):
        return chosen
    sentence = next(iter(news_sentences(article.text)), "")
    if len(sentence) <= MAX_HEADLINE_CHARS:
        return sentence
    return sentence[: MAX_HEADLINE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _lead(article: Article) -> str:
    return " ".join([article.title, *split_sentences(article.text)[:LEAD_SENTENCES]])

