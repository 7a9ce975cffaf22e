"""Pure rendering of what is indexed and of a re-index: `/sources`, `/reindex` progress and report,
autocomplete choices. Written for readers: articles and outlets, not chunks, embedders or generations
(those go in the admin-only detail). Host paths never appear: a folder's file is "a file in a folder source"."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.render.messages import ANSWER_COLOUR, MAX_CONTENT_CHARS, MAX_FIELD_VALUE_CHARS
from bot.render.progress import progress_bar
from bot.render.safe import masked_link, safe_line
from bot.render.text_split import truncate, whole_lines
from retrieval.index.listing import ArticleMatches
from retrieval.models import Article, IndexProgress, IndexReport, IndexStats
from retrieval.text.sanitise import safe_url

LOCAL_FILE_ORIGIN = "a file in a folder source"  # what a /reindex report says instead of a host path
OUTLETS_SHOWN = 10
FAILURES_SHOWN = 10
MAX_TITLE_SHOWN_CHARS = 120
MAX_LIST_CHARS = 3000  # an article list, in the embed description (Discord allows 4,096)
DETAIL_ADMIN_ONLY_MESSAGE = "Only members with the Manage Server permission can see the index detail."
QUERY_HINT = "Try a word from a title, an outlet or a site, like “cnn” or “usatoday.com”."
FOOTER_HINT = "/sources query: lists the articles whose title, outlet or site has your words."


# --- /reindex ----------------------------------------------------------------------------------
def render_index_progress(progress: IndexProgress) -> str:
    """Edited into the command's message while the re-index runs: a bar, a percentage, plain counts."""
    if progress.total <= 0:
        return "🔄 Re-indexing: looking for articles…"
    lines = [
        f"🔄 Re-indexing: {progress.done} of {progress.total} articles done",
        progress_bar(progress.done, progress.total),
        f"{progress.added} added · {progress.updated} updated · {progress.unchanged} unchanged · "
        f"{progress.failed} failed",
    ]
    if progress.current:
        lines.append(f"Now: {_plain(progress.current, limit=200)}")
    return truncate("\n".join(lines), MAX_CONTENT_CHARS)


def render_index_report(report: IndexReport) -> str:
    """The last word: what changed, and which sources could not be read (never a path on the host)."""
    lines = [
        f"✅ Re-index finished in {_duration(report.seconds)}: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.removed} removed, {len(report.failures)} failed."
    ]
    if report.merged_duplicates:
        lines.append(f"{report.merged_duplicates} copies of the same story were merged.")
    if report.failures:
        lines.append("Could not be read:")
    for failure in report.failures[:FAILURES_SHOWN]:
        lines.append(f"• {_origin(failure.origin)}: {safe_line(failure.reason, limit=150)}")
    if len(report.failures) > FAILURES_SHOWN:
        lines.append(f"…and {len(report.failures) - FAILURES_SHOWN} more failures (see the log).")
    return truncate("\n".join(lines), MAX_CONTENT_CHARS)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _origin(origin: str) -> str:
    """A failing source. A valid URL is shown without its scheme: in this public message a hostile feed's
    entry link is never clickable and cannot break out of brackets. Anything else is a path on the
    bot's host (a folder source's file), which Discord is never shown."""
    if len(origin) <= 150 and safe_url(origin):
        return discord.utils.escape_markdown(safe_line(origin.split("://", 1)[1].removeprefix("www.")))
    return LOCAL_FILE_ORIGIN


# --- /sources ----------------------------------------------------------------------------------
def render_stats(stats: IndexStats, *, detail: bool = False) -> discord.Embed:
    """What is indexed, for anyone: articles, outlets, the newest articles as links. `detail` (admins
    only; the handler checks) adds the index's internals."""
    description = _summary(stats)
    if stats.newest:  # in the description, which has room for every entry's whole link
        lines = [article_line(a) for a in stats.newest]
        description += "\n\n**Newest articles**\n" + whole_lines(lines, MAX_LIST_CHARS)
    embed = discord.Embed(title="Indexed news", description=description, colour=ANSWER_COLOUR)
    if stats.outlets:
        lines = [f"{_plain(name)} · {_articles(count)}" for name, count in stats.outlets]
        value = whole_lines(lines[:OUTLETS_SHOWN], MAX_FIELD_VALUE_CHARS)
        if len(lines) > OUTLETS_SHOWN:
            value += f"\n…and {len(lines) - OUTLETS_SHOWN} more outlets"
        embed.add_field(name="Outlets", value=value, inline=False)
    if detail:
        embed.add_field(name="Index detail (admins)", value=_detail(stats), inline=False)
    embed.set_footer(text=FOOTER_HINT)
    return embed


def _summary(stats: IndexStats) -> str:
    if not stats.articles:
        return "Nothing is indexed yet. A server admin can add feeds with `/source add` and run `/reindex`."
    last = stats.last_indexed.strftime("%Y-%m-%d %H:%M UTC") if stats.last_indexed else "never"
    outlets = len(stats.outlets)
    return (
        f"**{_articles(stats.articles)}** from **{outlets} outlet{'s' if outlets != 1 else ''}**"
        f" · last updated {last}"
    )


def _detail(stats: IndexStats) -> str:
    parts = [f"{stats.chunks} chunks (searchable passages)"]
    if stats.embedder:
        parts.append(f"embedder `{safe_line(stats.embedder, limit=100).replace('`', '')}`")
    if stats.generation:
        parts.append(f"generation `{safe_line(stats.generation, limit=100).replace('`', '')}`")
    return truncate(" · ".join(parts), MAX_FIELD_VALUE_CHARS)


def render_matches(matches: ArticleMatches) -> discord.Embed:
    """`/sources query:`: the newest matching articles as links, or a plain "none match"."""
    query = _plain(matches.query, limit=100)
    embed = discord.Embed(title=truncate(f"Articles matching “{query}”", 256), colour=ANSWER_COLOUR)
    if not matches.articles:
        embed.description = f"No indexed article matches “{query}”.\n{QUERY_HINT}"
        return embed
    shown = len(matches.articles)
    head = f"**{_articles(matches.total)}** match" + ("es" if matches.total == 1 else "")
    if matches.total > shown:
        head += f"; the newest {shown} are listed"
    lines = [article_line(a) for a in matches.articles]
    embed.description = head + ".\n" + whole_lines(lines, MAX_LIST_CHARS)
    return embed


def article_line(article: Article) -> str:
    """`[Title](url) · Outlet · 2024-06-19`: a masked link (the title alone if the URL is not safe)."""
    title = masked_link(article.title or "Untitled", article.url, limit=MAX_TITLE_SHOWN_CHARS)
    line = f"{title} · {_plain(article.outlet)}"
    return line + (f" · {article.published.isoformat()}" if article.published else "")


def _articles(count: int) -> str:
    return f"{count} article{'s' if count != 1 else ''}"


def _plain(text: str, *, limit: int = 300) -> str:
    return discord.utils.escape_markdown(safe_line(text, limit=limit))


def autocomplete_choices(options: Sequence[str], typed: str, limit: int = 25) -> list[str]:
    """Outlet/title choices containing what was typed (Discord allows 25, each ≤ 100 chars)."""
    needle = typed.casefold().strip()
    matches = [o for o in options if needle in o.casefold()] if needle else list(options)
    return [truncate(safe_line(o, limit=200), 100) for o in matches[:limit]]
