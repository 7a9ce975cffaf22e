"""Pure rendering of what is indexed and of a re-index: `/sources`, `/reindex` progress and report,
autocomplete choices. Host paths never appear: a folder's file is "a file in a folder source"."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.render.messages import ANSWER_COLOUR, MAX_CONTENT_CHARS, MAX_FIELD_VALUE_CHARS, MAX_FOOTER_CHARS
from bot.render.safe import safe_line, wrapped_link
from bot.render.text_split import truncate
from retrieval.models import Article, IndexProgress, IndexReport, IndexStats
from retrieval.text.sanitise import safe_url

LOCAL_FILE_ORIGIN = "a file in a folder source"  # what a /reindex report says instead of a host path


def render_index_progress(progress: IndexProgress) -> str:
    line = (
        f"🔄 Re-indexing: {progress.done} of {progress.total} articles done · "
        f"{progress.added} added · {progress.updated} updated · "
        f"{progress.unchanged} unchanged (skipped) · {progress.failed} failed"
    )
    if progress.current:
        line += f"\nNow: {discord.utils.escape_markdown(safe_line(progress.current, limit=200))}"
    return truncate(line, MAX_CONTENT_CHARS)


def render_index_report(report: IndexReport) -> str:
    lines = [
        f"✅ Re-index finished in {report.seconds:.1f} s: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.removed} removed, "
        f"{len(report.failures)} failed, {report.chunks_embedded} chunks embedded."
    ]
    for failure in report.failures[:10]:
        lines.append(f"• {_origin(failure.origin)}: {safe_line(failure.reason, limit=150)}")
    if len(report.failures) > 10:
        lines.append(f"…and {len(report.failures) - 10} more failures (see the log).")
    return truncate("\n".join(lines), MAX_CONTENT_CHARS)


def _origin(origin: str) -> str:
    """A failing source. A valid URL is shown without its scheme: in this public message a hostile feed's
    entry link is never clickable and cannot break out of brackets. Anything else is a path on the
    bot's host (a folder source's file), which Discord is never shown."""
    if len(origin) <= 150 and safe_url(origin):
        return discord.utils.escape_markdown(safe_line(origin.split("://", 1)[1].removeprefix("www.")))
    return LOCAL_FILE_ORIGIN


def render_stats(stats: IndexStats, *, query: str | None = None) -> discord.Embed:
    """What is indexed: counts, outlets, newest articles, last index time."""
    last = stats.last_indexed.strftime("%Y-%m-%d %H:%M UTC") if stats.last_indexed else "never"
    embed = discord.Embed(
        title="Indexed sources",
        description=f"**{stats.articles}** articles · **{stats.chunks}** chunks · last indexed {last}",
        colour=ANSWER_COLOUR,
    )
    outlets = stats.outlets
    newest = stats.newest
    if query:
        needle = query.casefold()
        outlets = tuple(o for o in outlets if needle in o[0].casefold())
        newest = tuple(a for a in newest if needle in a.title.casefold() or needle in a.outlet.casefold())
    if outlets:
        value = "\n".join(f"{discord.utils.escape_markdown(safe_line(name))}: {count}" for name, count in outlets[:20])
        embed.add_field(name="Outlets", value=truncate(value, MAX_FIELD_VALUE_CHARS), inline=False)
    if newest:
        value = "\n".join(_newest_line(a) for a in newest)
        embed.add_field(name="Newest", value=truncate(value, MAX_FIELD_VALUE_CHARS), inline=False)
    if query and not outlets and not newest:
        embed.add_field(name="No match", value=truncate(f"Nothing listed matches “{safe_line(query)}”.", 200))
    if stats.embedder:
        embed.set_footer(text=truncate(f"Embedder: {safe_line(stats.embedder)}", MAX_FOOTER_CHARS))
    return embed


def _newest_line(article: Article) -> str:
    line = f"**{discord.utils.escape_markdown(safe_line(article.title, limit=120))}**"
    line += f" · {discord.utils.escape_markdown(safe_line(article.outlet))}"
    if article.published:
        line += f", {article.published.isoformat()}"
    link = wrapped_link(article.url)
    return line + (f" · {link}" if link else "")


def autocomplete_choices(options: Sequence[str], typed: str, limit: int = 25) -> list[str]:
    """Outlet/title choices containing what was typed (Discord allows 25, each ≤ 100 chars)."""
    needle = typed.casefold().strip()
    matches = [o for o in options if needle in o.casefold()] if needle else list(options)
    return [truncate(safe_line(o, limit=200), 100) for o in matches[:limit]]
