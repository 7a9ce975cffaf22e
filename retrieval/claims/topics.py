"""A disagreement's topic label: a few words a reader takes in at a glance, never the question copied.

The label names what kind of fact differs ("the date", "the number of flights") and the subject both
statements share, in the words of the first: "the date (Spotify Wrapped released)".
"""

from __future__ import annotations

from retrieval.claims.alignment import Statement

MAX_SUBJECT_WORDS = 3
MAX_TOPIC_CHARS = 60
_KIND_LABELS = {"date": "the date", "number": "the figure", "name": "who or what", "negation": "whether"}


def short_topic(kind: str, left: Statement, right: Statement, counted: str | None = None) -> str:
    """`the number of flights (Delta canceled)`: the kind of fact, then the shared subject."""
    label = f"the number of {counted}" if counted else _KIND_LABELS.get(kind, "this point")
    shared = left.terms & right.terms - ({counted} if counted else set())
    subject: list[str] = []
    for token in left.tokens:
        if token.norm in shared and token.norm not in (w.lower() for w in subject):
            subject.append(left.text[token.start : token.end])
        if len(subject) == MAX_SUBJECT_WORDS:
            break
    topic = f"{label} ({' '.join(subject)})" if subject else label
    return topic if len(topic) <= MAX_TOPIC_CHARS else label
