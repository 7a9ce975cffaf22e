"""Numbered sources in, checked `[n]` markers out.

Sources go into the prompt as delimited, escaped blocks, one per article under its number from
`retrieval.answer.numbering` (article text is data, never instructions). The model's `[n]` markers
are then mapped back: unknown numbers are dropped, the rest keep their number. (Links the model
invented are removed by `retrieval.text.sanitise`.)
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Sequence

from retrieval.answer.numbering import SourceNumbering
from retrieval.models import Citation
from retrieval.text.markers import ADJACENT_REPEATS, defuse_numbered_brackets, markers

# A bracket group that is not a markdown link: "[3]", "[1, 2]", "[source 4]", "[abc]".
_BRACKET_GROUP = re.compile(r"[ \t]*\[([^\[\]\n]{1,40})\](?!\()")
_GROUP_SEPARATOR = re.compile(r"\s*(?:,|;|\band\b|&)\s*")
_ID_PREFIX = re.compile(r"^(?:sources?|src|refs?|citations?|cite)\s*[#:]?\s*|^#", re.IGNORECASE)
# Other shapes models use for citations, rewritten to brackets first: "【2】", "(Source 2)", "(sources 1, 3)".
_ALTERNATE_CITATION = re.compile(
    r"【\s*(\d{1,4}(?:\s*[,;]\s*\d{1,4})*)\s*】"
    r"|\((?:sources?|src)\s*[#:]?\s*(\d{1,4}(?:\s*(?:,|;|and|&)\s*\d{1,4})*)\)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d{1,4}")
_RANGE = re.compile(r"(\d{1,4})\s*[-–]\s*(\d{1,4})")
_TOKEN = re.compile(r"[\w-]{1,12}")
MAX_RANGE_LENGTH = 20

# Prompt escaping: angle brackets can never open or close a tag, `[n]` in article text cannot
# pose as a citation, and known chat-template markers are defused.
_TEMPLATE_MARKERS = re.compile(r"\[/?INST\]|\[/?SYS\]|<<|>>|<\||\|>", re.IGNORECASE)


def escape_source_text(text: str) -> str:
    """Neutralise anything in article text that could pass for a delimiter, role tag or citation."""
    text = _TEMPLATE_MARKERS.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›")
                                 .replace("[", "(").replace("]", ")"), text)
    text = text.replace("<", "‹").replace(">", "›")
    return defuse_numbered_brackets(text)


def _attribute(value: object) -> str:
    return html.escape(escape_source_text(str(value)), quote=True)


def format_sources_for_prompt(numbering: SourceNumbering) -> str:
    """`<source id="n" title=... date=... outlet=...>text</source>`, one block per article holding its
    retrieved chunks in article order, so the model cites the article numbers the answer keeps."""
    blocks = []
    for article in numbering.articles:
        head = article.chunks[0]
        date = head.published.isoformat() if head.published else "unknown"
        text = "\n\n".join(escape_source_text(c.text) for c in sorted(article.chunks, key=lambda c: c.n))
        blocks.append(
            f'<source id="{article.n}" title="{_attribute(head.title)}" date="{date}" '
            f'outlet="{_attribute(head.outlet)}">\n{text}\n</source>'
        )
    return "\n\n".join(blocks)


def _parse_group(content: str) -> list[int] | None:
    """The ids in a citation-like bracket group (invalid ones as 0), or None if it is ordinary text."""
    ids: list[int] = []
    for raw in _GROUP_SEPARATOR.split(content.strip()):
        part = _ID_PREFIX.sub("", raw.strip())
        if _NUMBER.fullmatch(part):
            ids.append(int(part))
        elif (span := _RANGE.fullmatch(part)) and 0 <= int(span[2]) - int(span[1]) < MAX_RANGE_LENGTH:
            ids.extend(range(int(span[1]), int(span[2]) + 1))
        elif _TOKEN.fullmatch(part):
            ids.append(0)  # a one-word id like [abc]: citation-shaped, but points nowhere
        else:
            return None
    return ids


def map_citations(text: str, citations: Sequence[Citation]) -> tuple[str, tuple[Citation, ...]]:
    """Keep markers that point to a known source, drop the rest; numbers are never changed, so the
    text reads as it streamed. The citations used come back in number order."""
    by_n = {c.n: c for c in citations}
    mapped, used = _rewrite_markers(text, lambda n: n in by_n)
    return mapped, tuple(by_n[n] for n in sorted(used))


def streamed_markers(text: str, known: Collection[int] | None = None) -> str:
    """Text still being written, with its markers as the final answer will show them: the same shapes
    rewritten to `[n]`, the same unknown numbers dropped (all kept while the sources are not known yet),
    so a number never changes between the streamed edit and the final message."""
    return _rewrite_markers(text, (lambda n: n > 0) if known is None else known.__contains__)[0]


def _rewrite_markers(text: str, is_known: Callable[[int], bool]) -> tuple[str, set[int]]:
    used: set[int] = set()

    def rewrite(match: re.Match[str]) -> str:
        ids = _parse_group(match.group(1))
        if ids is None:
            return match.group(0)
        kept = list(dict.fromkeys(n for n in ids if is_known(n)))
        if not kept:
            return ""
        used.update(kept)
        lead = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip(" \t"))]
        return lead + markers(kept)

    text = _ALTERNATE_CITATION.sub(lambda m: f"[{m.group(1) or m.group(2)}]", text)
    mapped = _BRACKET_GROUP.sub(rewrite, text)
    return ADJACENT_REPEATS.sub(r"\1", mapped), used  # "[1][1]", not a link label
