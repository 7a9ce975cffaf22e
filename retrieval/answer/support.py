"""Does the cited chunk support the sentence that cites it?

A claim is supported when it is close in meaning to some sentence (or pair of sentences) of the
cited chunk AND its key terms (numbers, capitalised names) occur in the cited text. Similarity alone
lets "profits rose 40%" pass for "profits rose 4%"; term overlap alone passes word salad.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.text.markers import marker_numbers, strip_markers
from retrieval.text.sentences import split_cited_sentences

SIMILARITY_THRESHOLD = 0.55  # cosine, claim vs best chunk passage: clear paraphrase
LOW_SIMILARITY_THRESHOLD = 0.35  # below this nothing passes, whatever words it shares
WORD_OVERLAP_THRESHOLD = 0.6  # share of the claim's content words found in the chunk
NAME_COVERAGE_THRESHOLD = 0.5
MIN_CLAIM_WORDS = 3

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    """a an the and or but if of in on at to for from by with about as into over after before
    this that these those there their they them it its he she his her we our you your is are was
    were be been being has have had do does did not no yes so than then also which who whom whose
    what when where why how will would could should may might can said says according sources
    source however while during per more most less least very just only other such some any all
    both each many much new one""".split()  # noqa: SIM905 - a word list reads better as prose
)


@dataclass(frozen=True)
class Evidence:
    """A cited chunk's text, plus metadata (title, outlet, date) whose names and numbers may be cited."""

    text: str
    metadata: str = ""


@dataclass(frozen=True)
class Verdict:
    """How one cited chunk relates to one claim; `quote` is the chunk's best matching sentence."""

    supported: bool
    similarity: float
    quote: str


def claim_of(sentence: str) -> str:
    """The sentence without its citation markers."""
    return strip_markers(sentence)


_SMALL_NUMBERS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
)
_NUMBER_WORDS = {word: str(i) for i, word in enumerate(_SMALL_NUMBERS)} | {
    "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80",
    "ninety": "90", "hundred": "100", "dozen": "12",
}


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _numbers_with_words(text: str) -> set[str]:
    """Digits plus spelled-out small numbers, so "two people" supports "2 people"."""
    words = {_NUMBER_WORDS[w] for w in _WORD.findall(text.lower()) if w in _NUMBER_WORDS}
    return _numbers(text) | words


def _names(claim: str) -> set[str]:
    """Capitalised words and runs, skipping the sentence's first word and common words."""
    names: set[str] = set()
    for match in _NAME.finditer(claim):
        words = match.group(0).split()
        if match.start() == 0:
            words = words[1:]
        names.update(w.lower() for w in words if w.lower() not in _STOPWORDS)
    return names


def _stems(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and len(w) > 2}


def _passages(chunk_text: str) -> list[str]:
    """Sentences, adjacent pairs and the whole chunk: a claim may merge two sentences."""
    sentences = [claim_of(s) for s in split_cited_sentences(chunk_text)] or [chunk_text]
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(sentences)]
    return [*sentences, *pairs, chunk_text]


class SupportChecker:
    """Checks claims against chunks with one batched embedding call per answer."""

    def __init__(self, embeddings: Embeddings, similarity_threshold: float = SIMILARITY_THRESHOLD) -> None:
        self._embeddings = embeddings
        self.similarity_threshold = similarity_threshold

    def check(self, pairs: Sequence[tuple[str, Sequence[Evidence]]]) -> list[list[Verdict]]:
        """For each (claim, cited evidence): one verdict per cited chunk, in order."""
        passages = {e.text: _passages(e.text) for _, cited in pairs for e in cited}
        texts = list(dict.fromkeys([c for c, _ in pairs] + [p for ps in passages.values() for p in ps]))
        vectors = self._unit_vectors(texts)
        index = {t: i for i, t in enumerate(texts)}
        results = []
        for claim, cited in pairs:
            terms_ok = self._key_terms_ok(claim, " ".join(f"{e.metadata} {e.text}" for e in cited))
            verdicts = []
            for evidence in cited:
                chunk = evidence.text
                sims = vectors[[index[p] for p in passages[chunk]]] @ vectors[index[claim]]
                similarity = float(sims.max())
                supported = terms_ok and self._close(claim, chunk, similarity)
                verdicts.append(Verdict(supported, similarity, _best_sentence(passages[chunk], sims, chunk)))
            results.append(verdicts)
        return results

    def _unit_vectors(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self._embeddings.embed_documents(texts), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def _close(self, claim: str, chunk: str, similarity: float) -> bool:
        if similarity >= self.similarity_threshold:
            return True
        claim_stems = _stems(claim)
        overlap = len(claim_stems & _stems(chunk)) / len(claim_stems) if claim_stems else 0.0
        return similarity >= LOW_SIMILARITY_THRESHOLD and overlap >= WORD_OVERLAP_THRESHOLD

    @staticmethod
    def _key_terms_ok(claim: str, cited_text: str) -> bool:
        """Every number and most names of the claim must appear in what it cites."""
        if not _numbers(claim) <= _numbers_with_words(cited_text):
            return False
        names = _names(claim)
        if not names:
            return True
        cited_words = set(_WORD.findall(cited_text.lower()))
        found = sum(1 for n in names if set(_WORD.findall(n)) <= cited_words)
        return found / len(names) >= NAME_COVERAGE_THRESHOLD


def _best_sentence(passages: list[str], sims: np.ndarray, chunk: str) -> str:
    """The single chunk sentence closest to the claim (pairs and the whole chunk are not quotable)."""
    n_sentences = max(1, len(split_cited_sentences(chunk)))
    return passages[int(np.argmax(sims[:n_sentences]))]


def checkable(sentence: str) -> bool:
    """Only sentences that cite something and say enough to check."""
    return bool(marker_numbers(sentence)) and len(claim_of(sentence).split()) >= MIN_CLAIM_WORDS
