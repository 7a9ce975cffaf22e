"""Articles → sentence-aligned, non-overlapping chunks of at most CHUNK_MAX_CHARS characters.

Non-overlapping chunks keep the top-k free of near-copies of one passage (an overlap of about one
sentence, `overlap_chars`, was measured by week folds and lowered recall: README); sentence alignment keeps
each quoted sentence whole. Key points and contradictions (parsed out of the body by the loader)
become chunks of their own kind, so they are searchable without repeating body text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Literal

from retrieval.models import Article, Chunk
from retrieval.text.sentences import paragraphs, split_paragraph

ChunkKind = Literal["body", "key_point", "contradiction"]

CHUNKER_VERSION = "1"  # bump when chunk boundaries change: the indexer re-embeds changed articles
CHUNK_MAX_CHARS = 1000  # the eval compares chunks of at most 1,000 characters; see README for the measurement
CHUNK_OVERLAP_CHARS = 0  # closing sentences of a body chunk repeated at the next one's start; see README
PARAGRAPH_SEPARATOR = "\n\n"

def _split_long(sentence: str, max_chars: int) -> Iterator[str]:
    """A 'sentence' longer than max_chars (a table, a list without stops) cut at word boundaries."""
    piece = ""
    for word in sentence.split():
        while len(word) > max_chars:  # a single enormous token: hard cut
            if piece:
                yield piece
                piece = ""
            yield word[:max_chars]
            word = word[max_chars:]
        candidate = f"{piece} {word}" if piece else word
        if len(candidate) > max_chars:
            yield piece
            piece = word
        else:
            piece = candidate
    if piece:
        yield piece


def _paragraph_units(text: str, max_chars: int) -> Iterator[tuple[str, bool]]:
    """(sentence, starts_paragraph) pairs, every sentence at most max_chars long."""
    for paragraph in paragraphs(text):
        first = True
        for sentence in split_paragraph(paragraph):
            for unit in _split_long(sentence, max_chars):
                yield unit, first
                first = False


def _append(piece: str, unit: tuple[str, bool]) -> str:
    """The piece with one more sentence: after a paragraph break if it starts a paragraph, else a space."""
    text, new_paragraph = unit
    return f"{piece}{PARAGRAPH_SEPARATOR if new_paragraph else ' '}{text}" if piece else text


def _join(units: Sequence[tuple[str, bool]]) -> str:
    piece = ""
    for unit in units:
        piece = _append(piece, unit)
    return piece


def _carried(previous: Sequence[tuple[str, bool]], overlap_chars: int) -> list[tuple[str, bool]]:
    """The closing sentences of the previous piece, whole, at most overlap_chars in all (none if 0)."""
    carried: list[tuple[str, bool]] = []
    for unit in reversed(previous[1:]):  # never the whole previous piece
        if len(_join([unit, *carried])) > overlap_chars:
            break
        carried.insert(0, unit)
    return carried


def pack(units: Iterable[tuple[str, bool]], max_chars: int, overlap_chars: int = 0) -> list[str]:
    """Greedily pack sentences into pieces ≤ max_chars, keeping paragraph breaks inside a piece; a new
    piece opens with the previous piece's closing sentences when they fit in overlap_chars."""
    pieces: list[str] = []
    current: list[tuple[str, bool]] = []
    piece = ""
    for unit in units:
        longer = _append(piece, unit)
        if current and len(longer) > max_chars:
            pieces.append(piece)
            current = _carried(current, overlap_chars)
            while current and len(_join([*current, unit])) > max_chars:
                current.pop(0)
            longer = _join([*current, unit])
        current.append(unit)
        piece = longer
    if piece:
        pieces.append(piece)
    return pieces


def _bullets(items: Iterable[str], max_chars: int) -> list[str]:
    units = (unit for item in items for unit in _split_long(f"- {' '.join(item.split())}", max_chars))
    return pack(((unit, True) for unit in units if unit.strip("- ")), max_chars)


def chunk_article(article: Article, max_chars: int = CHUNK_MAX_CHARS,
                  overlap_chars: int = CHUNK_OVERLAP_CHARS) -> list[Chunk]:
    """Body chunks, then key-point chunks, then contradiction chunks; ids `{article.id}:{n}`."""
    body = pack(_paragraph_units(article.text, max_chars), max_chars, overlap_chars)
    pieces: list[tuple[str, ChunkKind]] = [(text, "body") for text in body]
    pieces += [(text, "key_point") for text in _bullets(article.key_points, max_chars)]
    pieces += [(text, "contradiction") for text in _bullets(article.contradictions, max_chars)]
    return [
        Chunk(
            id=f"{article.id}:{n}",
            article_id=article.id,
            n=n,
            text=text,
            title=article.title,
            url=article.url,
            published=article.published,
            outlet=article.outlet,
            kind=kind,
            tenant=article.tenant,
        )
        for n, (text, kind) in enumerate(pieces)
    ]


def _title_line(chunk: Chunk) -> str:
    return chunk.title.strip()


def text_for_embedding(chunk: Chunk) -> str:
    """Title, then the chunk: the title names the story a mid-article chunk is about."""
    title = _title_line(chunk)
    return f"{title}\n{chunk.text}" if title else chunk.text


def text_for_lexical(chunk: Chunk) -> str:
    """Title and chunk text for BM25; the title carries the names a chunk often leaves implicit."""
    title = _title_line(chunk)
    return f"{title}\n{chunk.text}" if title else chunk.text
