"""Statements (sentences with their tokens, values and key terms) and which ones from different sources align.

Two statements are about the same thing when they share key terms, sit close in embedding space and a
token alignment matches most of the shorter one; the spans where they then differ are compared elsewhere.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.claims.values import STOP_WORDS, Value, find_values
from retrieval.text.sentences import split_sentences

ALIGN_MIN_COSINE = 0.55  # two statements are about the same thing only if this close (MiniLM cosine)
MIN_SHARED_KEY_TERMS = 2
MIN_MATCHED_SHARE = 0.5  # share of the shorter statement's tokens that the token alignment matches
MIN_MATCHED_WORDS = 2
MAX_STATEMENTS_PER_SOURCE = 60

_TOKEN = re.compile(r"\w+(?:[’'.\-]\w+)*|[^\w\s]")


@dataclass(frozen=True)
class Token:
    norm: str
    start: int
    end: int


@dataclass(frozen=True)
class Statement:
    source: int  # 1-based position of its source
    group: str  # statements of one group (one article) never contradict each other
    text: str
    tokens: tuple[Token, ...]
    values: tuple[Value, ...]
    terms: frozenset[str]


def statements_of(source: int, group: str, text: str) -> list[Statement]:
    found = []
    for sentence in split_sentences(text)[:MAX_STATEMENTS_PER_SOURCE]:
        tokens = tuple(Token(m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(sentence))
        values = tuple(find_values(sentence))
        figures = [v for v in values if v.kind != "name"]
        # key terms are the words around the figures: two datelines share "feb" and "2021", not a subject
        terms = frozenset(
            t.norm for t in tokens
            if t.norm.isalnum() and t.norm not in STOP_WORDS and len(t.norm) > 2
            and not any(v.start <= t.start < v.end for v in figures)
        )
        found.append(Statement(source, group, sentence, tokens, values, terms))
    return found


def candidate_pairs(statements: Sequence[Statement]) -> list[tuple[int, int]]:
    """Pairs from different sources sharing enough key terms, one of them saying something checkable."""
    pairs = []
    for a, left in enumerate(statements):
        for b in range(a + 1, len(statements)):
            right = statements[b]
            if left.group == right.group or left.text == right.text:
                continue
            if len(left.terms & right.terms) >= MIN_SHARED_KEY_TERMS:
                pairs.append((a, b))
    return pairs


def aligned_by_embedding(
    statements: Sequence[Statement], pairs: list[tuple[int, int]], embeddings: Embeddings
) -> list[tuple[int, int, float]]:
    needed = sorted({i for pair in pairs for i in pair})
    vectors = np.asarray(embeddings.embed_documents([statements[i].text for i in needed]), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    row = {index: r for r, index in enumerate(needed)}
    similar = ((a, b, float(vectors[row[a]] @ vectors[row[b]])) for a, b in pairs)
    return [(a, b, cosine) for a, b, cosine in similar if cosine >= ALIGN_MIN_COSINE]


def differing_regions(left: Statement, right: Statement) -> list[tuple[int, int, int, int]] | None:
    """Differing token spans (merged across single punctuation tokens), or None if barely aligned."""
    a = [t.norm for t in left.tokens]
    b = [t.norm for t in right.tokens]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    matched = [a[block.a + k] for block in matcher.get_matching_blocks() for k in range(block.size)]
    words = [w for w in matched if w.isalnum() and w not in STOP_WORDS]
    if len(matched) < MIN_MATCHED_SHARE * min(len(a), len(b)) or len(words) < MIN_MATCHED_WORDS:
        return None
    regions: list[list[int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if regions and _only_punctuation(a, regions[-1][1], i1) and regions[-1][1] >= i1 - 1:
            regions[-1][1:] = [i2, regions[-1][2], j2]
        else:
            regions.append([i1, i2, j1, j2])
    return [(r[0], r[1], r[2], r[3]) for r in regions]


def _only_punctuation(tokens: list[str], start: int, end: int) -> bool:
    return all(not t.isalnum() for t in tokens[start:end])
