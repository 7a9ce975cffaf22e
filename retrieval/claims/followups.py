"""A follow-up does not repeat a disagreement an earlier answer of the thread already showed.

The notice is repeated only when the follow-up's own question is about that fact: it asks for a value of
the disagreement's kind and names its subject ("When did Spotify Wrapped come out?" after a notice on
its date), not when it asks something else of the same sources ("Which groups said they would sue?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.claims.disagreements import NOTICE_PREFIX, question_kind
from retrieval.claims.values import STOP_WORDS, find_values
from retrieval.models import Disagreement, Turn


def not_shown_before(
    disagreements: Sequence[Disagreement], question: str, history: Sequence[Turn]
) -> tuple[Disagreement, ...]:
    """The disagreements no earlier turn showed, plus those the question itself asks about."""
    notices = [line for turn in history for line in turn.answer.splitlines() if NOTICE_PREFIX in line]
    return tuple(d for d in disagreements if not _shown(d, notices) or asks_about(question, d))


def _shown(disagreement: Disagreement, notices: list[str]) -> bool:
    return any(all(says.lower() in line.lower() for says, _ in disagreement.sides) for line in notices)


def asks_about(question: str, disagreement: Disagreement) -> bool:
    """The question asks for this kind of value and names a word of the disagreement's subject."""
    kinds = {v.kind for says, _ in disagreement.sides for v in find_values(says)}
    asked = question_kind(question)
    if asked is None or (kinds and asked not in kinds):
        return False
    subject = _words(disagreement.topic) | {w for says, _ in disagreement.sides for w in _words(says)}
    return bool(subject & _words(question))


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP_WORDS and len(w) > 2} - {
        "figure", "date", "number", "whether"}
