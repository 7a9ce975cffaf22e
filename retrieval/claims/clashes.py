"""What aligned statements disagree on: one value swapped (date, number, name), a negation or an antonym.

Statements that say one fact in other words (a count reworded, a date in another sentence) are compared
slot by slot in slots.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.claims.alignment import Statement, differing_regions
from retrieval.claims.topics import short_topic
from retrieval.claims.values import Value, compatible, name_key
from retrieval.text.cues import NEGATIONS

MAX_REGION_TOKENS = 8  # a differing span longer than this is a rewrite, not one swapped fact
MAX_NEGATION_REGION_TOKENS = 3
# "100 days away", "two hours before liftoff": a count relative to when it was written, not a fact to compare
_RELATIVE_TIME = re.compile(
    r"\s+(?:minutes?|hours?|days?|weeks?|months?|years?)\s+(?:away|ago|left|before|after|from now|until|later)\b"
)

_AUXILIARIES = frozenset(
    [
        "do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "will", "would", "can", "could",
        "should", "may", "might", "be", "been",
    ]
)
_ANTONYMS = {
    frozenset(pair)
    for pair in (
        ("confirmed", "denied"), ("confirms", "denies"), ("rose", "fell"), ("increased", "decreased"),
        ("won", "lost"), ("approved", "rejected"), ("accepted", "rejected"), ("alive", "dead"),
        ("open", "closed"), ("guilty", "innocent"), ("higher", "lower"), ("up", "down"),
    )
}
_HEDGES = frozenset(
    [
        "a", "an", "the", "at", "least", "about", "nearly", "almost", "around", "approximately", "more",
        "than", "over", "some", "up", "to", "roughly"
    ]
)


def is_relative_time(after: str) -> bool:
    """The text after a number makes it a countdown ("100 days away"), not a fact to compare."""
    return bool(_RELATIVE_TIME.match(after))


@dataclass(frozen=True)
class Clash:
    """One aligned pair of statements that differ on one value."""

    kind: str
    left: tuple[int, str, Value | None]  # source, surface, value (None for a negation side)
    right: tuple[int, str, Value | None]
    topic: str


def clashes_between(left: Statement, right: Statement) -> list[Clash]:
    """What one aligned pair disagrees on; nothing if it differs in more than one fact (another event)."""
    found = []
    regions = differing_regions(left, right) or []
    unexplained = 0  # differing spans holding a value that is not the clash: another event, not a swap
    for i1, i2, j1, j2 in regions:
        clash = None
        if max(i2 - i1, j2 - j1) <= MAX_REGION_TOKENS:
            clash = _value_clash(left, right, (i1, i2), (j1, j2)) or _negation_clash(left, right, (i1, i2), (j1, j2))
        if clash:
            found.append(clash)
        elif _holds_value(left, _span(left, i1, i2)) or _holds_value(right, _span(right, j1, j2)):
            unexplained += 1
    if found and unexplained:
        return []
    slots = {(clash.left[1], clash.right[1]) for clash in found}
    return found if len(slots) == 1 else []


def _span(statement: Statement, start: int, end: int) -> tuple[int, int]:
    """Character span of tokens [start, end); an empty span sits between its neighbours."""
    tokens = statement.tokens
    if start < end:
        return tokens[start].start, tokens[end - 1].end
    position = tokens[start].start if start < len(tokens) else len(statement.text)
    return position, position


def _holds_value(statement: Statement, span: tuple[int, int]) -> bool:
    return span[0] < span[1] and bool(_overlapping(statement, span))


def _overlapping(statement: Statement, span: tuple[int, int]) -> list[Value]:
    return [v for v in statement.values if v.start < span[1] and span[0] < v.end]


def _value_clash(left: Statement, right: Statement, li: tuple[int, int], ri: tuple[int, int]) -> Clash | None:
    left_span, right_span = _span(left, *li), _span(right, *ri)
    left_values = _overlapping(left, left_span)
    right_values = _overlapping(right, right_span)
    for kind in ("date", "number", "name"):
        lv = [c for v in left_values if v.kind == kind and (c := _clipped(left.text, v, left_span))]
        rv = [c for v in right_values if v.kind == kind and (c := _clipped(right.text, v, right_span))]
        if not lv or not rv:
            continue
        if len(lv) != len(rv):
            return None  # not one slot filled differently: words were added or dropped
        if not (_only_values(left, li, left_values) and _only_values(right, ri, right_values)):
            return None  # other words changed too: a rewording, not one swapped value
        if any(compatible(x, y) for x in lv for y in rv):
            return None
        return Clash(
            kind,
            (left.source, _surface(left.text, left_span, lv), lv[0]),
            (right.source, _surface(right.text, right_span, rv), rv[0]),
            short_topic(kind, left, right),
        )
    return None


def _clipped(text: str, value: Value, span: tuple[int, int]) -> Value | None:
    """A name keyed only by its words inside the changed span ("Google CEO [Tim Cook]")."""
    if value.kind != "name":
        return value
    key = name_key(text[max(value.start, span[0]) : min(value.end, span[1])])
    return Value("name", value.start, value.end, key) if key[0] else None


def _surface(text: str, span: tuple[int, int], values: list[Value]) -> str:
    """The changed words widened to whole values: "1, 2017" becomes "December 1, 2017"."""
    start = min(span[0], values[0].start)
    end = max(span[1], values[-1].end)
    return text[start:end].strip(" ,;:.·")


def _only_values(statement: Statement, region: tuple[int, int], values: list[Value]) -> bool:
    """Every changed word is part of a value or a hedge ("at least", "about")."""
    for token in statement.tokens[region[0] : region[1]]:
        inside = any(v.start <= token.start and token.end <= v.end for v in values)
        if not inside and token.norm.isalnum() and token.norm not in _HEDGES:
            return False
    return True


def _negation_clash(left: Statement, right: Statement, li: tuple[int, int], ri: tuple[int, int]) -> Clash | None:
    """ "will raise" / "will not raise", or one word swapped for its opposite ("rose" / "fell")."""
    a = {t.norm for t in left.tokens[li[0] : li[1]]}
    b = {t.norm for t in right.tokens[ri[0] : ri[1]]}
    if max(li[1] - li[0], ri[1] - ri[0]) > MAX_NEGATION_REGION_TOKENS:
        return None
    negated = (a <= NEGATIONS | _AUXILIARIES and bool(a & NEGATIONS) and b <= _AUXILIARIES) or (
        b <= NEGATIONS | _AUXILIARIES and bool(b & NEGATIONS) and a <= _AUXILIARIES
    )
    content_a, content_b = a - _HEDGES - {"any"}, b - _HEDGES - {"any"}
    antonyms = len(content_a) == len(content_b) == 1 and frozenset(content_a | content_b) in _ANTONYMS
    if not (negated or antonyms):
        return None
    return Clash("negation", (left.source, left.text, None), (right.source, right.text, None),
                 short_topic("negation", left, right))
