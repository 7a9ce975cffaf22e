"""The one Snowball tokeniser: words lower-cased, stop words out, English Snowball stems.

Its two uses differ in what a word is and which words stop, and each keeps its own on purpose:
- BM25's tokens (`bm25_terms`): bm25s's token pattern and English stop words, the tokens the lexical
  postings on disk were built with (changing them would need every index rebuilt);
- a question's content terms (`content_stems`, `content_stem`): words keeping inner apostrophes, dots and
  hyphens ("U.S.", "rock’n’roll"), without the words every question and report holds ("said", "week").
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Collection, Iterable
from functools import lru_cache
from pathlib import Path

import Stemmer

BM25_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default token pattern
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*[A-Za-z0-9]|[A-Za-z0-9]")  # a content word
CONTENT_STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours out over own same she should so
    some such than that the their theirs them then there these they this those through to too under until
    up very was we were what when where which while who whom whose why will with would you your yours
    said says according new one recently week weeks year last first
    name named called type kind following""".split()  # noqa: SIM905 - a word list reads better as text
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    """One per process: PyStemmer is not cheap to build."""
    return Stemmer.Stemmer("english")


def stemmed(words: Iterable[str], stop_words: Collection[str]) -> list[str]:
    """Lower-cased words, the empty ones and `stop_words` left out, Snowball-stemmed."""
    return list(_stemmer().stemWords([w for w in words if w and w not in stop_words]))


@lru_cache(maxsize=1)
def bm25_stop_words() -> frozenset[str]:
    """bm25s's English stop words, read from its `stopwords` module alone: importing the package
    pulls in scipy (~1 s), which a cold `briefbot ask` cannot afford."""
    package = importlib.util.find_spec("bm25s")
    locations = list(package.submodule_search_locations or []) if package else []
    spec = importlib.util.spec_from_file_location("_bm25s_stopwords", Path(locations[0]) / "stopwords.py")
    if spec is None or spec.loader is None:
        raise ImportError("bm25s's stopwords module is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(module.STOPWORDS_EN)


def bm25_terms(text: str) -> list[str]:
    """The BM25 tokens of a text: the same tokens as `bm25s.tokenize(..., stopwords="en", stemmer=...)`,
    the old index's (tested), without its per-call overhead."""
    return stemmed(BM25_TOKEN.findall(text.lower()), bm25_stop_words())


def _content_word(word: str) -> str:
    return word.lower().strip(".'’-")


def content_stems(text: str) -> list[str]:
    """The stems of a text's content words, in order."""
    return stemmed(map(_content_word, WORD.findall(text)), CONTENT_STOP_WORDS)


def content_stem(word: str) -> str:
    """One word's stem ("" for a stop word or bare punctuation)."""
    return next(iter(stemmed([_content_word(word)], CONTENT_STOP_WORDS)), "")
