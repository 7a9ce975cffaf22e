"""Discord's side of the one sanitiser: article-, feed- and model-derived text as the bot may show it.

`retrieval.text.sanitise` removes foreign links, controls and escapes; this adds what only Discord needs:
mentions shown as text, and a bot-shown URL wrapped in `<…>` only once `safe_url` accepts it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import discord

from bot.render.text_split import truncate
from retrieval.text.sanitise import MAX_SAFE_TEXT_CHARS, safe_url, sanitise, sanitise_line

THREAD_NAME_CHARS = 100  # Discord's limit for a thread name
MAX_LINE_SAFE_CHARS = 300
_COMMAND_MENTION = re.compile(r"</(?=[\w -]{1,100}:\d)")


def neutralise_mentions(text: str) -> str:
    """`@everyone`, `@here`, `<@id>`, `<@&id>` and clickable `</command:id>` shown as text, never live."""
    return _COMMAND_MENTION.sub("<\u200b/", discord.utils.escape_mentions(text))


def safe(text: str | None, allowed_urls: Iterable[str | None] = (), *, limit: int = MAX_SAFE_TEXT_CHARS) -> str:
    """Article-derived text as Discord may show it: sanitised, links only to `allowed_urls`' hosts, no pings."""
    return neutralise_mentions(sanitise(text, allowed_urls, max_chars=limit))


def safe_line(text: str | None, *, limit: int = MAX_LINE_SAFE_CHARS) -> str:
    """`safe` on one line with no link at all: titles, outlet names, thread names, failure lines."""
    return neutralise_mentions(sanitise_line(text, max_chars=limit))


def thread_name(question: str) -> str:
    return truncate(safe_line(question, limit=THREAD_NAME_CHARS * 2) or "Follow-up", THREAD_NAME_CHARS)


def wrapped_link(url: str | None) -> str:
    """`<url>` (no unfurl) for a URL that cannot break out of its brackets; "" for any other."""
    checked = safe_url(url)
    return f"<{checked}>" if checked else ""


def masked_link(label: str | None, url: str | None, *, limit: int = MAX_LINE_SAFE_CHARS) -> str:
    """`[label](url)` for a URL `safe_url` accepts, else the label alone. The label is `safe_line` text
    with its brackets made round, so it cannot close the link early or fake a second one. Embeds never
    unfurl a link."""
    shown = discord.utils.escape_markdown(safe_line(label, limit=limit)).replace("[", "(").replace("]", ")")
    checked = safe_url(url)
    if not checked or not shown:
        return shown
    target = checked.replace("(", "%28").replace(")", "%29")  # a bare `)` would end the link early
    return f"[{shown}]({target})"
