"""Cutting text to Discord's limits at the best boundary, never inside a `[n]` citation. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.text.markers import MARKER_GROUP

CITATION = MARKER_GROUP
# Preferred cut points, best first; a cut goes right after the match.
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE_END = re.compile(r"[.!?…][)\"'”’]*(?:\s*" + MARKER_GROUP.pattern + r")*[)\"'”’]*\s+")
_LINE_END = re.compile(r"\n\s*")
_WORD_END = re.compile(r"\s+")


def split_text(text: str, limit: int) -> list[str]:
    """Cut `text` into pieces of at most `limit` chars whose concatenation is exactly `text`.

    Cuts prefer paragraph, then sentence, then line, then word boundaries, and never fall inside
    a `[n]` citation.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    start = 0
    while len(text) - start > limit:
        cut = _best_cut(text, start, start + limit)
        pieces.append(text[start:cut])
        start = cut
    if start < len(text) or not pieces:
        pieces.append(text[start:])
    return pieces


def _best_cut(text: str, start: int, end: int) -> int:
    """The best cut position in (start, end]; halfway-or-later boundaries win over earlier ones."""
    window = text[start:end]
    half = len(window) // 2
    fallback = 0
    for pattern in (_PARAGRAPH_END, _SENTENCE_END, _LINE_END, _WORD_END):
        ends = [m.end() for m in pattern.finditer(window)]
        ends = [e for e in ends if e > 0 and not _inside_citation(text, start + e)]
        if ends and ends[-1] >= half:
            return start + ends[-1]
        if ends and not fallback:
            fallback = ends[-1]
    if fallback:
        return start + fallback
    return _hard_cut(text, start, end)


def _inside_citation(text: str, position: int) -> bool:
    """True when cutting at `position` would split a citation such as `[12]` or `[1, 2]`."""
    opening = text.rfind("[", max(0, position - 40), position)
    if opening == -1:
        return False
    match = CITATION.match(text, opening)
    return match is not None and opening < position < match.end()


def _hard_cut(text: str, start: int, end: int) -> int:
    """No boundary at all: cut at `end`, moved back before a citation it would split."""
    cut = end
    while cut > start + 1 and _inside_citation(text, cut):
        cut -= 1
    return cut


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Shorten to at most `limit` chars at a boundary, marking the cut."""
    if len(text) <= limit:
        return text
    head = split_text(text, max(1, limit - len(ellipsis)))[0].rstrip()
    return head + ellipsis


def whole_lines(lines: Sequence[str], limit: int, *, more: str = "…and {n} more.") -> str:
    """As many whole lines as fit in `limit` chars, then `more` (with `{n}` lines left out) if any were;
    a list of entries is never cut inside an entry (only a first entry longer than `limit` is shortened)."""
    if len(whole := "\n".join(lines)) <= limit:
        return whole
    kept: list[str] = []
    for index, line in enumerate(lines):
        left_out = more.format(n=len(lines) - index)
        if len("\n".join([*kept, line, more.format(n=len(lines) - index - 1)])) > limit:
            if not kept:  # even the first entry is too long: shorten it, still saying what is left out
                rest = more.format(n=len(lines) - 1) if len(lines) > 1 else ""
                return truncate(line, limit - len(rest) - 1 if rest else limit) + ("\n" + rest if rest else "")
            return "\n".join([*kept, left_out])
        kept.append(line)
    return "\n".join(kept)
