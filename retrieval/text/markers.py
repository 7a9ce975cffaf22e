"""The `[n]` citation marker: its one home. Every module that writes, finds or strips markers
calls this one, so the format can change in one place.

A marker is `[n]`, n a source number from 1; a reader may also see groups such as `[1, 2]`, and
article text may carry ranges such as `[2–4]`, which must never pass for a marker of ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MARKER = re.compile(r"\[(\d+)\]")  # one marker; group 1 is its number
BLANKS_AND_MARKER = re.compile(r"[ \t]*\[(\d+)\]")  # a marker with the blanks before it, to strip both
MARKER_RUN = re.compile(r"\s*(?:\[\d+\])+")  # "[1][2]" after a claim, with the space before it
LEADING_MARKERS = re.compile(r"^((?:\[\d+\])+)\s*")  # markers that open a piece of text
ADJACENT_REPEATS = re.compile(r"(\[\d+\])(?:\1(?!\())+")  # "[1][1]", but not a masked link's label "[1](…)"
MARKER_GROUP = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")  # "[1]" or "[1, 2]": what a reader reads as one citation
NUMBERED_BRACKETS = re.compile(r"\[(\s*\d+(?:\s*[,;–-]\s*\d+)*\s*)\]")  # "[2]", "[1, 3]", "[2–4]" in any text


def marker(n: int) -> str:
    return f"[{n}]"


def markers(numbers: Iterable[int]) -> str:
    """`[1][3]`: the numbers in the order given, no separators."""
    return "".join(marker(n) for n in numbers)


def marker_numbers(text: str) -> list[int]:
    """The numbers of the markers in `text`, in order, repeats kept."""
    return [int(n) for n in MARKER.findall(text)]


def strip_markers(text: str) -> str:
    """The text without its markers (and the blanks before them)."""
    return MARKER_RUN.sub("", text).strip()


def defuse_numbered_brackets(text: str) -> str:
    """`[2]` in article text becomes `(2)`, so it can never pass for a citation of ours."""
    return NUMBERED_BRACKETS.sub(r"(\1)", text)
