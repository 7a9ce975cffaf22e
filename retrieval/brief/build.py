"""The brief: the window's articles grouped into stories, each with cited key points and disagreements.

Extractive by default (MMR over sentence embeddings for key points, `contradictions` for disagreements);
with a chat client each story is written by the LLM as JSON, validated citation by citation, and any
story whose output cannot be used falls back to the extractive one. Key points and contradictions that
an ingested briefing states are evidence: they are cited to that briefing, never stated as fact.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from retrieval.brief.boilerplate import BoilerplateModel, learnt_from
from retrieval.brief.extractive import extractive_story, split_sides
from retrieval.brief.llm import llm_story
from retrieval.brief.models import Brief, check_quotes
from retrieval.brief.stories import CachedEmbeddings, Numbering, group_stories, headline, in_window, on_topic
from retrieval.models import Article

if TYPE_CHECKING:
    from retrieval.llm import ChatClient

__all__ = [
    "CachedEmbeddings",
    "Numbering",
    "build_brief",
    "extractive_story",
    "group_stories",
    "headline",
    "in_window",
    "llm_story",
    "on_topic",
    "split_sides",
]

MAX_STORIES = 8


# --- the brief ---------------------------------------------------------------------------------------
def build_brief(
    articles: Sequence[Article],
    *,
    as_of: datetime,
    window_hours: int = 24,
    topic: str | None = None,
    embeddings: Embeddings,
    chat: ChatClient | None = None,
    boilerplate: BoilerplateModel | None = None,
) -> Brief:
    """The brief of the window before `as_of`: stories by coverage then recency, every point cited.

    Each story numbers its own sources from [1]. `boilerplate` is what the outlets repeat (learnt from
    the window's articles alone when not given): never a summary or a key point.
    """
    vectors = CachedEmbeddings(embeddings)
    chosen = in_window(articles, as_of, window_hours)
    if topic and topic.strip() and chosen:
        chosen = on_topic(chosen, topic.strip(), vectors)
    groups = group_stories(chosen, vectors)[:MAX_STORIES]
    furniture = boilerplate or learnt_from(chosen)
    stories, notes, used_llm, by_id = [], [], False, {}
    for group in groups:
        numbering = Numbering.of(group.articles)
        story = None
        if chat is not None:
            story, note = llm_story(group, numbering, chat)
            used_llm = used_llm or story is not None
            notes.extend([note] if note else [])
        story = story or extractive_story(group, numbering, vectors, furniture)
        stories.append(story.model_copy(update={"sources": numbering.sources()}))
        by_id.update(numbering.articles)
    brief = Brief(
        as_of=as_of, window_hours=window_hours, topic=topic, stories=tuple(stories),
        mode="llm" if used_llm else "extractive", note=" ".join(dict.fromkeys(notes)) or None,
    )
    broken = check_quotes(brief, by_id)
    if broken:
        raise ValueError(f"{len(broken)} citation quote(s) are not in their article")
    return brief
