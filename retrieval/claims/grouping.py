"""Grouping clashes into disagreements: one side per value, each source cited by one side only.

Clashes that share a value are one disagreement ("Nov. 30" against "Nov. 29" from three pairs of sources
is one notice); every source that states one side's value, and no other side's, is cited for it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from retrieval.claims.clashes import Clash
from retrieval.claims.values import Value, compatible
from retrieval.models import Disagreement

MAX_DISAGREEMENTS = 3


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


def group_clashes(clashes: list[Clash], source_texts: dict[int, str]) -> tuple[Disagreement, ...]:
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
