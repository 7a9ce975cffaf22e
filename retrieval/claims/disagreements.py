"""Extractive contradiction detection: statements about the same thing that say different things.

Statements from different sources are aligned (sentence embeddings + shared key terms + a token
alignment), then the spans where aligned statements differ are compared by kind: numbers, dates,
names (capitalised spans) and negation. The same value written differently ("Dec. 1, 2017" and
"1 December 2017", "$1 billion" and "$1,000 million") and paraphrases are not disagreements.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from langchain_core.embeddings import Embeddings

from retrieval.claims.alignment import Statement, aligned_by_embedding, candidate_pairs, statements_of
from retrieval.claims.clashes import Clash, clashes_between
from retrieval.claims.entities import is_entity, same_entity
from retrieval.claims.values import STOP_WORDS, Value, compatible, find_values
from retrieval.models import Answer, Disagreement, ScoredChunk
from retrieval.text.markers import markers

__all__ = [
    "NOTICE_PREFIX",
    "attach_disagreements",
    "compatible",
    "describe",
    "find_disagreements",
    "find_disagreements_in_texts",
    "find_values",
    "question_kind",
]

MAX_DISAGREEMENTS = 3
NOTICE_PREFIX = "Sources disagree on "  # every notice line starts so; renderers and history look for it
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
    texts published more than `MAX_DAYS_APART` apart (last year's figure is another fact)."""
    statements = [s for i, (text, group) in enumerate(texts, 1) for s in statements_of(i, group, text)]
    focus = _Focus.of(question)
    days = list(published or [None] * len(texts))
    pairs = [(a, b) for a, b in candidate_pairs(statements)
             if _close_in_time(days[statements[a].source - 1], days[statements[b].source - 1])
             and focus.covers(statements[a]) and focus.covers(statements[b])]
    if not pairs:
        return ()
    aligned = aligned_by_embedding(statements, pairs, embeddings)
    clashes = [
        clash
        for a, b, cosine in aligned
        for clash in clashes_between(statements[a], statements[b], cosine)
        if focus.wants(clash) and not _rewording(clash, embeddings)
    ]
    source_texts = {i: text for i, (text, _) in enumerate(texts, 1)}
    return _group(clashes, source_texts)


def _opens_sentence(side: tuple[int, str, Value | None]) -> bool:
    """One capitalised word opening the sentence ("Other", "Nicknamed", "Can't"): no entity to compare."""
    value = side[2]
    return value is not None and value.start == 0 and " " not in side[1].strip()


def _close_in_time(left: date | None, right: date | None) -> bool:
    return left is None or right is None or abs((left - right).days) <= MAX_DAYS_APART


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
        if self.kind is None:
            return True
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


# --- grouping clashes into disagreements ------------------------------------------------------------
@dataclass
class _Side:
    kind: str
    value: Value | None
    sources: set[int]
    surfaces: Counter[str]

    @property
    def surface(self) -> str:
        """The most frequent spelling; the shorter one on a tie."""
        return min(self.surfaces.items(), key=lambda item: (-item[1], len(item[0])))[0]


def _group(clashes: list[Clash], source_texts: dict[int, str]) -> tuple[Disagreement, ...]:
    sides: list[_Side] = []
    edges: list[tuple[int, int, str]] = []
    for clash in clashes:
        a = _side_for(sides, clash.kind, *clash.left)
        b = _side_for(sides, clash.kind, *clash.right)
        if a != b:
            edges.append((a, b, clash.topic))
    found = []
    for members, topic in _components(len(sides), edges):
        chosen = [sides[i] for i in members]
        _add_other_sources(chosen, source_texts)
        chosen = _without_shared_sources(chosen)
        if len(chosen) < 2:
            continue
        found.append(
            Disagreement(
                topic=topic,
                sides=tuple((s.surface, tuple(sorted(s.sources))) for s in chosen),
            )
        )
    found.sort(key=lambda d: -sum(len(numbers) for _, numbers in d.sides))
    return tuple(found[:MAX_DISAGREEMENTS])


def _side_for(sides: list[_Side], kind: str, source: int, surface: str, value: Value | None) -> int:
    for index, side in enumerate(sides):
        if side.kind != kind:
            continue
        same = side.surfaces[surface] > 0 if value is None or side.value is None else compatible(side.value, value)
        if same:
            side.sources.add(source)
            side.surfaces[surface] += 1
            return index
    sides.append(_Side(kind, value, {source}, Counter({surface: 1})))
    return len(sides) - 1


def _components(count: int, edges: list[tuple[int, int, str]]) -> list[tuple[list[int], str]]:
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    topics: dict[int, str] = {}
    for a, b, _ in edges:
        parent[root(a)] = root(b)
    for a, _, topic in edges:
        topics.setdefault(root(a), topic)
    groups: dict[int, list[int]] = {}
    for i in range(count):
        if root(i) in topics:
            groups.setdefault(root(i), []).append(i)
    return [(members, topics[r]) for r, members in groups.items()]


def _add_other_sources(sides: list[_Side], source_texts: dict[int, str]) -> None:
    """Cite every source that states one side's value and no other side's."""
    if any(s.value is None for s in sides):
        return
    for number, text in source_texts.items():
        lowered = text.lower()
        holding = [s for s in sides if s.surface.lower() in lowered]
        if len(holding) == 1:
            holding[0].sources.add(number)
        elif len(holding) > 1:
            for side in holding:
                side.sources.discard(number)


def _without_shared_sources(sides: list[_Side]) -> list[_Side]:
    """Biggest side first; a source already cited by a bigger side is not cited again."""
    ordered = sorted(sides, key=lambda s: (-len(s.sources), min(s.sources, default=0)))
    seen: set[int] = set()
    kept = []
    for side in ordered:
        side.sources -= seen
        seen |= side.sources
        if side.sources:
            kept.append(side)
    return kept



