"""Which sentence leads the offline answer: the one that best answers the question, fitted to its kind.

A reader takes the first sentence as the answer, so it is chosen over every retrieved sentence (not only
the best one per article) on what marks an answer rather than a restatement or context:

- it is close in meaning to the question and holds its terms (similarity, coverage);
- it comes from a well-ranked source, and from the newest coverage: news questions ask about the latest
  ("this week"), and an older article on the same topic answers a different occasion;
- the asked thing (a number for how many, a date for when, a name for who/which/where, a reason for why,
  a named thing for what) stands next to the question's own terms: "Bitcoin ... crossed $100,000 for the
  first time" answers "which cryptocurrency hit $100,000 for the first time", where a sentence that only
  mentions Bitcoin elsewhere does not;
- that thing is named by other retrieved sentences too: sources that agree on a value are more likely
  to be answering the question than one passing mention.

The weights were fitted as a conditional logit over every candidate sentence of the realtimeqa-dev
questions (gold answers only in that fit, never at run time), checked leave-one-week-out (fitted on 11
weeks, scored on the 12th: 45 of 227 leads held the answer, against 37 before), and rounded; the window
and the whole-statement rule came after (see their comments). `briefbot eval` (lead_accuracy) and
bench/lead_bench.py measure it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from retrieval.answer.asked_fact import C, asked_values, stating_asked_fact, values_of
from retrieval.answer.question_kinds import QuestionKind
from retrieval.claims.values import Value, compatible, name_tokens
from retrieval.text.cues import REASON, is_page_note
from retrieval.text.stems import WORD, content_stem

# Weights of the lead's parts, each in [0, 1] (rank: 1 for the best-ranked source, falling to 0).
LEAD_SIMILARITY_WEIGHT = 1.5
LEAD_COVERAGE_WEIGHT = 1.5
LEAD_RANK_WEIGHT = 1.5
LEAD_PROXIMITY_WEIGHT = 2.0
LEAD_FRESHNESS_WEIGHT = 1.0
LEAD_AGREEMENT_WEIGHT = 1.0
FRESHNESS_DECAY_DAYS = 30  # an article this much older than the newest source counts 1/e as fresh
PROXIMITY_WINDOW_WORDS = 5  # question terms this close (either side) to the asked thing count; leads
# holding the answer on the dev set by window: 3: 45, 4: 48, 5: 50, 6: 49, 8: 46, 12: 44 (of 227)
AGREEMENT_SATURATION_SENTENCES = 5  # naming the same value in this many other sentences is full agreement
# A lead is a whole statement: the headlines of linked stories inside an article ("Ticket prices revealed:
# details on the new festival") have no closing stop and read as a fragment when they open an answer, and
# a question (an article's subheading: "How many sports are in the Games?") answers nothing.
_STATEMENT_END = re.compile(r"[.!][\"'’”)\]]*$")


@dataclass(frozen=True)
class SourceFacts:
    """What the lead needs of the retrieved sources, by index: their number, article, date and kind."""

    count: int
    article_of: Callable[[int], str]
    published: Callable[[int], date | None]
    is_dispute_note: Callable[[int], bool]


def choose_lead(
    candidates: Sequence[C], kind: str, question: str, terms: dict[str, float], sources: SourceFacts,
) -> C:
    """The candidate that best answers the question (see the module docstring), among those that state the
    asked fact when any does. An article's note that its sources disagree never leads, nor a publication's
    note about its own page (a correction, an update): they state no answer."""
    published, n_sources = sources.published, sources.count
    reported = [c for c in candidates if not sources.is_dispute_note(c.source)] or list(candidates)
    reported = [c for c in reported if not is_page_note(c.sentence)] or reported
    whole = [c for c in reported if _STATEMENT_END.search(c.sentence)] or reported
    pool = stating_asked_fact(whole, kind, question, sources.article_of)
    slots = {id(c): answer_slots(kind, c.sentence, question) for c in pool}
    newest = max((d for d in (published(c.source) for c in pool) if d), default=None)

    def lead_score(c: C) -> float:
        day = published(c.source)
        age_days = (newest - day).days if newest and day else 0
        return (LEAD_SIMILARITY_WEIGHT * c.similarity + LEAD_COVERAGE_WEIGHT * c.coverage
                + LEAD_RANK_WEIGHT * (1.0 - c.source / max(n_sources, 1))
                + LEAD_PROXIMITY_WEIGHT * proximity(c.sentence, slots[id(c)], terms)
                + LEAD_FRESHNESS_WEIGHT * math.exp(-max(age_days, 0) / FRESHNESS_DECAY_DAYS)
                + LEAD_AGREEMENT_WEIGHT * agreement(c, slots[id(c)], pool, slots))

    return max(pool, key=lead_score)


def answer_slots(kind: str, sentence: str, question: str) -> list[Value]:
    """Where the sentence states the asked thing: values of the asked kind (a number, a date, a name), a
    reason's cue for why, a name the question does not hold for any other what-question."""
    if kind in (QuestionKind.NUMBER, QuestionKind.DATE, QuestionKind.NAME):
        return asked_values(kind, sentence, question)
    if kind == QuestionKind.DESCRIPTION:
        return [Value("reason", m.start(), m.end(), (m.group(0).lower(),)) for m in REASON.finditer(sentence)]
    asked = name_tokens(question)
    return [v for v in values_of(sentence) if v.kind == "name" and v.start > 0 and not v.key[0] <= asked]  # type: ignore[operator]


def proximity(sentence: str, slots: Sequence[Value], terms: dict[str, float]) -> float:
    """The largest share of the question's term weight found within PROXIMITY_WINDOW_WORDS of a slot."""
    total = sum(terms.values())
    if not slots or not total:
        return 0.0
    words = [(m.start(), content_stem(m.group(0))) for m in WORD.finditer(sentence)]
    best = 0.0
    for slot in slots:
        first = sum(1 for start, _ in words if start < slot.start)
        last = sum(1 for start, _ in words if start < slot.end)
        near = {s for _, s in words[max(0, first - PROXIMITY_WINDOW_WORDS) : last + PROXIMITY_WINDOW_WORDS]}
        best = max(best, sum(w for t, w in terms.items() if t in near) / total)
    return best


def agreement(candidate: C, slots: Sequence[Value], pool: Sequence[C], slots_of: dict[int, list[Value]]) -> float:
    """How many other sentences state one of this sentence's values (a name, a figure, a date), saturating."""
    best = 0
    for value in slots:
        if value.kind == "reason":
            continue
        same = sum(1 for other in pool if other is not candidate
                   and any(_same_value(value, theirs) for theirs in slots_of[id(other)]))
        best = max(best, same)
    return min(best, AGREEMENT_SATURATION_SENTENCES) / AGREEMENT_SATURATION_SENTENCES


def _same_value(value: Value, other: Value) -> bool:
    """Names agree when one's identifying words hold the other's ("Caitlin Clark" and "Clark")."""
    if value.kind != other.kind:
        return False
    if value.kind == "name":
        mine, theirs = value.key[0], other.key[0]
        return bool(mine) and bool(theirs) and (mine <= theirs or theirs <= mine)  # type: ignore[operator]
    return compatible(value, other)
