"""Extractive contradiction detection: statements about the same thing that say different things.

Statements from different sources are aligned (sentence embeddings + shared key terms + a token
alignment), then the spans where aligned statements differ are compared by kind: numbers, dates,
names (capitalised spans) and negation. The same value written differently ("Dec. 1, 2017" and
"1 December 2017", "$1 billion" and "$1,000 million") and paraphrases are not disagreements.
Reworded statements are compared slot by slot (slots.py: same slot, same time, incompatible values),
and one sentence that reports two parties' values is the two sides its article reports (attributions.py).
Questions and short headings state no fact; with no question (a brief), names are never compared.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from langchain_core.embeddings import Embeddings

from retrieval.claims.alignment import Statement, aligned_by_embedding, candidate_pairs, statements_of
from retrieval.claims.attributions import as_disagreement, attributed_clash
from retrieval.claims.clashes import Clash, clashes_between
from retrieval.claims.entities import is_entity, same_entity
from retrieval.claims.grouping import MAX_DISAGREEMENTS, group_clashes
from retrieval.claims.slots import Report, same_time, slot_clashes
from retrieval.claims.values import STOP_WORDS, Value, compatible, find_values
from retrieval.models import Answer, Disagreement, ScoredChunk
from retrieval.text.markers import markers

__all__ = [
    "NOTICE_PREFIX",
    "attach_disagreements",
    "compatible",
    "describe",
    "detected_clashes",
    "find_disagreements",
    "find_disagreements_in_texts",
    "find_values",
    "question_kind",
]

NOTICE_PREFIX = "Sources disagree on "  # every notice line starts so; renderers and history look for it
MIN_UNPUNCTUATED_WORDS = 12  # a line without an end mark and shorter than this is a heading or a list item
_END_MARKS = (".", "!", '"', "”", "’", "'", ")")
MAX_DAYS_APART = 45  # coverage of one event is this close in time; further apart, it is another year's fact
# In a question's answer, both statements must name this many of the question's own words (its subject).
MIN_SUBJECT_TERMS = 1
_QUESTION_WORDS = frozenset({"many", "much", "whom", "whose", "kind", "type", "name", "called", "according"})
_WH_KIND = (
    (re.compile(r"\b(when|date|what (day|year|month)|which (day|year))\b", re.I), "date"),
    (re.compile(r"\b(how (many|much)|what (number|percentage|share|amount)|revenue|cost|price)\b", re.I),
     "number"),
    (re.compile(r"\b(who|whom|whose|where|which|what)\b", re.I), "name"),
)


# --- public ------------------------------------------------------------------------------------------
def find_disagreements(
    question: str | None, sources: Sequence[ScoredChunk], embeddings: Embeddings
) -> tuple[Disagreement, ...]:
    """Facts on which the sources disagree; citation numbers are 1-based positions in `sources`."""
    texts = [(s.chunk.text, s.chunk.article_id) for s in sources]
    return find_disagreements_in_texts(question, texts, embeddings, [s.chunk.published for s in sources])


def find_disagreements_in_texts(
    question: str | None,
    texts: Sequence[tuple[str, str]],
    embeddings: Embeddings,
    published: Sequence[date | None] | None = None,
) -> tuple[Disagreement, ...]:
    """Like `find_disagreements` over (text, group) pairs: texts of one group never disagree, nor do
    texts published more than `MAX_DAYS_APART` apart (last year's figure is another fact); one sentence
    that reports two parties' values is the two sides its article itself reports."""
    found = detected_clashes(question, texts, embeddings, published)
    across = [clash for clash, left, right in found if left is not right]
    within = tuple(as_disagreement(clash) for clash, left, right in found if left is right)
    source_texts = {i: text for i, (text, _) in enumerate(texts, 1)}
    return (group_clashes(across, source_texts) + within)[:MAX_DISAGREEMENTS]


def detected_clashes(
    question: str | None,
    texts: Sequence[tuple[str, str]],
    embeddings: Embeddings,
    published: Sequence[date | None] | None = None,
) -> list[tuple[Clash, Statement, Statement]]:
    """Every clash the detector accepts, with the two statements it is between (one statement for the
    two sides of one sentence); mining for the labelled set reads them."""
    statements = [s for i, (text, group) in enumerate(texts, 1) for s in statements_of(i, group, text)
                  if _states_a_fact(s.text)]
    focus = _Focus.of(question)
    days = list(published or [None] * len(texts))
    found = [(clash, s, s) for s in statements if focus.covers(s)
             if (clash := attributed_clash(s)) is not None and focus.wants(clash)]
    pairs = [(a, b) for a, b in candidate_pairs(statements)
             if _close_in_time(days[statements[a].source - 1], days[statements[b].source - 1])
             and focus.covers(statements[a]) and focus.covers(statements[b])]
    reworded: list[tuple[Report, Report]] = []
    for a, b, _ in aligned_by_embedding(statements, pairs, embeddings) if pairs else []:
        left, right = statements[a], statements[b]
        reports = Report(left, days[left.source - 1]), Report(right, days[right.source - 1])
        swapped = clashes_between(left, right)
        found += [(c, left, right) for c in swapped if focus.wants(c) and not _rewording(c, embeddings)
                  and _same_time(c, *reports)]
        if not swapped:
            reworded.append(reports)
    found += [(c, left.statement, right.statement) for c, left, right in slot_clashes(reworded, embeddings)
              if focus.wants(c)]
    return found


def _opens_sentence(side: tuple[int, str, Value | None]) -> bool:
    """One capitalised word opening the sentence ("Other", "Nicknamed", "Can't"): no entity to compare."""
    value = side[2]
    return value is not None and value.start == 0 and " " not in side[1].strip()


def _years_only(clash: Clash) -> bool:
    return clash.kind == "date" and all(v is not None and v.key[1] is None for v in (clash.left[2], clash.right[2]))


def _states_a_fact(sentence: str) -> bool:
    """A question ("How many athletes are in the Olympics?") or a short heading or list item with no end
    mark ("Early voting starts Oct. 21", under a state's name) states no fact on its own."""
    text = sentence.rstrip()
    if text.endswith("?"):
        return False
    return text.endswith(_END_MARKS) or len(text.split()) >= MIN_UNPUNCTUATED_WORDS


def _close_in_time(left: date | None, right: date | None) -> bool:
    return left is None or right is None or abs((left - right).days) <= MAX_DAYS_APART


def _same_time(clash: Clash, left: Report, right: Report) -> bool:
    """A swapped date or count holds at one time reference in both reports (see `slots.same_time`)."""
    a, b = clash.left[2], clash.right[2]
    return a is None or b is None or a.kind == "name" or same_time(left, a, right, b)


def _rewording(clash: Clash, embeddings: Embeddings) -> bool:
    """Two names that are one entity in other words, or that are no entity (a credit, a weekday)."""
    if clash.kind != "name":
        return False
    left, right = clash.left[1], clash.right[1]
    if not (is_entity(left) and is_entity(right)) or _opens_sentence(clash.left) or _opens_sentence(clash.right):
        return True
    return same_entity(left, right, embeddings)


def attach_disagreements(
    answer: Answer, question: str, sources: Sequence[ScoredChunk], embeddings: Embeddings
) -> Answer:
    """The answer with the sources' disagreement on the asked fact spelled out, each side cited."""
    disagreements = find_disagreements(question, sources, embeddings)
    if not disagreements:
        return answer
    lines = [answer.text.rstrip(), ""] + [describe(d) for d in disagreements]
    return answer.model_copy(update={"text": "\n".join(lines), "disagreements": disagreements})


def describe(disagreement: Disagreement) -> str:
    """`Sources disagree: X, says [1][3]; Y, says [2].`"""
    sides = "; ".join(f"{says}, say {markers(numbers)}" for says, numbers in disagreement.sides)
    return f"{NOTICE_PREFIX}{disagreement.topic}: {sides}."


def question_kind(question: str) -> str | None:
    """What kind of value the question asks for: a date, a number or a name."""
    for pattern, kind in _WH_KIND:
        if pattern.search(question):
            return kind
    return None


# --- the question's focus ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Focus:
    """What the question asks for; clashes of another kind, or on a value it names, are off topic."""

    kind: str | None = None
    terms: frozenset[str] = frozenset()
    values: tuple[Value, ...] = ()

    @classmethod
    def of(cls, question: str | None) -> _Focus:
        if not question:
            return cls()
        terms = frozenset(t.lower() for t in re.findall(r"\w+", question)
                          if t.lower() not in STOP_WORDS and t.lower() not in _QUESTION_WORDS)
        return cls(question_kind(question), terms, tuple(find_values(question)))

    def covers(self, statement: Statement) -> bool:
        """The statement is about the question's subject: it names enough of the question's words."""
        needed = min(MIN_SUBJECT_TERMS, len(self.terms))
        return len({t.norm for t in statement.tokens} & self.terms) >= needed

    def wants(self, clash: Clash) -> bool:
        """With no question (a brief), a differing name is as often another subject (another state, another
        store, a local edition of one story) as another value, and a differing year alone is another year's
        fact ("cost in 2022" / "in 2023"): only days, figures and negations count."""
        if self.kind is None:
            return bool(self.terms) or not (clash.kind == "name" or _years_only(clash))
        if clash.kind not in ("negation", self.kind):
            return False
        return not any(self._restates(value) for _, _, value in (clash.left, clash.right))

    def _restates(self, value: Value | None) -> bool:
        """The statements differ in the question's own subject ("Instagram", "in 2021"): another fact."""
        if value is None:
            return False
        if value.kind == "name":
            words = value.key[0]
            return bool(words) and words <= self.terms  # type: ignore[operator]
        return any(v.kind == value.kind and v.key == value.key for v in self.values)
