"""One sentence splitter for every stage: chunking, answers, support checks, claims and briefs.

A sentence ends at . ! or ? (and any closing quotes or brackets) before whitespace and something that
can start a sentence; a paragraph break always ends one; abbreviations and initials are re-joined.
Answer text keeps its `[n]` markers with the sentence they follow (`split_cited_sentences`).
"""

from __future__ import annotations

import re

from retrieval.text.markers import LEADING_MARKERS

# A sentence ends at . ! or ? (and any closing quotes/brackets) before whitespace and something that can
# start a sentence. Abbreviations and initials are re-joined afterwards.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_PARAGRAPHS = re.compile(r"\n\s*\n+")
_LINES = re.compile(r"\n+")
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "gen", "col", "lt", "sgt",
    "capt", "cmdr", "adm", "gov", "sen", "rep", "rev", "pres", "supt", "insp", "inc", "ltd", "co",
    "corp", "bros", "dept", "est", "fig", "no", "vs", "etc", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.u", "d.c", "a.m",
    "p.m", "i.e", "e.g", "u.s.a", "ph.d",
})


def _ends_with_abbreviation(sentence: str) -> bool:
    """True when the final '.' belongs to an abbreviation or an initial ("Mr.", "U.S.", "J.")."""
    if not sentence.endswith("."):
        return False
    last_word = sentence.rsplit(None, 1)[-1].rstrip(".").lstrip("(\"'“‘").lower()
    return last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha())


def split_paragraph(paragraph: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for end in [m.end() for m in _SENTENCE_END.finditer(paragraph)] + [len(paragraph)]:
        piece = " ".join(paragraph[start:end].split())
        start = end
        if not piece:
            continue
        if sentences and _ends_with_abbreviation(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, whitespace-normalised; a paragraph break always ends a sentence."""
    return [s for paragraph in _PARAGRAPHS.split(text) for s in split_paragraph(paragraph)]


def paragraphs(text: str) -> list[str]:
    return _PARAGRAPHS.split(text)


def split_cited_sentences(text: str) -> list[str]:
    """Sentences of answer text, one line at a time; markers that open a piece go back to the one before."""
    sentences: list[str] = []
    for piece in (s for line in _LINES.split(text) for s in split_sentences(line)):
        lead = LEADING_MARKERS.match(piece)
        if lead and sentences:
            sentences[-1] += " " + lead.group(1)
            piece = piece[lead.end():]
        if piece:
            sentences.append(piece)
    return sentences

