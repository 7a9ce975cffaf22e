"""Frozen data models that cross module boundaries (CLI, bot, service)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

GLOBAL_TENANT = ""  # the operator's sources (sources.toml, the command line): visible to every server


def guild_tenant(guild_id: int) -> str:
    """The tenant of what one Discord server added: retrievable by that server only."""
    return f"guild:{guild_id}"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Article(Frozen):
    """One news article or briefing, as loaded from a file, a feed or a page."""

    id: str
    title: str
    url: str | None = None
    published: date | None = None
    outlet: str = "unknown"
    text: str
    key_points: tuple[str, ...] = ()
    contradictions: tuple[str, ...] = ()
    # Every outlet that carried this story (near-duplicates merged); always includes `outlet`.
    outlets: tuple[str, ...] = ()
    origin: str = ""  # the file, feed or URL it came from, for error messages and removal
    tenant: str = GLOBAL_TENANT  # who may retrieve it: GLOBAL_TENANT or guild_tenant(id)


class Chunk(Frozen):
    """A sentence-aligned piece of an article; id is `{article_id}:{n}`, so re-indexing is idempotent."""

    id: str
    article_id: str
    n: int
    text: str
    title: str
    url: str | None = None
    published: date | None = None
    outlet: str = "unknown"
    kind: Literal["body", "key_point", "contradiction"] = "body"
    tenant: str = GLOBAL_TENANT  # copied from the article: search filters on it in both indexes


class ScoredChunk(Frozen):
    """A retrieved chunk with its fused relevance score (higher is better)."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None


class Citation(Frozen):
    """What `[n]` in an answer points to: a real retrieved source and the sentence quoted from it."""

    n: int
    article_id: str
    chunk_id: str
    title: str
    url: str | None = None
    published: date | None = None
    outlet: str = "unknown"
    quote: str = ""


class Disagreement(Frozen):
    """Sources that disagree on one fact, each side with its own citations."""

    topic: str
    sides: tuple[tuple[str, tuple[int, ...]], ...]  # (what this side says, citation numbers)


class Answer(Frozen):
    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    mode: Literal["llm", "extractive"] = "extractive"
    # Sentences of an LLM answer whose cited source did not support them (citation removed, marked).
    unsupported: tuple[str, ...] = ()
    disagreements: tuple[Disagreement, ...] = ()
    note: str | None = None  # e.g. "LLM unavailable, answered extractively"


class Turn(Frozen):
    """One earlier question and answer of a conversation (reply chain or thread)."""

    question: str
    answer: str
    # Who wrote `answer`: "llm" = the model's own prose; "extractive" = sentences quoted from articles,
    # which go back to a model only as delimited source text, never as its own earlier turn.
    mode: Literal["llm", "extractive"] = "extractive"
    # The articles this turn's answer cited: a follow-up searches them again beside fresh retrieval.
    article_ids: tuple[str, ...] = ()


class IndexProgress(Frozen):
    total: int
    done: int
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    current: str = ""


class Failure(Frozen):
    origin: str  # file[:line], feed or URL
    reason: str  # short, human readable: "timeout", "too large", "refused address", "parse error: ..."


class IndexReport(Frozen):
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    merged_duplicates: int = 0
    chunks_embedded: int = 0
    failures: tuple[Failure, ...] = ()
    seconds: float = 0.0


class IndexStats(Frozen):
    articles: int
    chunks: int
    outlets: tuple[tuple[str, int], ...] = ()
    newest: tuple[Article, ...] = ()
    last_indexed: datetime | None = None
    embedder: str = ""
    generation: str = ""  # the live index generation: admin detail only
