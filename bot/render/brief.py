"""Pure rendering of a brief: a header, then one Discord message (or more) per story, every limit kept.

Every key point and every side of a disagreement is rendered on its own line ending with its `[n]`
markers; when a line must be shortened, its text is cut and its markers stay. The limits themselves
come from `bot.render.messages`. Every headline, summary, point, side, claim, title and outlet name goes
through the one sanitiser (`bot.render.safe`): a link survives only to a host of the line's own cited
sources, and the Sources entries link only URLs that `safe_url` accepts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import discord

from bot.render.messages import (
    ANSWER_COLOUR,
    MAX_CONTENT_CHARS,
    MAX_EMBED_DESCRIPTION_CHARS,
    MAX_EMBED_TITLE_CHARS,
    MAX_SOURCE_TITLE_CHARS,
    RenderedMessage,
    pack_embeds,
)
from bot.render.safe import safe, safe_line, wrapped_link
from bot.render.text_split import truncate
from bot.render.timestamps import discord_date
from retrieval.brief.models import Brief, BriefSource, Story, StoryContradiction
from retrieval.models import Citation
from retrieval.text.markers import markers as format_markers

MAX_LINE_CHARS = 900  # one key point or one side of a disagreement, markers included
MAX_HEADER_LINE_CHARS = 300
MAX_FOOTER_LINE_CHARS = 300
STORY_KEY_CHARS = 16  # hex; `brief:disagreements:{key}` stays far below Discord's 100-char custom_id
DISAGREEMENT_COLOUR = discord.Colour.gold()
KEY_POINTS_HEADING = "**Key points**"
DISAGREEMENTS_HEADING = "**Where the sources disagree**"
POINT_BULLET = "• "
SIDE_BULLET = "  ◦ "
EMPTY_BRIEF_TEXT = "No articles were published in this window, so there is nothing to brief."
NEWEST_DAY_TEXT = "The newest articles are from {day}: try `/brief date:{day}`."
HOURS_PER_DAY = 24
NO_DISAGREEMENT_TEXT = "No disagreement found among this story's sources."


@dataclass(frozen=True)
class BriefMessage:
    """One message of a rendered brief; `story_key` is set on the last message of each story (its buttons),
    `disputed` when that story has a disagreement (only then is there a Disagreements button)."""

    message: RenderedMessage
    story_key: str | None = None
    disputed: bool = False


def story_key(brief: Brief, story: Story) -> str:
    """A short stable id for a story of one brief: what a button's custom_id carries."""
    seed = "|".join([brief.as_of.isoformat(), brief.topic or "", *sorted(story.article_ids)])
    return hashlib.sha256(seed.encode()).hexdigest()[:STORY_KEY_CHARS]


def markers(citations: Sequence[Citation]) -> str:
    return format_markers(sorted({c.n for c in citations}))


def cited_line(prefix: str, text: str, citations: Sequence[Citation], limit: int = MAX_LINE_CHARS) -> str:
    """`prefix + text + markers` within `limit`: the text is shortened, never the markers."""
    tail = " " + markers(citations)
    room = max(1, limit - len(prefix) - len(tail))
    body = truncate(" ".join(safe(text, [c.url for c in citations], limit=limit * 2).split()), room)
    return prefix + body + tail


# --- the brief -----------------------------------------------------------------------------------


def window_words(hours: int, *, is_today: bool = False) -> str:
    """The window as a person says it: "today", "the last 6 hours", "the last 3 days"."""
    if hours == HOURS_PER_DAY:
        return "today" if is_today else ""
    if hours % HOURS_PER_DAY:
        return f"the last {hours} hours" if hours != 1 else "the last hour"
    return f"the last {hours // HOURS_PER_DAY} days"


def brief_title(brief: Brief, today: date | None = None) -> str:
    """ "Brief · today, 2024-06-19", "Brief · 2024-06-19", "Brief · the last 3 days to 2024-06-19 · budget"."""
    day = brief.as_of.date().isoformat()
    span = window_words(brief.window_hours, is_today=brief.as_of.date() == today)
    when = f"{span}, {day}" if span == "today" else f"{span} to {day}" if span else day
    topic = f" · {safe_line(brief.topic)}" if brief.topic else ""
    return truncate(f"Brief · {when}{topic}", MAX_EMBED_TITLE_CHARS)


def render_brief(brief: Brief, *, today: date | None = None, newest_day: date | None = None) -> list[BriefMessage]:
    """The header (stories at a glance), then each story's messages; buttons go on each story's last one.

    `newest_day` (for an empty brief) is the newest day that has articles, so the reader knows where to look.
    """
    messages = [BriefMessage(RenderedMessage(embeds=[_header_embed(brief, today, newest_day)]))]
    for number, story in enumerate(brief.stories, 1):
        parts = pack_embeds(story_embeds(story, number, brief.sources))
        key = story_key(brief, story)
        messages.extend(BriefMessage(part, key, bool(story.contradictions)) if i == len(parts) - 1
                        else BriefMessage(part) for i, part in enumerate(parts))
    return messages


def _header_embed(brief: Brief, today: date | None, newest_day: date | None) -> discord.Embed:
    if brief.stories:
        lines = [truncate(f"{n}. **{_plain(s.headline)}** · {coverage_line(s)}", MAX_HEADER_LINE_CHARS)
                 for n, s in enumerate(brief.stories, 1)]
        text = "\n".join(lines)
    else:
        text = EMPTY_BRIEF_TEXT
        if newest_day is not None and newest_day != brief.as_of.date():
            text += " " + NEWEST_DAY_TEXT.format(day=newest_day.isoformat())
    if brief.note:
        text = truncate(safe(brief.note), MAX_HEADER_LINE_CHARS) + "\n\n" + text
    embed = discord.Embed(
        title=brief_title(brief, today), description=truncate(text, MAX_EMBED_DESCRIPTION_CHARS), colour=ANSWER_COLOUR
    )
    mode = "LLM brief" if brief.mode == "llm" else "Extractive brief (quoted from the sources)"
    embed.set_footer(text=f"{mode} · every point cites its source [n]")
    return embed


def story_embeds(story: Story, number: int, sources: Sequence[BriefSource]) -> list[discord.Embed]:
    """The story's lines packed into embed descriptions; the first embed carries the headline."""
    lines = [cited_line("", story.summary, story.summary_citations)]
    if story.key_points:
        lines += ["", KEY_POINTS_HEADING]
        lines += [cited_line(POINT_BULLET, p.text, p.citations) for p in story.key_points]
    if story.contradictions:
        lines += ["", DISAGREEMENTS_HEADING]
        for item in story.contradictions:
            lines.append(_claim(item))
            lines += [cited_line(SIDE_BULLET, side.says, side.citations) for side in item.sides]
    sources = story.sources or sources
    legend = _legend(story, sources)
    if legend:
        lines += ["", *legend]
    embeds = [discord.Embed(description=d, colour=_colour(story)) for d in _pack_lines(lines)]
    embeds[0].title = truncate(f"{number}. {safe_line(story.headline) or 'Untitled story'}", MAX_EMBED_TITLE_CHARS)
    embeds[-1].set_footer(text=truncate(coverage_line(story), MAX_FOOTER_LINE_CHARS))
    return embeds


def _claim(item: StoryContradiction) -> str:
    allowed = [c.url for side in item.sides for c in side.citations]
    return truncate(f"**{' '.join(safe(item.claim, allowed, limit=MAX_LINE_CHARS * 2).split())}**", MAX_LINE_CHARS)


def _colour(story: Story) -> discord.Colour:
    return DISAGREEMENT_COLOUR if story.contradictions else ANSWER_COLOUR


def _legend(story: Story, sources: Sequence[BriefSource]) -> list[str]:
    """What the story's `[n]` point to (links are behind the Sources button)."""
    cited = {c.n for c in story.citations()}
    return [
        truncate(f"[{s.n}] {_plain(s.title)} · {_plain(s.outlet)}", MAX_LINE_CHARS)
        for s in sorted(sources, key=lambda s: s.n)
        if s.n in cited
    ]


def _pack_lines(lines: Sequence[str]) -> list[str]:
    """Whole lines into descriptions of at most 4,096 chars (each line is far shorter)."""
    pieces: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if current and len(candidate) > MAX_EMBED_DESCRIPTION_CHARS:
            pieces.append(current.strip("\n"))
            current = line
        else:
            current = candidate
    if current.strip() or not pieces:
        pieces.append(current.strip("\n") or "-")
    return pieces


def coverage_line(story: Story) -> str:
    """ "3 articles · USA Today" (one outlet) or "4 articles · 2 outlets": the story's real counts."""
    count = story.article_count
    articles = f"{count} article{'' if count == 1 else 's'}"
    if story.single_source:
        return f"{articles} · {_plain(story.outlets[0])}"
    return f"{articles} · {story.coverage} outlets"


def _plain(text: str | None) -> str:
    """One line of article-derived text, no links, no markdown: titles, headlines, outlet names."""
    return discord.utils.escape_markdown(truncate(safe_line(text, limit=MAX_SOURCE_TITLE_CHARS * 2),
                                                  MAX_SOURCE_TITLE_CHARS))


# --- the buttons' replies ------------------------------------------------------------------------


def source_entry(source: BriefSource) -> str:
    """`[n] **Title** · Outlet, <t:…:D> · <url>` (also reported by: …); `<>` stops unfurling."""
    parts = [f"[{source.n}] **{_plain(source.title) or 'Untitled'}**", _plain(source.outlet)]
    if source.published:
        parts[-1] += f", {discord_date(source.published)}"
    if link := wrapped_link(source.url):
        parts.append(link)
    line = " · ".join(parts)
    others = [_plain(o) for o in source.outlets if o != source.outlet]
    if others:
        line += f" (also: {', '.join(others)})"
    return line


def render_story_sources(story: Story, sources: Sequence[BriefSource]) -> str:
    """The story's sources with links, as one ephemeral message."""
    sources = story.sources or sources
    own = [s for s in sorted(sources, key=lambda s: s.n) if s.article_id in set(story.article_ids)]
    head = f"**Sources for “{_plain(story.headline)}”** ({coverage_line(story)})"
    return _bounded([head, *(truncate(source_entry(s), MAX_LINE_CHARS) for s in own)])


def render_story_disagreements(story: Story, sources: Sequence[BriefSource]) -> str:
    """Each disputed claim with each side and its citations, or a plain "none found"."""
    if not story.contradictions:
        return NO_DISAGREEMENT_TEXT
    by_n = {s.n: s for s in story.sources or sources}
    lines = [f"**Where the sources disagree on “{_plain(story.headline)}”**"]
    for item in story.contradictions:
        lines.append(_claim(item))
        for side in item.sides:
            who = sorted({_plain(by_n[c.n].outlet if c.n in by_n else c.outlet) for c in side.citations})
            lines.append(cited_line(SIDE_BULLET, f"{', '.join(who)}: {side.says}", side.citations, 500))
    cited = sorted({c.n for item in story.contradictions for side in item.sides for c in side.citations})
    lines += [truncate(source_entry(by_n[n]), 400) for n in cited if n in by_n]
    return _bounded(lines)


def _bounded(lines: Sequence[str]) -> str:
    """Whole lines up to Discord's 2,000-char content limit, saying how many were left out."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        left_out = f"\n…and {len(lines) - index} more line(s)."
        reserve = len(left_out) if index < len(lines) - 1 else 0
        if len("\n".join([*kept, line])) + reserve > MAX_CONTENT_CHARS:
            return "\n".join(kept) + left_out
        kept.append(line)
    return "\n".join(kept)
