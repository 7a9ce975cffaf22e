"""Reworded statements that give one fact two values: the same slot, the same time, values that cannot both hold.

Token alignment (clashes.py) catches one value swapped in an otherwise identical sentence. Two outlets
covering one story state a fact in their own words ("Spotify Wrapped 2023 came out Nov. 29" / "In 2023 and
2022, Spotify Wrapped released on Nov. 30"). Two values of such statements are one claim only when:

- the same slot: the clauses around them, every figure masked, are close in embedding space (one
  predicate); they name one subject (a name both clauses share, and every name of the clause naming fewer
  is in the other: "Walmart" and "Costco" are two facts); a number counts the same noun; no other figure
  of the two clauses conflicts ("3,040 cases in 47 countries" is another moment than "16,500 in 74"); the
  clause is not negated ("will not drop all episodes on Feb. 14" asserts no date);
- the same time: explicit years agree, named days do not differ, and counts from reports of different
  days share an explicit year and do not read as a running figure ("has killed", "so far": the later
  report may simply be an update);
- the values cannot both hold: dates differ (a bound or a range, "ahead of Dec. 31", "between Nov. 29 and
  Dec. 1", is no day), numbers differ beyond rounding, hedges are bounds ("nearly 200" is below 200, "more
  than 200" above it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.claims.alignment import Statement
from retrieval.claims.clashes import Clash, is_relative_time
from retrieval.claims.entities import is_entity, same_by_form
from retrieval.claims.topics import short_topic
from retrieval.claims.values import STOP_WORDS, Value, compatible
from retrieval.text.cues import CLAUSE_NEGATION

# Two clauses this close (MiniLM cosine), their figures masked, state the same predicate.
SLOT_MIN_COSINE = 0.75
MASK = "X"
# A clause ends at these: "…, but Russia will not be one of them", "…, which get underway on Friday".
_CLAUSE_BREAK = re.compile(
    r"\s*[;:—–]\s+|,?\s+(?=(?:but|while|whereas|which|who|although|though|when)\b)", re.IGNORECASE
)
_CLOCK_AFTER = re.compile(r"\s?(?::\d\d|[ap]\.?m\b)", re.IGNORECASE)
_RANGE_BEFORE = re.compile(
    r"\b(?:before|ahead of|by|until|till|after|since|from|through|between|and|to|or|no later than|as early as)\s+$",
    re.IGNORECASE,
)
_LABEL_BEFORE = re.compile(r"[A-Z][\w\-]*\s$")  # "Category 1", "Voyager 2": a name, not a quantity
# A figure that grows between reports: "has killed", "have been reported", "so far", "as of", "rose to".
_RUNNING = re.compile(
    r"\b(?:has|have|had)\s+(?:now\s+)?(?:been\s+)?\w+(?:ed|en|wn)\b|\b(?:so far|as of|to date|since|now)\b|"
    r"\b(?:rose|risen|climbed|jumped|grew|increased)\s+to\b",
    re.IGNORECASE,
)
_TIME_WORDS = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tonight|tomorrow|"
    r"(?:last|this|next) (?:year|week|month))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Report:
    """A statement with its source's publication day (None when unknown)."""

    statement: Statement
    published: date | None


def slot_clashes(
    pairs: Sequence[tuple[Report, Report]], embeddings: Embeddings
) -> list[tuple[Clash, Report, Report]]:
    """The clashes of reworded pairs; a pair that differs on more than one slot is about another event."""
    candidates = [(left, right, a, b) for left, right in pairs for a, b in _candidates(left, right)]
    if not candidates:
        return []
    texts = [_masked(r.statement, v) for left, right, a, b in candidates for r, v in ((left, a), (right, b))]
    vectors = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    by_pair: dict[tuple[int, int], list[tuple[Clash, Report, Report]]] = {}
    for n, (left, right, a, b) in enumerate(candidates):
        if float(vectors[2 * n] @ vectors[2 * n + 1]) >= SLOT_MIN_COSINE:
            clash = _clash(left.statement, right.statement, a, b)
            by_pair.setdefault((id(left), id(right)), []).append((clash, left, right))
    return [found[0] for found in by_pair.values() if len(found) == 1]


def _candidates(left: Report, right: Report) -> list[tuple[Value, Value]]:
    """Value pairs that cannot both hold, in clauses with one subject and one time reference."""
    found = []
    for a in left.statement.values:
        for b in right.statement.values:
            if a.kind == b.kind and is_figure(left.statement, a) and is_figure(right.statement, b) \
                    and not compatible(a, b) and _same_slot(left.statement, a, right.statement, b) \
                    and same_time(left, a, right, b):
                found.append((a, b))
    return found


def is_figure(statement: Statement, value: Value) -> bool:
    """A day (not a bound or a range: "ahead of Dec. 31", "between Nov. 29 and Dec. 1"), or a quantity (not
    a clock time, a countdown or a label)."""
    after, before = statement.text[value.end :], statement.text[: value.start]
    if value.kind == "date":
        return value.key[1] is not None and not _RANGE_BEFORE.search(before)
    if value.kind != "number":
        return False
    return not (_CLOCK_AFTER.match(after) or is_relative_time(after) or _LABEL_BEFORE.search(before))


def _same_slot(left: Statement, a: Value, right: Statement, b: Value) -> bool:
    """Reworded counts must name what they count, the same noun ("200 countries"), in the same unit."""
    if a.kind == "number" and (a.key[0] != b.key[0] or noun_after(left, a) is None
                               or noun_after(left, a) != noun_after(right, b)):
        return False
    span_a, span_b = _clause(left, a), _clause(right, b)
    clauses = left.text[span_a[0] : span_a[1]], right.text[span_b[0] : span_b[1]]
    if any(CLAUSE_NEGATION.search(clause) for clause in clauses):
        return False  # "will not be dropping all 12 episodes on Feb. 14" asserts no date
    return _one_subject(_names(left, span_a), _names(right, span_b)) and _no_other_conflict(
        _figures(left, span_a, a), _figures(right, span_b, b))


def same_noun(left: Statement, a: Value, right: Statement, b: Value) -> bool:
    nouns = [noun_after(s, v) for s, v in ((left, a), (right, b))]
    return None in nouns or nouns[0] == nouns[1]


def noun_after(statement: Statement, value: Value) -> str | None:
    after = re.match(r"\s+([a-z]{3,})", statement.text[value.end :])
    if not after or after.group(1) in STOP_WORDS:
        return None
    return after.group(1).removesuffix("s")


def _clause(statement: Statement, value: Value) -> tuple[int, int]:
    start, end = 0, len(statement.text)
    for brk in _CLAUSE_BREAK.finditer(statement.text):
        if brk.end() <= value.start:
            start = brk.end()
        elif brk.start() >= value.end:
            end = brk.start()
            break
    return start, end


def _names(statement: Statement, span: tuple[int, int]) -> list[str]:
    """Entity names inside the clause; a lone word opening the sentence is no entity."""
    found = []
    for value in statement.values:
        surface = statement.text[value.start : value.end]
        inside = span[0] <= value.start and value.end <= span[1]
        if value.kind == "name" and inside and is_entity(surface) and not (value.start == 0 and " " not in surface):
            found.append(surface)
    return found


def _one_subject(left: list[str], right: list[str]) -> bool:
    fewer, more = sorted((left, right), key=len)
    return bool(fewer) and all(any(same_by_form(x, y) or _share_word(x, y) for y in more) for x in fewer)


def _share_word(left: str, right: str) -> bool:
    return bool({w for w in left.lower().split() if len(w) > 2} & {w for w in right.lower().split() if len(w) > 2})


def _figures(statement: Statement, span: tuple[int, int], compared: Value) -> list[Value]:
    return [v for v in statement.values if v != compared and span[0] <= v.start and v.end <= span[1]
            and is_figure(statement, v)]


def _no_other_conflict(left: list[Value], right: list[Value]) -> bool:
    for mine, theirs in ((left, right), (right, left)):
        for value in mine:
            same_kind = [v for v in theirs if v.kind == value.kind]
            if same_kind and not any(compatible(value, v) for v in same_kind):
                return False
    return True


def same_time(left: Report, a: Value, right: Report, b: Value) -> bool:
    """Explicit years (other than the compared values' own) agree, a date's own year is among the other
    report's, and a report without one is of its publication year; named days do not differ. Counts from
    reports of different days must share an explicit year and neither may read as a running figure ("has
    killed", "so far"): else the later one may simply be an update."""
    years_a, years_b = _years(left.statement, a), _years(right.statement, b)
    if years_a and years_b and not years_a & years_b:
        return False
    if _year_outside(a, years_b) or _year_outside(b, years_a):
        return False  # "tracking will begin in January 2025" is not about "Spotify Wrapped 2024"
    if bool(years_a) != bool(years_b):
        published = right.published if years_a else left.published
        if published is not None and published.year not in (years_a or years_b):
            return False
    days_a, days_b = _time_words(left.statement), _time_words(right.statement)
    if days_a and days_b and not days_a & days_b:
        return False
    if a.kind == "number" and left.published and right.published and left.published != right.published:
        running = _RUNNING.search(left.statement.text) or _RUNNING.search(right.statement.text)
        return bool(years_a & years_b) and not running
    return True


def _year_outside(value: Value, years: set[int]) -> bool:
    """A date whose own year is not among the other report's explicit years."""
    own = value.key[0] if value.kind == "date" else None
    return own is not None and bool(years) and own not in years


def _years(statement: Statement, compared: Value) -> set[int]:
    return {int(v.key[0]) for v in statement.values  # type: ignore[call-overload]
            if v.kind == "date" and v.key[0] is not None and v != compared}


def _time_words(statement: Statement) -> set[str]:
    return {m.group(1).lower() for m in _TIME_WORDS.finditer(statement.text)}


def _masked(statement: Statement, value: Value) -> str:
    """The value's clause with every figure masked: what is said about the slot, not the value."""
    start, end = _clause(statement, value)
    text = statement.text
    spans = sorted((v.start, v.end) for v in statement.values
                   if v.kind in ("date", "number") and start <= v.start and v.end <= end)
    pieces, cursor = [], start
    for s, e in spans:
        pieces += [text[cursor:s], MASK]
        cursor = e
    return "".join([*pieces, text[cursor:end]]).strip()


def _clash(left: Statement, right: Statement, a: Value, b: Value) -> Clash:
    noun = noun_after(left, a) if a.kind == "number" else None
    return Clash(
        a.kind,
        (left.source, _surface(left, a), a),
        (right.source, _surface(right, b), b),
        short_topic(a.kind, left, right, _plural(left, a) if noun else None),
    )


def _surface(statement: Statement, value: Value) -> str:
    """The value as said, with what it counts: "More than 200 countries"."""
    noun = _plural(statement, value) if value.kind == "number" else None
    return statement.text[value.start : value.end] + (f" {noun}" if noun else "")


def _plural(statement: Statement, value: Value) -> str | None:
    after = re.match(r"\s+([a-z]{3,})", statement.text[value.end :])
    return after.group(1) if after else None
