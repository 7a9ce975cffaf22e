"""Boilerplate learnt from the corpus: sentences one outlet repeats across many of its articles.

Newsletter pitches, puzzle links, subscribe lines and credits ("Play the USA TODAY Daily Crossword
Puzzle.") are the outlet's page furniture, not news, so they are never a brief's summary or key point.
They are found by recurrence, not by a list: a sentence (digits and case folded) written in
`MIN_REPEATING_ARTICLES` or more distinct articles of one outlet is boilerplate. The model is learnt from
what a brief already reads (the window's articles) plus a bounded sample of each of their outlets'
chunks of the months before the window (the lexical article table's day index), cached per index
version, so it never reads the whole index.
A small pattern set for openers that are never the news (podcast intros, editor's notes, bylines:
`is_intro`, from retrieval/text/cues.py) is a second line, not the main mechanism.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from retrieval.models import Article
from retrieval.text.sentences import split_sentences

if TYPE_CHECKING:
    from retrieval.index.store import ChromaStore

MIN_REPEATING_ARTICLES = 3  # one outlet wrote the sentence in this many different articles: furniture
SAMPLE_CHUNKS_PER_OUTLET = 1500  # how much of an outlet the store lends per index version
SAMPLE_DAYS = 120  # the sample is the outlet's chunks of the days before the window: seasonal pitches too
SAMPLE_BUCKET_DAYS = 30  # windows ending in one such bucket share a cached sample
MAX_CACHED_OUTLETS = 64

_FOLD = re.compile(r"[^a-z#]+")


def fingerprint(sentence: str) -> str:
    """The sentence as its outlet repeats it: case, digits (dates, counts), spacing and punctuation folded."""
    return _FOLD.sub(" ", re.sub(r"\d+", "#", sentence.lower())).strip()


@dataclass
class OutletBoilerplate:
    """One outlet's sentences and the distinct articles each was seen in."""

    seen: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def learn(self, article_id: str, text: str) -> None:
        for sentence in split_sentences(text):
            key = fingerprint(sentence)
            if key:
                self.seen[key].add(article_id)

    def repeats(self, sentence: str) -> bool:
        return len(self.seen.get(fingerprint(sentence), ())) >= MIN_REPEATING_ARTICLES


@dataclass
class BoilerplateModel:
    """Per outlet, the sentences it repeats; `is_boilerplate` is what summaries and key points consult."""

    outlets: dict[str, OutletBoilerplate] = field(default_factory=dict)

    def learn(self, outlet: str, article_id: str, text: str) -> None:
        self.outlets.setdefault(outlet, OutletBoilerplate()).learn(article_id, text)

    def learn_articles(self, articles: Iterable[Article]) -> BoilerplateModel:
        for article in articles:
            self.learn(article.outlet, article.id, article.text)
        return self

    def is_boilerplate(self, outlet: str, sentence: str) -> bool:
        model = self.outlets.get(outlet)
        return bool(model and model.repeats(sentence))

    def merged(self, other: BoilerplateModel) -> BoilerplateModel:
        """A new model holding both (neither is changed: cached ones are shared between briefs)."""
        joined = BoilerplateModel()
        for source in (self, other):
            for outlet, model in source.outlets.items():
                target = joined.outlets.setdefault(outlet, OutletBoilerplate())
                for key, ids in model.seen.items():
                    target.seen[key] |= ids
        return joined


def learnt_from(articles: Sequence[Article], samples: Iterable[tuple[str, str, str]] = ()) -> BoilerplateModel:
    """A model from the brief's own articles plus (outlet, article id, text) samples of their outlets."""
    model = BoilerplateModel().learn_articles(articles)
    for outlet, article_id, text in samples:
        model.learn(outlet, article_id, text)
    return model


# --- what the store lends per outlet ---------------------------------------------------------------
_cache: dict[tuple[str, str, int], OutletBoilerplate] = {}
_cache_lock = threading.Lock()


def from_store(store: ChromaStore, articles: Sequence[Article]) -> BoilerplateModel:
    """The window's articles plus a bounded, cached sample of each of their outlets from the index."""
    model = BoilerplateModel().learn_articles(articles)
    version = store.version
    days = [a.published.toordinal() for a in articles if a.published]
    bucket = max(days) // SAMPLE_BUCKET_DAYS if days else -1
    for outlet in sorted({a.outlet for a in articles}):
        sampled = _outlet_sample(store, version, outlet, bucket)
        model = model.merged(BoilerplateModel({outlet: sampled}))
    return model


def sample_days(bucket: int) -> tuple[int, int]:
    """The ordinal days (first, last) an outlet's sample is taken from, for windows ending in `bucket`."""
    last = (bucket + 1) * SAMPLE_BUCKET_DAYS
    return last - SAMPLE_DAYS, last


def _outlet_sample(store: ChromaStore, version: str, outlet: str, bucket: int) -> OutletBoilerplate:
    with _cache_lock:
        cached = _cache.get((version, outlet, bucket))
    if cached is not None:
        return cached
    days = sample_days(bucket) if bucket >= 0 else None
    learnt = OutletBoilerplate()
    for article_id, text in store.lexical().outlet_sample(outlet, days, SAMPLE_CHUNKS_PER_OUTLET):
        learnt.learn(article_id, text)
    with _cache_lock:
        if len(_cache) >= MAX_CACHED_OUTLETS:
            _cache.clear()
        _cache[(version, outlet, bucket)] = learnt
    return learnt
