"""One sentence that reports two parties' values for one fact, the two sides an article itself reports.

"Taiwan's Central Weather Administration gave the quake a magnitude of 7.2 while the USGS recorded it at
7.4": the sentence splits at a contrast ("while", "whereas", "but", ";"), each half has a party that
reports (a name next to "said", "recorded", "estimated", "according to", …) and one figure, the parties
are two entities, the figures count the same thing and cannot both hold. "Apple sold 5 million phones
while Samsung sold 7 million" is two facts: selling is not reporting.
"""

from __future__ import annotations

import re

from retrieval.claims.alignment import Statement
from retrieval.claims.clashes import Clash
from retrieval.claims.entities import is_entity, same_by_form
from retrieval.claims.slots import is_figure, same_noun
from retrieval.claims.values import STOP_WORDS, Value, compatible
from retrieval.models import Disagreement

MAX_TOPIC_WORDS = 3
_CONTRAST = re.compile(r",?\s+(?:while|whereas|but)\s+|;\s+|,?\s+compared (?:with|to)\s+", re.IGNORECASE)
_REPORTING = re.compile(
    r"\b(?:said|says|reported|reports|estimated|estimates|recorded|records|measured|measures|put|puts|gave|"
    r"gives|counted|counts|calculated|registered|rated|rates|claimed|claims|listed|assessed|pegged|pegs|"
    r"according to)\b",
    re.IGNORECASE,
)
_BEFORE_VERB = re.compile(r"\s+(?:has\s+|had\s+|have\s+)?")  # "the USGS recorded", "police have said"
_AFTER_VERB = re.compile(r"\s+(?:the\s+)?")  # "according to the USGS", "said the USGS"


def attributed_clash(statement: Statement) -> Clash | None:
    """The two halves of one sentence giving two parties' values for one fact, or None."""
    split = _CONTRAST.search(statement.text)
    if not split:
        return None
    halves = [_half(statement, 0, split.start()), _half(statement, split.end(), len(statement.text))]
    if None in halves:
        return None
    (party_a, a), (party_b, b) = halves  # type: ignore[misc]
    if a.kind != b.kind or compatible(a, b) or same_by_form(party_a, party_b):
        return None
    if a.kind == "number" and (a.key[0] != b.key[0] or not same_noun(statement, a, statement, b)):
        return None
    text = statement.text
    return Clash(a.kind, (statement.source, f"{text[a.start:a.end]} ({party_a})", a),
                 (statement.source, f"{text[b.start:b.end]} ({party_b})", b), _topic(statement, a, party_a))


def _half(statement: Statement, start: int, end: int) -> tuple[str, Value] | None:
    """(party, figure) of one half: its first figure, and a name that reports it."""
    figures = [v for v in statement.values if start <= v.start and v.end <= end and is_figure(statement, v)]
    if not figures:
        return None
    party = _party(statement, start, end)
    return (party, figures[0]) if party else None


def _party(statement: Statement, start: int, end: int) -> str | None:
    text = statement.text
    names = [v for v in statement.values if v.kind == "name" and start <= v.start and v.end <= end
             and is_entity(text[v.start : v.end])]
    for verb in _REPORTING.finditer(text, start, end):
        for name in names:
            before = name.end <= verb.start() and _BEFORE_VERB.fullmatch(text[name.end : verb.start()])
            after = verb.end() <= name.start and _AFTER_VERB.fullmatch(text[verb.end() : name.start])
            if before or after:
                return text[name.start : name.end]
    return None


def _topic(statement: Statement, value: Value, party: str) -> str:
    """`the figure (quake magnitude)`: the words just before the first side's figure."""
    label = "the date" if value.kind == "date" else "the figure"
    words = [w for w in re.findall(r"[A-Za-z]+", statement.text[: value.start])
             if w.lower() not in STOP_WORDS and w not in party and not _REPORTING.fullmatch(w)]
    subject = " ".join(words[-MAX_TOPIC_WORDS:])
    return f"{label} ({subject})" if subject else label


def as_disagreement(clash: Clash) -> Disagreement:
    """Both sides cite the one source that reports them."""
    sides = ((clash.left[1], (clash.left[0],)), (clash.right[1], (clash.right[0],)))
    return Disagreement(topic=clash.topic, sides=sides)
