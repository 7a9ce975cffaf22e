"""The question's content terms and how a sentence covers them: stemmed words without stop words, names
and numbers weighing double (they pin a passage down). Shared by sentence scoring and lead choice."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*[A-Za-z0-9]|[A-Za-z0-9]")
STOP_WORDS = frozenset(
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
    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    """One word, lower-cased and stemmed ("" for a stop word or bare punctuation)."""
    lower = word.lower().strip(".'’-")
    return "" if not lower or lower in STOP_WORDS else _stemmer().stemWord(lower)


def stems(text: str) -> list[str]:
    words = [w.lower().strip(".'’-") for w in WORD.findall(text)]
    return _stemmer().stemWords([w for w in words if w and w not in STOP_WORDS])


def weighted_terms(question: str) -> dict[str, float]:
    """Question content terms; names and numbers weigh double, being what pins a passage down."""
    weights: dict[str, float] = {}
    for index, word in enumerate(WORD.findall(question)):
        term = stem(word)
        if not term:
            continue
        is_name = index > 0 and word[0].isupper()
        weights[term] = max(weights.get(term, 0.0), 2.0 if is_name or word[0].isdigit() else 1.0)
    return weights


def coverage(terms: dict[str, float], sentence: str) -> float:
    """Share of the question's term weight that the sentence holds."""
    if not terms:
        return 0.0
    present = set(stems(sentence))
    return sum(w for t, w in terms.items() if t in present) / sum(terms.values())


def novelty(sentence: str, question_stems: set[str]) -> float:
    """Share of the sentence's content words that the question does not already contain."""
    words = stems(sentence)
    if not words:
        return 0.0
    return sum(1 for w in words if w not in question_stems) / len(words)
