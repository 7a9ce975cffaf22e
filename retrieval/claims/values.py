"""Checkable values in a sentence (dates, numbers, capitalised names) and whether two of them agree.

The same value written differently ("Dec. 1, 2017" and "1 December 2017", "$1 billion" and "$1,000 million")
gets the same spelling-free key, so `compatible` tells a different fact from a different spelling.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

STOP_WORDS = frozenset(
    [
        "a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "for", "from", "by", "with", "as",
        "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those",
        "he", "she", "they", "them", "his", "her", "their", "we", "you", "i", "not", "no", "has", "have",
        "had", "do", "does", "did", "will", "would", "can", "could", "may", "might", "should", "than", "then",
        "there", "here", "who", "what", "when", "where", "which", "why", "how", "about", "after", "before",
        "over", "under", "into", "out", "up", "down", "also", "just", "said", "says", "say"
    ]
)
NUMBER_RELATIVE_TOLERANCE = 0.01  # "$10.4 billion" and "$10.39 billion" are the same figure, rounded
# "nearly 200" lies this far below 200 at most, "about 200" this far either side: a hedge, not a range
NEAR_RELATIVE_SPREAD = 0.15
# Words before a number that make it a bound: "nearly 200" is below 200, "more than 200" above it.
_BOUNDS = (
    ("near_below", r"nearly|almost|just under|just shy of"),
    ("below", r"under|fewer than|less than|up to|no more than|at most"),
    ("above", r"more than|over|above|upwards of|in excess of|exceeding"),
    ("at_least", r"at least|no fewer than|no less than"),
    ("about", r"about|around|roughly|approximately|some|an estimated|close to"),
)
_BOUND_AFTER = re.compile(r"\s+or\s+(more|greater|higher|fewer|less|lower)\b", re.IGNORECASE)  # "three or more"
# "36th" is a rank and "one of the most gifted" no count: neither is a number to compare
_ORDINAL_SUFFIX = re.compile(r"(?:st|nd|rd|th)\b", re.IGNORECASE)
_ONE_OF = re.compile(r"\s+of\s+(?:the|its|his|her|their|our|my|those|these|them|us)\b", re.IGNORECASE)
_BOUND_BEFORE = re.compile(r"(?:^|(?<=\W))(?:" + "|".join(f"(?P<{k}>{w})" for k, w in _BOUNDS) + r")\s+$",
                           re.IGNORECASE)

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
_SENTENCE_STARTERS = STOP_WORDS | frozenset({"i", "after", "while", "despite", "nevertheless", "however",
                                        "upon", "both", "during", "since", "although", "if", "as"})


@dataclass(frozen=True)
class Value:
    """A checkable value in a sentence, with its character span and a spelling-free key."""

    kind: str  # "date" | "number" | "name"
    start: int
    end: int
    key: tuple[object, ...]
    bound: str = ""  # for a number: "" (the figure itself) or a hedge of `_BOUNDS` ("nearly", "more than")


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
        if not _free(taken, match.start(), match.end()) or _not_a_count(sentence, match):
            continue
        groups = match.groupdict()
        if groups.get("w"):
            amount = float(_WORD_NUMBERS[groups["w"].lower()])
        else:
            amount = float(groups["n"].replace(",", "") + (groups.get("f") or ""))
        amount *= _SCALES.get((groups.get("scale") or "").lower(), 1.0)
        unit = groups.get("cur") or ("%" if groups.get("unit") else "")
        hedge = _BOUND_BEFORE.search(sentence[: match.start()])
        start = hedge.start() if hedge and _free(taken, hedge.start(), match.start()) else match.start()
        bound = next((k for k, v in hedge.groupdict().items() if v), "") if start < match.start() and hedge else ""
        if after := _BOUND_AFTER.match(sentence, match.end()):
            bound = "at_least" if after.group(1).lower() in ("more", "greater", "higher") else "below"
        taken.append((start, match.end()))
        found.append(Value("number", start, match.end(), (unit, amount), bound))
    return found


def _not_a_count(sentence: str, match: re.Match[str]) -> bool:
    if _ORDINAL_SUFFIX.match(sentence, match.end()):
        return True
    return match.group().lower() == "one" and bool(_ONE_OF.match(sentence, match.end()))


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


def _interval(value: Value) -> tuple[float, float]:
    """The amounts a number allows: its rounding, or the side of it its hedge names."""
    amount = abs(float(value.key[1]))  # type: ignore[arg-type]
    rounding, near, just = NUMBER_RELATIVE_TOLERANCE * amount, NEAR_RELATIVE_SPREAD * amount, 1e-9 * max(amount, 1)
    return {
        "near_below": (amount - near, amount - just), "below": (0.0, amount), "above": (amount + just, float("inf")),
        "at_least": (amount, float("inf")), "about": (amount - near, amount + near),
    }.get(value.bound, (amount - rounding, amount + rounding))


def compatible(left: Value, right: Value) -> bool:
    """Could both spans say the same thing? Same kind and no part that differs."""
    if left.kind != right.kind:
        return False
    if left.kind == "date":
        return all(a is None or b is None or a == b for a, b in zip(left.key, right.key, strict=True))
    if left.kind == "number":
        unit_a, unit_b = left.key[0], right.key[0]
        if unit_a and unit_b and unit_a != unit_b:
            return False
        (low_a, high_a), (low_b, high_b) = _interval(left), _interval(right)
        return max(low_a, low_b) <= min(high_a, high_b)
    a_words, b_words = frozenset(map(str, left.key[0])), frozenset(map(str, right.key[0]))  # type: ignore[call-overload]
    a_letters, b_letters = str(left.key[1]), str(right.key[1])
    shared = {w for w in a_words & b_words if len(w) > 1}
    # "J.F." cut off from "J.F. Lawton" by a sentence break is the same name
    return bool(shared) or a_letters.startswith(b_letters) or b_letters.startswith(a_letters)
