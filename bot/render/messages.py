"""Pure rendering: service models in, Discord-sized messages out. Every Discord limit lives here.

Text is cut to a limit by `bot.render.text_split`.

Nothing in this module talks to Discord; it only builds strings and `discord.Embed` objects, so
the limits (2,000-char content, 4,096-char descriptions, 25 fields, 6,000 chars per message) are
tested without a bot. Every piece of article-, feed- or model-derived text goes through `safe`
or `safe_line` (the one sanitiser, `retrieval.text.sanitise`, plus mention neutralising) and every URL the
bot shows through `safe_url`, so article text never speaks as the bot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import discord

from bot.render.safe import masked_link, neutralise_mentions, safe, safe_line
from bot.render.text_split import split_text, truncate
from bot.render.timestamps import discord_date
from retrieval.answer.numbering import SourceNumbering
from retrieval.claims.disagreements import NOTICE_PREFIX
from retrieval.models import (
    Answer,
    Citation,
    ScoredChunk,
)
from retrieval.text.markers import marker
from retrieval.text.sanitise import sanitise_line

MAX_CONTENT_CHARS = 2000
MAX_EMBED_DESCRIPTION_CHARS = 4096
MAX_EMBED_TITLE_CHARS = 256
MAX_EMBED_FIELDS = 25
MAX_FIELD_NAME_CHARS = 256
MAX_FIELD_VALUE_CHARS = 1024
MAX_FOOTER_CHARS = 2048
MAX_EMBED_TOTAL_CHARS = 6000  # per message: the sum over all its embeds
MAX_EMBEDS_PER_MESSAGE = 10
MAX_SOURCE_TITLE_CHARS = 180
MAX_ERROR_CHARS = 300
MAX_DISAGREEMENTS_SHOWN = 5

ANSWER_COLOUR = discord.Colour.blurple()
REFUSAL_COLOUR = discord.Colour.orange()
SOURCES_TITLE = "Sources"
NO_ANSWER_TEXT = "Nothing in the indexed sources answers this question."
LLM_ANSWER_FOOTER = "LLM answer"  # footer line of a model-written answer; conversations read it back


@dataclass(frozen=True)
class RenderedMessage:
    """One Discord message: content plus embeds, already within every limit."""

    content: str = ""
    embeds: list[discord.Embed] = field(default_factory=list)


# --- answers ---------------------------------------------------------------------------------


def render_answer(answer: Answer, *, notes: Sequence[str] = ()) -> list[RenderedMessage]:
    """The final answer: text embeds with `[n]` markers, then the numbered source list."""
    if answer.refused:
        return pack_embeds([_refusal_embed(answer, notes)])
    allowed = [c.url for c in answer.citations]
    embeds = _text_embeds(safe(answer.text, allowed) or NO_ANSWER_TEXT, title=safe_line(answer.question))
    embeds.extend(_source_embeds(answer.citations))
    if NOTICE_PREFIX not in answer.text:  # the notice is shown once: in the text when it is there
        _add_disagreements(embeds[0], answer, allowed)
    footer = _footer(answer, notes)
    if footer:
        embeds[-1].set_footer(text=truncate(footer, MAX_FOOTER_CHARS))
    return pack_embeds(embeds)


def _refusal_embed(answer: Answer, notes: Sequence[str]) -> discord.Embed:
    text = safe(answer.text).strip() or NO_ANSWER_TEXT
    embed = discord.Embed(
        title=truncate(safe_line(answer.question) or "No answer", MAX_EMBED_TITLE_CHARS),
        description=truncate(text, MAX_EMBED_DESCRIPTION_CHARS),
        colour=REFUSAL_COLOUR,
    )
    footer = _footer(answer, notes)
    if footer:
        embed.set_footer(text=truncate(footer, MAX_FOOTER_CHARS))
    return embed


def _text_embeds(text: str, *, title: str) -> list[discord.Embed]:
    """The answer text over as many embeds as it needs; only the first carries the question."""
    budget = MAX_EMBED_DESCRIPTION_CHARS
    pieces = [p for p in split_text(text.strip(), budget) if p.strip()] or [NO_ANSWER_TEXT]
    embeds = []
    for i, piece in enumerate(pieces):
        embed = discord.Embed(description=piece, colour=ANSWER_COLOUR)
        if i == 0 and title:
            embed.title = truncate(title, MAX_EMBED_TITLE_CHARS)
        embeds.append(embed)
    return embeds


def source_line(citation: Citation) -> str:
    """`[n] [Title](url) · Outlet, <t:…:D>` (a Discord timestamp): the title is the link (an embed never
    unfurls it), so a long URL never fills the box; a URL `safe_url` refuses leaves the title in bold, unlinked."""
    title = truncate(safe_line(citation.title) or "Untitled", MAX_SOURCE_TITLE_CHARS)
    link = masked_link(title, citation.url, limit=MAX_SOURCE_TITLE_CHARS)
    shown = link if link.startswith("[") else f"**{link}**"
    about = discord.utils.escape_markdown(safe_line(citation.outlet))
    if citation.published:
        day = discord_date(citation.published)
        about = f"{about}, {day}" if about else day
    return " · ".join(part for part in (f"{marker(citation.n)} {shown}", about) if part)


def source_list(citations: Sequence[Citation]) -> str:
    return "\n".join(source_line(c) for c in sorted(citations, key=lambda c: c.n))


def _source_embeds(citations: Sequence[Citation]) -> list[discord.Embed]:
    if not citations:
        return []
    pieces = split_text(source_list(citations), MAX_EMBED_DESCRIPTION_CHARS)
    embeds = []
    for i, piece in enumerate(pieces):
        title = SOURCES_TITLE if i == 0 else f"{SOURCES_TITLE} (continued)"
        embeds.append(discord.Embed(title=title, description=piece.strip(), colour=ANSWER_COLOUR))
    return embeds


def _add_disagreements(embed: discord.Embed, answer: Answer, allowed: Sequence[str | None]) -> None:
    """Sources that disagree, as fields of the first embed (kept small to respect the total)."""
    for item in answer.disagreements[:MAX_DISAGREEMENTS_SHOWN]:
        sides = "\n".join(
            f"• {safe(text, allowed, limit=MAX_FIELD_VALUE_CHARS)} " + "".join(f"[{n}]" for n in numbers)
            for text, numbers in item.sides
        )
        topic = safe_line(item.topic)
        if len(embed) + len(sides) + len(topic) > MAX_EMBED_TOTAL_CHARS - 500:
            return
        embed.add_field(
            name=truncate(f"Sources disagree: {topic}", MAX_FIELD_NAME_CHARS),
            value=truncate(sides or "-", MAX_FIELD_VALUE_CHARS),
            inline=False,
        )


def _footer(answer: Answer, notes: Sequence[str]) -> str:
    lines = [safe(note) for note in notes]
    if answer.note:
        lines.append(safe(answer.note))
    if answer.unsupported:
        lines.append(f"{len(answer.unsupported)} sentence(s) lost their citation: no source supported them.")
    if not answer.refused:
        lines.append(LLM_ANSWER_FOOTER if answer.mode == "llm" else "Extractive answer (quoted from the sources)")
    return "\n".join(lines)


def pack_embeds(embeds: Sequence[discord.Embed]) -> list[RenderedMessage]:
    """Group embeds into messages: at most 10 per message and 6,000 chars in total."""
    messages: list[RenderedMessage] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        length = len(embed)
        if current and (size + length > MAX_EMBED_TOTAL_CHARS or len(current) >= MAX_EMBEDS_PER_MESSAGE):
            messages.append(RenderedMessage(embeds=current))
            current, size = [], 0
        current.append(embed)
        size += length
    if current:
        messages.append(RenderedMessage(embeds=current))
    return messages


# --- streaming and status --------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """What an answer looks like while it is being written: the sources found, then the text so far."""

    text: str = ""
    sources: tuple[str, ...] = ()


MAX_PREVIEW_SOURCES = 6


def preview_sources(chunks: Sequence[ScoredChunk]) -> tuple[str, ...]:
    """One line per retrieved article (best first): `[n] Title · Outlet, date`, n the number the
    streamed text cites it by (and the final answer too)."""
    lines: list[str] = []
    for article in SourceNumbering.of(chunks).articles[:MAX_PREVIEW_SOURCES]:
        chunk = article.chunks[0]
        title = discord.utils.escape_markdown(sanitise_line(chunk.title, max_chars=100))
        line = f"{marker(article.n)} {title} · {discord.utils.escape_markdown(sanitise_line(chunk.outlet))}"
        day = f", {discord_date(chunk.published)}" if chunk.published else ""
        lines.append(line + day)  # mentions: render_partial
    return tuple(lines)


def render_partial(preview: Preview | str) -> str:
    """The answer in progress as message content: sources first (as Perplexica does), then the text."""
    if isinstance(preview, str):
        preview = Preview(text=preview)
    suffix = "\n\n*…writing*"
    head = ""
    if preview.sources:
        lines = "\n".join(f"• {line}" for line in preview.sources)
        head = truncate(neutralise_mentions(f"**Reading:**\n{lines}"), MAX_CONTENT_CHARS // 2) + "\n\n"
    # No links while streaming: the sources are not mapped yet, and content links would unfurl.
    body = safe(preview.text, limit=MAX_CONTENT_CHARS) or "*Reading the sources…*"
    body = truncate(body, MAX_CONTENT_CHARS - len(head) - len(suffix))
    return head + body + suffix


def render_error(message: str) -> str:
    """One short line for the user; never a traceback."""
    first_line = (safe(message).strip().splitlines() or ["Something went wrong."])[0]
    return "⚠️ " + truncate(first_line, MAX_ERROR_CHARS)


def render_wait_notice(position: int) -> str:
    return truncate(
        f"⏳ Busy right now: your question is number {position} in the queue. The answer will follow here.",
        MAX_CONTENT_CHARS,
    )


def render_trim_note(kept_turns: int, dropped_turns: int) -> str:
    return (
        f"This conversation is long: the {dropped_turns} oldest exchange(s) were left out; "
        f"the answer uses the last {kept_turns}."
    )


