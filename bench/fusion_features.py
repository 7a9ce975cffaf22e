"""Features for a learnt fusion (bench/fusion_fit.py): a model that scores every dense or lexical
candidate from what the two lists say. Measured by leave-one-week-out and NOT shipped: it did not beat
the RRF of retrieval/search/hybrid.py at recall@5, on the mean or on the worst week (README).

Why try it: the RRF constants that won on one year's news lost on another's (dense retrieval led
there, BM25 here). The model reads features that mean the same thing on any news: ranks and score gaps in
each list, agreement between the lists, how many of an article's chunks were found, words of the question
in the title, the question's own time window and the article's age. Nothing here is per question: the
question's kind (KIND_FEATURES) only lets each list's rank count differently for a kind of question.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from retrieval.answer.question_kinds import QuestionKind, question_kind
from retrieval.models import Chunk
from retrieval.text.stems import stemmed

RANK_SCALE = 10  # a list's rank r becomes RANK_SCALE / (RANK_SCALE + r - 1): 1.0 at the top
WINDOW_SLACK_DAYS = 3  # news about "this week" is often published a few days around it
AGE_HORIZON_DAYS = 30  # ages are read on a log scale up to about a month
_WORD = re.compile(r"[A-Za-z0-9]+")
_STOP = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "did", "do", "does", "for", "from", "has", "have",
    "how", "in", "is", "it", "its", "of", "on", "or", "says", "said", "that", "the", "their", "this", "to",
    "was", "were", "what", "when", "where", "which", "who", "whom", "whose", "why", "will", "with", "after",
    "about", "new", "week",
))
BASE_FEATURES = (
    "bias", "dense_rank", "lexical_rank", "dense_gap", "lexical_ratio", "in_both", "not_body", "lead_chunk",
    "article_hits", "title_overlap", "in_window", "age",
)
# The question's kind (retrieval.answer.question_kinds) shifting each list's weight: a number question, and
# an open one (what / why / when: not a name), against the name questions (who, which, where) that are most.
KIND_FEATURES = ("dense_rank_if_number", "lexical_rank_if_number", "dense_rank_if_open", "lexical_rank_if_open")
FEATURES = BASE_FEATURES + KIND_FEATURES


@dataclass(frozen=True)
class Candidate:
    """A chunk with its place in each list (1-based rank, raw score), None where the list missed it."""

    chunk: Chunk
    dense_rank: int | None
    dense_score: float | None
    lexical_rank: int | None
    lexical_score: float | None


def candidates(dense: Sequence[tuple[Chunk, float]], lexical: Sequence[tuple[Chunk, float]]) -> list[Candidate]:
    """The union of both lists, in first-seen order (dense first)."""
    dense_at = {c.id: (rank, score) for rank, (c, score) in enumerate(dense, start=1)}
    lexical_at = {c.id: (rank, score) for rank, (c, score) in enumerate(lexical, start=1)}
    chunks = {c.id: c for c, _ in dense} | {c.id: c for c, _ in lexical if c.id not in dense_at}
    out = []
    for chunk_id, chunk in chunks.items():
        d_rank, d_score = dense_at.get(chunk_id, (None, None))
        l_rank, l_score = lexical_at.get(chunk_id, (None, None))
        out.append(Candidate(chunk, d_rank, d_score, l_rank, l_score))
    return out


def _terms(text: str) -> set[str]:
    """Stemmed content words (the shared Snowball tokeniser, this benchmark's own words and stop list)."""
    return set(stemmed((w.lower() for w in _WORD.findall(text)), _STOP))


def _rank_feature(rank: int | None) -> float:
    return RANK_SCALE / (RANK_SCALE + rank - 1) if rank else 0.0


def _age_feature(published: date | None, today: date) -> float:
    if published is None:
        return 1.0
    days = max(0, (today - published).days)
    return min(1.0, math.log1p(days) / math.log1p(AGE_HORIZON_DAYS))


def feature_matrix(question: str, found: Sequence[Candidate], today: date,
                   window: tuple[date, date] | None) -> np.ndarray:
    """One row of FEATURES per candidate; every feature is relative to this question's own lists."""
    dense_scores = [c.dense_score for c in found if c.dense_score is not None]
    lexical_scores = [c.lexical_score for c in found if c.lexical_score is not None]
    top_dense, low_dense = max(dense_scores, default=0.0), min(dense_scores, default=0.0)
    top_lexical = max(lexical_scores, default=0.0) or 1.0
    per_article = Counter(c.chunk.article_id for c in found)
    asked = _terms(question) or {""}
    titles: dict[str, set[str]] = {}
    kind = question_kind(question)
    number, open_kind = float(kind == QuestionKind.NUMBER), float(kind not in (QuestionKind.NUMBER, QuestionKind.NAME))
    rows = np.zeros((len(found), len(FEATURES)), dtype=np.float64)
    for row, cand in enumerate(found):
        chunk = cand.chunk
        title = titles.setdefault(chunk.article_id, _terms(chunk.title))
        in_window = bool(window and chunk.published and window[0] - timedelta(days=WINDOW_SLACK_DAYS)
                         <= chunk.published <= window[1] + timedelta(days=WINDOW_SLACK_DAYS))
        rows[row] = (
            1.0, _rank_feature(cand.dense_rank), _rank_feature(cand.lexical_rank),
            top_dense - (cand.dense_score if cand.dense_score is not None else low_dense),
            (cand.lexical_score or 0.0) / top_lexical,
            float(cand.dense_rank is not None and cand.lexical_rank is not None),
            float(chunk.kind != "body"), float(chunk.n == 0),
            math.log1p(per_article[chunk.article_id] - 1), len(asked & title) / len(asked),
            float(in_window), _age_feature(chunk.published, today),
            number * _rank_feature(cand.dense_rank), number * _rank_feature(cand.lexical_rank),
            open_kind * _rank_feature(cand.dense_rank), open_kind * _rank_feature(cand.lexical_rank),
        )
    return rows


