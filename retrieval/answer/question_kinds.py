"""What kind of thing a question asks for (a number, a date, a name, an explanation), and whether a
sentence holds one that the question itself does not: an answer, not a restatement."""

from __future__ import annotations

import re

from retrieval.text.cues import EXPLANATION

_NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|trillion|dozen)s?\b",
    re.IGNORECASE,
)
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
)
_DATE = re.compile(rf"\b{_MONTH}\b|\b(?:1[89]|20)\d\d\b|\b(?:yesterday|today|last (?:week|month|year))\b")
_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z'’.-]*[a-zA-Z]\b|\b[A-Z]{2,}\b")


class QuestionKind:
    NUMBER = "number"
    DATE = "date"
    NAME = "name"
    DESCRIPTION = "description"  # why/how/what-is-the-purpose: answered by an explanation, not a name
    OTHER = "other"


_KIND_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bwhy\b|\bhow (?:did|does|do|is|was|will|can)\b|\bwhat (?:happened|is happening)\b|"
                r"\bwhat (?:is|was|are|were) (?:the |one of the |a )?(?:primary |main |key |significant )?"
                r"(?:purpose|goal|reason|focus|concern|issue|significance|role|origin|definition)\b|"
                r"\bwhat (?:significant|unique|special)\b|\bwhat is unique\b|\bknown for\b", re.I),
     QuestionKind.DESCRIPTION),
    (re.compile(r"\bhow (?:many|much|old|long|far|big|tall|often)\b|\bwhat (?:percentage|percent|number|"
                r"share|age|amount|price|proportion)\b|\bwhat was the (?:maximum|minimum|total)\b", re.I),
     QuestionKind.NUMBER),
    (re.compile(r"\bwhen\b|\bwhat (?:year|date|day|month)\b|\bwhich (?:year|date|day|month)\b", re.I),
     QuestionKind.DATE),
    (re.compile(r"\bwho(?:m|se)?\b|\bwhich\b|\bwhere\b|\bwhat is the name\b|\bwhat was the name\b", re.I),
     QuestionKind.NAME),
)


def question_kind(question: str) -> str:
    for pattern, kind in _KIND_PATTERNS:
        if pattern.search(question):
            return kind
    return QuestionKind.OTHER


def answer_type_match(kind: str, sentence: str, question: str) -> float:
    """1 when the sentence holds something of the asked-for kind that the question itself doesn't."""
    asked = question.lower()
    if kind == QuestionKind.DESCRIPTION:
        return 1.0 if EXPLANATION.search(sentence) else 0.0
    if kind == QuestionKind.NUMBER:
        found = [m.group(0) for m in _NUMBER.finditer(sentence)]
    elif kind == QuestionKind.DATE:
        found = [m.group(0) for m in _DATE.finditer(sentence)]
    else:
        body = sentence[1:] if kind == QuestionKind.NAME else sentence
        found = [m.group(0) for m in _CAPITALISED.finditer(body)]
        found += [] if kind == QuestionKind.NAME else [m.group(0) for m in _NUMBER.finditer(sentence)]
    return 1.0 if any(f.lower() not in asked for f in found) else 0.0
