"""State the asked fact: for a how-many, when, who or where question the offline answer leads with a
sentence that holds a value of that kind about the question's subject, and when the article reports two
sides (the union's figure and the company's), both are given, with the article's own note of the dispute.

"About the subject" is judged by the embedder (how close the sentence is in meaning to the question), so
"walked out" answers "went on strike"; the values are those of `claim_values`, so "12,000" and "4,500"
are two figures while "12,000" and "12 000" are one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol, TypeVar

from retrieval.answer.question_kinds import QuestionKind, answer_type_match
from retrieval.claims.values import Value, compatible, find_values, name_tokens

# A sentence holding the asked value may lead when it is this close in meaning (as a share of the best
# sentence's similarity to the question), or, from the article of that best sentence, half as close: the
# sentence that restates the question's words always scores highest with MiniLM (0.75 against 0.45 for
# the one with the date, on the tests' fixtures).
LEAD_MIN_SIMILARITY_SHARE = 0.8
LEAD_SAME_ARTICLE_SIMILARITY_SHARE = 0.5
VALUE_CACHE_SENTENCES = 8192  # about the sentences of 30 answers; values are small frozen records
# The other side's sentence must be about the same subject as the lead (a share of the lead's similarity).
SIDE_MIN_SIMILARITY_SHARE = 0.7
# The article's own "Contradictions" line is given when it is about the question's subject.
DISPUTE_MIN_SIMILARITY_SHARE = 0.7

_VALUE_KINDS = {QuestionKind.NUMBER: "number", QuestionKind.DATE: "date", QuestionKind.NAME: "name"}
# Wording that sets one account against another: a second value beside it is a side, not another fact.
# Plain contrast ("while", "but") is too common in news to count; on the dev set it made sides of
# unrelated names.
_DISPUTE = re.compile(
    r"\b(?:however|whereas|disput\w*|contest\w*|insist\w*|contrar\w*|den(?:y|ies|ied)|claim\w*|"
    r"puts? the (?:figure|number|total|toll|count|date)|differ\w*|contradict\w*|conflict\w*|disagree\w*|"
    r"rival|own (?:figure|count|tally|statement|press release))\b",
    re.IGNORECASE,
)


# The unit a number question asks for, from its wording (`claim_values` gives a number's unit: "%", a
# currency sign or "" for a plain count).
_ASKED_UNITS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:percentage|percent|per cent|share|proportion)\b", re.I), "%"),
    (re.compile(r"\bhow much\b.*\b(?:cost|costs|price|pay|paid|spend|spent|worth|raise[ds]?|fine[ds]?|earn\w*)\b|"
                r"\bwhat (?:was |is )?the (?:price|cost|amount of money)\b", re.I), "money"),
    (re.compile(r"\bhow many\b", re.I), "count"),
)


class Scored(Protocol):
    """What this module needs of a scored sentence (`extractive._Candidate`)."""

    @property
    def sentence(self) -> str: ...
    @property
    def source(self) -> int: ...
    @property
    def similarity(self) -> float: ...
    @property
    def coverage(self) -> float: ...
    @property
    def answer_type(self) -> float: ...


C = TypeVar("C", bound=Scored)


def asked_values(kind: str, sentence: str, question: str) -> list[Value]:
    """The sentence's values of the asked kind that the question does not itself state; for a number, in
    the asked unit when the question names one (a percentage for "what percentage", money for "how much
    did it cost", a plain count for "how many")."""
    value_kind = _VALUE_KINDS.get(kind)
    if value_kind is None:
        return []
    stated = [v for v in values_of(question) if v.kind == value_kind]
    question_words = _name_tokens(question)
    unit = asked_unit(question) if value_kind == "number" else None
    return [
        v for v in values_of(sentence)
        if v.kind == value_kind
        and not any(compatible(v, q) for q in stated)
        and not (v.kind == "name" and v.key[0] <= question_words)  # type: ignore[operator]
        and (unit is None or _in_unit(v, unit))
    ]


@lru_cache(maxsize=VALUE_CACHE_SENTENCES)
def values_of(text: str) -> tuple[Value, ...]:
    """`find_values`, once per sentence: every rule of the answer asks the same sentences again."""
    return tuple(find_values(text))


@lru_cache(maxsize=VALUE_CACHE_SENTENCES)
def _name_tokens(text: str) -> frozenset[str]:
    return name_tokens(text)


def asked_unit(question: str) -> str | None:
    """"%", "money" or "count" when the question's wording names the unit of the asked number, else None."""
    for pattern, unit in _ASKED_UNITS:
        if pattern.search(question):
            return unit
    return None


def _in_unit(value: Value, unit: str) -> bool:
    symbol = str(value.key[0])
    if unit == "%":
        return symbol == "%"
    if unit == "money":
        return symbol not in ("", "%")
    return symbol == ""


def holds_asked_value(kind: str, sentence: str, question: str) -> bool:
    """A number for how-many, a date (or a day: "on Monday") for when, a name for who or where."""
    if kind == QuestionKind.NUMBER:
        return bool(asked_values(kind, sentence, question))
    if kind in (QuestionKind.DATE, QuestionKind.NAME):
        return bool(asked_values(kind, sentence, question)) or answer_type_match(kind, sentence, question) >= 1.0
    return False


def stating_asked_fact(candidates: Sequence[C], kind: str, question: str, article_of: Callable[[int], str]) -> list[C]:
    """The candidates that hold a value of the asked kind (a number for how many, a date for when, a name
    for who) and are about the question's subject; all of them when none is, or the kind has no values."""
    if kind not in _VALUE_KINDS or not candidates:
        return list(candidates)
    closest = max(candidates, key=lambda c: c.similarity)

    def about_subject(c: C) -> bool:
        if kind == QuestionKind.NAME:
            return True  # names are everywhere in news: the lead's own score weighs the subject
        same_article = article_of(c.source) == article_of(closest.source)
        share = LEAD_SAME_ARTICLE_SIMILARITY_SHARE if same_article else LEAD_MIN_SIMILARITY_SHARE
        return c.similarity >= share * closest.similarity

    stating = [c for c in candidates if about_subject(c) and holds_asked_value(kind, c.sentence, question)]
    return stating or list(candidates)


def two_sides(
    lead: C, ranked: Sequence[C], kind: str, question: str, article_of: Callable[[int], str],
    is_dispute_note: Callable[[int], bool],
) -> list[C]:
    """What must follow the lead so both sides are given: the same article's sentence with the other value
    (unless the lead states both), and that article's own note of the dispute, when either is on subject."""
    article = article_of(lead.source)
    note = next((c for c in ranked if c is not lead and is_dispute_note(c.source) and article_of(c.source) == article
                 and c.similarity >= DISPUTE_MIN_SIMILARITY_SHARE * lead.similarity), None)
    lead_values = asked_values(kind, lead.sentence, question)
    if not lead_values or _states_two_values(lead_values):
        return [note] if note else []
    side = next(
        (c for c in ranked
         if c is not lead and c is not note and not is_dispute_note(c.source) and article_of(c.source) == article
         and c.similarity >= SIDE_MIN_SIMILARITY_SHARE * lead.similarity
         and (note is not None or _DISPUTE.search(c.sentence) or _DISPUTE.search(lead.sentence))
         and _other_value(asked_values(kind, c.sentence, question), lead_values)),
        None,
    )
    return [c for c in (side, note) if c is not None]


def _states_two_values(values: list[Value]) -> bool:
    """Two figures or dates of one sort. Two names are not two sides: a person and a place are usual."""
    return any(
        a.kind != "name" and _same_unit(a, b) and not compatible(a, b)
        for i, a in enumerate(values) for b in values[i + 1 :]
    )


def _other_value(values: list[Value], lead_values: list[Value]) -> bool:
    """A value of the same sort as the lead's (a count for a count, not a percentage), none of which the
    lead already states."""
    comparable = [v for v in values if any(_same_unit(v, w) for w in lead_values)]
    return bool(comparable) and not any(compatible(v, w) for v in values for w in lead_values)


def _same_unit(a: Value, b: Value) -> bool:
    return a.kind != "number" or a.key[0] == b.key[0]
