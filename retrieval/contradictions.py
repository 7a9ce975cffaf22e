"""Extractive contradiction detection: statements about the same thing that say different things.

Statements from different sources are aligned (sentence embeddings + shared key terms + a token
alignment), then the spans where aligned statements differ are compared by kind: numbers, dates,
names (capitalised spans) and negation. The same value written differently ("Dec. 1, 2017" and
"1 December 2017", "$1 billion" and "$1,000 million") and paraphrases are not disagreements.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.chunking import split_sentences
from retrieval.models import Answer, Disagreement, ScoredChunk

ALIGN_MIN_COSINE = 0.55  # two statements are about the same thing only if this close (MiniLM cosine)
MIN_SHARED_KEY_TERMS = 2
MIN_MATCHED_SHARE = 0.5  # share of the shorter statement's tokens that the token alignment matches
MIN_MATCHED_WORDS = 2
COUNT_ALIGN_MIN_COSINE = 0.7  # reworded statements must be this close before their counts are compared
MAX_REGION_TOKENS = 8  # a differing span longer than this is a rewrite, not one swapped fact
MAX_NEGATION_REGION_TOKENS = 3
MAX_STATEMENTS_PER_SOURCE = 60
MAX_DISAGREEMENTS = 3
TOPIC_CONTEXT_WORDS = 8

_TOKEN = re.compile(r"\w+(?:[’'.\-]\w+)*|[^\w\s]")
_NEGATIONS = frozenset({"not", "no", "never", "n't", "none", "neither", "nor", "without"})
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
_STOP = frozenset(
    [
        "a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "for", "from", "by", "with", "as",
        "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those",
        "he", "she", "they", "them", "his", "her", "their", "we", "you", "i", "not", "no", "has", "have",
        "had", "do", "does", "did", "will", "would", "can", "could", "may", "might", "should", "than", "then",
        "there", "here", "who", "what", "when", "where", "which", "why", "how", "about", "after", "before",
        "over", "under", "into", "out", "up", "down", "also", "just", "said", "says", "say"
    ]
)
_WH_KIND = (
    (re.compile(r"\b(when|date|what (day|year|month)|which (day|year))\b", re.I), "date"),
    (re.compile(r"\b(how (many|much)|what (number|percentage|share|amount)|revenue|cost|price)\b", re.I),
     "number"),
    (re.compile(r"\b(who|whom|whose|where|which|what)\b", re.I), "name"),
)


@dataclass(frozen=True)
class _Token:
    norm: str
    start: int
    end: int


@dataclass(frozen=True)
class _Statement:
    source: int  # 1-based position of its source
    group: str  # statements of one group (one article) never contradict each other
    text: str
    tokens: tuple[_Token, ...]
    values: tuple[Value, ...]
    terms: frozenset[str]


@dataclass(frozen=True)
class _Clash:
    """One aligned pair of statements that differ on one value."""

    kind: str
    left: tuple[int, str, Value | None]  # source, surface, value (None for a negation side)
    right: tuple[int, str, Value | None]
    topic: str


# --- public ------------------------------------------------------------------------------------------
def find_disagreements(
    question: str | None, sources: Sequence[ScoredChunk], embeddings: Embeddings
) -> tuple[Disagreement, ...]:
    """Facts on which the sources disagree; citation numbers are 1-based positions in `sources`."""
    texts = [(s.chunk.text, s.chunk.article_id) for s in sources]
    return find_disagreements_in_texts(question, texts, embeddings)


def find_disagreements_in_texts(
    question: str | None, texts: Sequence[tuple[str, str]], embeddings: Embeddings
) -> tuple[Disagreement, ...]:
    """Like `find_disagreements` over (text, group) pairs: texts of one group never disagree."""
    statements = [s for i, (text, group) in enumerate(texts, 1) for s in _statements(i, group, text)]
    focus = _Focus.of(question)
    pairs = _candidate_pairs(statements)
    if not pairs:
        return ()
    aligned = _aligned_by_embedding(statements, pairs, embeddings)
    clashes = [
        clash
        for a, b, cosine in aligned
        for clash in _clashes(statements[a], statements[b], cosine)
        if focus.wants(clash)
    ]
    source_texts = {i: text for i, (text, _) in enumerate(texts, 1)}
    return _group(clashes, source_texts, question)


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
    sides = "; ".join(f"{says}, say {_markers(numbers)}" for says, numbers in disagreement.sides)
    return f"Sources disagree on {disagreement.topic}: {sides}."


def question_kind(question: str) -> str | None:
    """What kind of value the question asks for: a date, a number or a name."""
    for pattern, kind in _WH_KIND:
        if pattern.search(question):
            return kind
    return None


# --- statements and alignment ----------------------------------------------------------------------
def _statements(source: int, group: str, text: str) -> list[_Statement]:
    found = []
    for sentence in split_sentences(text)[:MAX_STATEMENTS_PER_SOURCE]:
        tokens = tuple(_Token(m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(sentence))
        values = tuple(find_values(sentence))
        figures = [v for v in values if v.kind != "name"]
        # key terms are the words around the figures: two datelines share "feb" and "2021", not a subject
        terms = frozenset(
            t.norm for t in tokens
            if t.norm.isalnum() and t.norm not in _STOP and len(t.norm) > 2
            and not any(v.start <= t.start < v.end for v in figures)
        )
        found.append(_Statement(source, group, sentence, tokens, values, terms))
    return found


def _candidate_pairs(statements: Sequence[_Statement]) -> list[tuple[int, int]]:
    """Pairs from different sources sharing enough key terms, one of them saying something checkable."""
    pairs = []
    for a, left in enumerate(statements):
        for b in range(a + 1, len(statements)):
            right = statements[b]
            if left.group == right.group or left.text == right.text:
                continue
            if len(left.terms & right.terms) >= MIN_SHARED_KEY_TERMS:
                pairs.append((a, b))
    return pairs


def _aligned_by_embedding(
    statements: Sequence[_Statement], pairs: list[tuple[int, int]], embeddings: Embeddings
) -> list[tuple[int, int, float]]:
    needed = sorted({i for pair in pairs for i in pair})
    vectors = np.asarray(embeddings.embed_documents([statements[i].text for i in needed]), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    row = {index: r for r, index in enumerate(needed)}
    similar = ((a, b, float(vectors[row[a]] @ vectors[row[b]])) for a, b in pairs)
    return [(a, b, cosine) for a, b, cosine in similar if cosine >= ALIGN_MIN_COSINE]


def _regions(left: _Statement, right: _Statement) -> list[tuple[int, int, int, int]] | None:
    """Differing token spans (merged across single punctuation tokens), or None if barely aligned."""
    a = [t.norm for t in left.tokens]
    b = [t.norm for t in right.tokens]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    matched = [a[block.a + k] for block in matcher.get_matching_blocks() for k in range(block.size)]
    words = [w for w in matched if w.isalnum() and w not in _STOP]
    if len(matched) < MIN_MATCHED_SHARE * min(len(a), len(b)) or len(words) < MIN_MATCHED_WORDS:
        return None
    regions: list[list[int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if regions and _only_punctuation(a, regions[-1][1], i1) and regions[-1][1] >= i1 - 1:
            regions[-1][1:] = [i2, regions[-1][2], j2]
        else:
            regions.append([i1, i2, j1, j2])
    return [(r[0], r[1], r[2], r[3]) for r in regions]


def _only_punctuation(tokens: list[str], start: int, end: int) -> bool:
    return all(not t.isalnum() for t in tokens[start:end])


def _clashes(left: _Statement, right: _Statement, cosine: float) -> list[_Clash]:
    """What one aligned pair disagrees on; nothing if it differs in more than one fact (another event)."""
    found = []
    for i1, i2, j1, j2 in _regions(left, right) or ():
        if max(i2 - i1, j2 - j1) > MAX_REGION_TOKENS:
            continue
        clash = _value_clash(left, right, (i1, i2), (j1, j2)) or _negation_clash(left, right, (i1, i2), (j1, j2))
        if clash:
            found.append(clash)
    if not found and cosine >= COUNT_ALIGN_MIN_COSINE:
        found = _count_clashes(left, right)
    slots = {(clash.left[1], clash.right[1]) for clash in found}
    return found if len(slots) == 1 else []


def _count_clashes(left: _Statement, right: _Statement) -> list[_Clash]:
    """Reworded statements that count the same thing differently: "12 people died" / "killed 20 people"."""
    left_counts, right_counts = _counted(left), _counted(right)
    found = []
    for noun, value in left_counts.items():
        other = right_counts.get(noun)
        if other is None or compatible(value, other):
            continue
        if any(compatible(value, v) for v in right.values) or any(compatible(other, v) for v in left.values):
            continue
        found.append(_Clash("number", (left.source, f"{_text(left, value)} {noun}", value),
                            (right.source, f"{_text(right, other)} {noun}", other), f"the number of {noun}"))
    return found


def _counted(statement: _Statement) -> dict[str, Value]:
    """Numbers with the noun right after them ("20 people"); a noun counted twice is ambiguous."""
    counts: dict[str, Value] = {}
    seen: set[str] = set()
    for value in statement.values:
        if value.kind != "number":
            continue
        after = re.match(r"\s+([a-z]{3,})", statement.text[value.end :])
        if after and after.group(1) not in _STOP:
            noun = after.group(1)
            counts.pop(noun, None) if noun in seen else counts.setdefault(noun, value)
            seen.add(noun)
    return counts


def _text(statement: _Statement, value: Value) -> str:
    return statement.text[value.start : value.end]


def _span(statement: _Statement, start: int, end: int) -> tuple[int, int]:
    """Character span of tokens [start, end); an empty span sits between its neighbours."""
    tokens = statement.tokens
    if start < end:
        return tokens[start].start, tokens[end - 1].end
    position = tokens[start].start if start < len(tokens) else len(statement.text)
    return position, position


def _overlapping(statement: _Statement, span: tuple[int, int]) -> list[Value]:
    return [v for v in statement.values if v.start < span[1] and span[0] < v.end]


def _value_clash(left: _Statement, right: _Statement, li: tuple[int, int], ri: tuple[int, int]) -> _Clash | None:
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
        return _Clash(
            kind,
            (left.source, _surface(left.text, left_span, lv), lv[0]),
            (right.source, _surface(right.text, right_span, rv), rv[0]),
            _topic(left, li),
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


def _only_values(statement: _Statement, region: tuple[int, int], values: list[Value]) -> bool:
    """Every changed word is part of a value or a hedge ("at least", "about")."""
    for token in statement.tokens[region[0] : region[1]]:
        inside = any(v.start <= token.start and token.end <= v.end for v in values)
        if not inside and token.norm.isalnum() and token.norm not in _HEDGES:
            return False
    return True


def _negation_clash(left: _Statement, right: _Statement, li: tuple[int, int], ri: tuple[int, int]) -> _Clash | None:
    """ "will raise" / "will not raise", or one word swapped for its opposite ("rose" / "fell")."""
    a = {t.norm for t in left.tokens[li[0] : li[1]]}
    b = {t.norm for t in right.tokens[ri[0] : ri[1]]}
    if max(li[1] - li[0], ri[1] - ri[0]) > MAX_NEGATION_REGION_TOKENS:
        return None
    negated = (a <= _NEGATIONS | _AUXILIARIES and bool(a & _NEGATIONS) and b <= _AUXILIARIES) or (
        b <= _NEGATIONS | _AUXILIARIES and bool(b & _NEGATIONS) and a <= _AUXILIARIES
    )
    content_a, content_b = a - _HEDGES - {"any"}, b - _HEDGES - {"any"}
    antonyms = len(content_a) == len(content_b) == 1 and frozenset(content_a | content_b) in _ANTONYMS
    if not (negated or antonyms):
        return None
    return _Clash("negation", (left.source, left.text, None), (right.source, right.text, None), _topic(left, li))


def _topic(statement: _Statement, region: tuple[int, int]) -> str:
    """The words just before the differing span: what the statements are about."""
    before = statement.tokens[max(0, region[0] - TOPIC_CONTEXT_WORDS) : region[0]]
    if before:
        return f"“{statement.text[before[0].start : before[-1].end]} …”"
    after = statement.tokens[region[1] : region[1] + TOPIC_CONTEXT_WORDS]
    return f"“… {statement.text[after[0].start : after[-1].end]}”" if after else "this point"


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
        terms = frozenset(t.lower() for t in re.findall(r"\w+", question) if t.lower() not in _STOP)
        return cls(question_kind(question), terms, tuple(find_values(question)))

    def wants(self, clash: _Clash) -> bool:
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


def _group(clashes: list[_Clash], source_texts: dict[int, str], question: str | None) -> tuple[Disagreement, ...]:
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
                topic=question.strip().rstrip("?") if question else topic,
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


def _markers(numbers: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


# --- values: dates, numbers, names ------------------------------------------------------------------
NUMBER_RELATIVE_TOLERANCE = 0.01  # "$10.4 billion" and "$10.39 billion" are the same figure, rounded

_MONTHS = {
    name: number
    for number, names in enumerate(
        (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")),
        start=1,
    )
    for name in names
}
_M = r"(?P<m>(?:" + "|".join(sorted((n.capitalize() for n in _MONTHS), key=len, reverse=True)) + r")\b\.?)"
_D = r"(?P<d>[0-3]?\d)(?:st|nd|rd|th)?"
_Y = r"(?P<y>(?:1[5-9]|20)\d\d)"
_DATE_PATTERNS = tuple(
    re.compile(p)
    for p in (
        rf"\b{_M}\s+{_D},?\s+{_Y}\b",
        rf"\b{_D}\s+(?:of\s+)?{_M},?\s+{_Y}\b",
        r"\b(?P<y>(?:1[5-9]|20)\d\d)-(?P<mn>[01]\d)-(?P<d>[0-3]\d)\b",
        rf"\b{_M},?\s+{_Y}\b",
        rf"\b{_M}\s+{_D}\b(?!,?\s*\d)",
        rf"\b{_D}\s+{_M}",
        rf"(?<![\w$.,]){_Y}(?!\w|,\d|\.\d)",
    )
)
_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9,
           "trillion": 1e12}
_NUMBER = re.compile(
    r"(?<![\w.])(?P<cur>[$€£¥])?\s?(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?P<f>\.\d+)?"
    r"(?:\s?(?P<unit>%|percent\b|per cent\b)|\s?(?P<scale>thousand|million|billion|trillion|bn|mn|m|k)\b)?",
    re.IGNORECASE,
)
_WORD_NUMBERS = {w: i for i, w in enumerate(
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"
    ])}
_WORD_NUMBER = re.compile(
    r"\b(?P<w>" + "|".join(_WORD_NUMBERS) + r")\b(?:\s(?P<scale>thousand|million|billion))?", re.IGNORECASE
)
_NAME_WORD = re.compile(r"[A-Z][\w’'&\-]*(?:\.[A-Z]\.?)*|[A-Z]\.")
_DESCRIPTOR = re.compile(r"^[A-Z][a-z]+(?:-[a-z]+)+$")  # "Thirteen-year-old", "Zanzibar-born": not a name
_NAME_JOINERS = frozenset({"of", "de", "da", "del", "van", "von", "bin", "al", "la", "le", "du", "&"})
_NAME_NOISE = frozenset({"the", "a", "an", "mr", "mrs", "ms", "dr", "president", "ceo", "sir", "st"})
_SENTENCE_STARTERS = _STOP | frozenset({"i", "after", "while", "despite", "nevertheless", "however",
                                        "upon", "both", "during", "since", "although", "if", "as"})


@dataclass(frozen=True)
class Value:
    """A checkable value in a sentence, with its character span and a spelling-free key."""

    kind: str  # "date" | "number" | "name"
    start: int
    end: int
    key: tuple[object, ...]


def find_values(sentence: str) -> list[Value]:
    """Dates first (their digits are not numbers), then numbers, then capitalised names."""
    taken: list[tuple[int, int]] = []
    values = [*_dates(sentence, taken), *_numbers(sentence, taken), *_names(sentence, taken)]
    return sorted(values, key=lambda v: v.start)


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= s or start >= e for s, e in taken)


def _dates(sentence: str, taken: list[tuple[int, int]]) -> list[Value]:
    found = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(sentence):
            if not _free(taken, match.start(), match.end()):
                continue
            groups = match.groupdict()
            month = _MONTHS.get((groups.get("m") or "").rstrip(".").lower()) or (
                int(groups["mn"]) if groups.get("mn") else None)
            day = int(groups["d"]) if groups.get("d") else None
            if day is not None and not 1 <= day <= 31:
                continue
            year = int(groups["y"]) if groups.get("y") else None
            taken.append((match.start(), match.end()))
            found.append(Value("date", match.start(), match.end(), (year, month, day)))
    return found


def _numbers(sentence: str, taken: list[tuple[int, int]]) -> list[Value]:
    found = []
    for match in [*_NUMBER.finditer(sentence), *_WORD_NUMBER.finditer(sentence)]:
        if not _free(taken, match.start(), match.end()):
            continue
        groups = match.groupdict()
        if groups.get("w"):
            amount = float(_WORD_NUMBERS[groups["w"].lower()])
        else:
            amount = float(groups["n"].replace(",", "") + (groups.get("f") or ""))
        amount *= _SCALES.get((groups.get("scale") or "").lower(), 1.0)
        unit = groups.get("cur") or ("%" if groups.get("unit") else "")
        taken.append((match.start(), match.end()))
        found.append(Value("number", match.start(), match.end(), (unit, amount)))
    return found


def _names(sentence: str, taken: list[tuple[int, int]]) -> list[Value]:
    found: list[Value] = []
    words = list(re.finditer(r"\S+", sentence))
    run: list[re.Match[str]] = []
    for index, word in enumerate([*words, None]):
        token = word.group().strip(",;:()\"“”'‘’!?") if word else ""
        is_name = bool(word and _NAME_WORD.match(token) and not _DESCRIPTOR.match(token)
                       and _free(taken, word.start(), word.end()))
        if is_name and word is not None and index == 0 and token.lower() in _SENTENCE_STARTERS:
            is_name = False
        if is_name and word is not None:
            run.append(word)
            if word.group().endswith((",", ";", ":", ")", "?", "!")) or _ends_sentence(word.group()):
                found.extend(_name_value(sentence, run))
                run = []
            continue
        if run and word is not None and token in _NAME_JOINERS and not run[-1].group().endswith(","):
            run.append(word)
            continue
        found.extend(_name_value(sentence, run))
        run = []
    return found


def _ends_sentence(word: str) -> bool:
    return word.endswith(".") and not re.fullmatch(r"(?:[A-Z]\.)+|Mr\.|Mrs\.|Ms\.|Dr\.|St\.", word)


def _name_value(sentence: str, run: list[re.Match[str]]) -> list[Value]:
    while run and run[-1].group().strip(",.;:") in _NAME_JOINERS:
        run = run[:-1]
    if not run:
        return []
    start = run[0].start() + (len(run[0].group()) - len(run[0].group().lstrip("(\"“‘'")))
    text = sentence[start : run[-1].end()].rstrip(",.;:)\"”’'!?")
    key = name_key(text)
    return [Value("name", start, start + len(text), key)] if key[0] else []


def name_key(text: str) -> tuple[frozenset[str], str]:
    """A name's words and its letters alone, so "J. F. Lawton" and "J.F. Lawton" match."""
    words = name_tokens(text)
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return words, re.sub(r"[^a-z0-9]", "", plain)


def name_tokens(text: str) -> frozenset[str]:
    """The words that identify a name: lowercased, unaccented, without titles, joiners and possessive 's."""
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    words = (re.sub(r"[’']s$", "", w) for w in re.findall(r"[\w’'&\-]+", plain))
    return frozenset(w for w in words if w and w not in _NAME_NOISE | _NAME_JOINERS)


def compatible(left: Value, right: Value) -> bool:
    """Could both spans say the same thing? Same kind and no part that differs."""
    if left.kind != right.kind:
        return False
    if left.kind == "date":
        return all(a is None or b is None or a == b for a, b in zip(left.key, right.key, strict=True))
    if left.kind == "number":
        (unit_a, a), (unit_b, b) = left.key, right.key
        if unit_a and unit_b and unit_a != unit_b:
            return False
        return abs(float(a) - float(b)) <= NUMBER_RELATIVE_TOLERANCE * max(abs(float(a)), abs(float(b)))  # type: ignore[arg-type]
    a_words, b_words = frozenset(map(str, left.key[0])), frozenset(map(str, right.key[0]))  # type: ignore[call-overload]
    a_letters, b_letters = str(left.key[1]), str(right.key[1])
    shared = {w for w in a_words & b_words if len(w) > 1}
    # "J.F." cut off from "J.F. Lawton" by a sentence break is the same name
    return bool(shared) or a_letters.startswith(b_letters) or b_letters.startswith(a_letters)
