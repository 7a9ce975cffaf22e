"""Issue 10, property: for any article text, no output carries a clickable link to a host other than the
cited articles' own, a live mention, a bidi control or an escape sequence.

Every renderer the bot and the command line use is fed the same hostile text in every article-derived
field (body, title, outlet, headline, summary, key point, claim, side, failure line). The checks below
do not use the sanitiser: they read the output the way Discord and a terminal would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import format_answer
from bot.render import messages as render
from bot.render import status
from bot.render.brief import render_brief, render_story_disagreements, render_story_sources
from bot.render.messages import RenderedMessage
from bot.render.safe import thread_name
from retrieval.brief.models import Brief, BriefSource, ContradictionSide, KeyPoint, Story, StoryContradiction
from retrieval.index.listing import ArticleMatches
from retrieval.models import (
    Answer,
    Article,
    Chunk,
    Citation,
    Disagreement,
    Failure,
    IndexProgress,
    IndexReport,
    IndexStats,
    ScoredChunk,
)

CITED_HOST = "news.example"
CITED = f"https://{CITED_HOST}/2024/06/story"
BREAKOUT = f"https://{CITED_HOST}/a> [official notice](https://evil.example/x) <b"  # a feed's hostile link

HOSTILE = [
    "[official notice](https://evil.example/n)", "[[2]](https://elsewhere.example)", "[[1]](<https://x.example>)",
    "<https://evil.example/w>", "https://evil.example/p", "http://[2001:db8::1]/", "http://[::ffff:10.0.0.1]/",
    "https://news.example@evil.example/", "https://evil.example\\@news.example/", "HTTPS://EVIL.EXAMPLE./",
    "https://bücher.example/", "https://evil。example/", "www.evil.example", "//evil.example/x", "hxxp://evil.example",
    "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "\x1b[2J\x1b[H", "\x9b31m", "\x9d8;;https://e.example\x07",
    "\x07\x08\x00\r", "\u202e", "\u2066", "\u2069", "\u200f", "\u200b", "\ufeff", "\U000e0041",
    "@everyone", "@here", "<@123456789012345678>", "<@!123456789012345678>", "<@&123456789012345678>",
    "</reindex:123456789012345678>", "](", "[", "]", "(", ")", "<", ">", "\\", "*", "_", "`", "|", "\n", " ",
    f"https://{CITED_HOST}/fine", f"[ok](https://{CITED_HOST}/fine)", "[1]", "[/bold]", "[red]",
]
HOSTILE_TEXT = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=12), min_size=1, max_size=30).map("".join)

# Read as Discord reads it: anything `scheme://` or `//host` or `www.host` is clickable; its host must be ours.
_AUTHORITY = re.compile(r"(?i)(?:[a-z][a-z0-9+.\-]*:)?//([\w\[%][^\s/?#<>()]*)|(?<![\w./@-])www\.([^\s/?#<>()]+)")
_LIVE_MENTION = re.compile(r"@(?:everyone|here)|<@[!&]?\d+>|</[\w -]+:\d+>")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def assert_safe(text: str, where: str, *, terminal: bool = False) -> None:
    """No foreign link, bidi control or control character; on Discord also no live mention."""
    for match in _AUTHORITY.finditer(text):
        host = match.group(1) if match.group(1) is not None else "www." + match.group(2)
        assert host.lower().rstrip(".") in (CITED_HOST, f"www.{CITED_HOST}"), (where, host, text)
    assert terminal or not _LIVE_MENTION.search(text), (where, text)
    assert not _BIDI.search(text), (where, text)
    assert not _CONTROL.search(text), (where, text)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def assert_message_safe(message: RenderedMessage, where: str) -> None:
    assert_safe(message.content, where)
    for embed in message.embeds:
        for text in strings(embed.to_dict()):
            assert_safe(text, where)


def citation(n: int, text: str, url: str | None = CITED) -> Citation:
    return Citation(n=n, article_id=f"a{n}", chunk_id=f"a{n}:0", title=text or "t", url=url,
                    published=date(2024, 6, 19), outlet=text or "o", quote=text.strip() or "q")


def brief_of(text: str) -> Brief:
    one, two = citation(1, text), citation(2, text, BREAKOUT)
    story = Story(
        headline=text, summary=text or "s", summary_citations=(one,),
        key_points=(KeyPoint(text=text or "k", citations=(one, two)),),
        contradictions=(StoryContradiction(claim=text or "c", sides=(
            ContradictionSide(says=text or "a", citations=(one,)),
            ContradictionSide(says=text or "b", citations=(two,)))),),
        coverage=2, outlets=(text or "o1", f"{text} 2"), single_source=False, article_ids=("a1", "a2"),
    )
    sources = (BriefSource(n=1, article_id="a1", title=text, url=CITED, outlet=text or "o", outlets=(text, "x")),
               BriefSource(n=2, article_id="a2", title=text, url=BREAKOUT, outlet=text or "o"))
    return Brief(as_of=datetime(2024, 6, 20, tzinfo=UTC), window_hours=24, topic=text, stories=(story,),
                 sources=sources, note=text)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(HOSTILE_TEXT)
def test_an_answer_and_its_preview_never_link_ping_or_escape(text: str) -> None:
    cites = (citation(1, text), citation(2, text, BREAKOUT))
    answer = Answer(question=text or "q", text=f"{text} [1] {text} [2]", citations=cites, note=text,
                    disagreements=(Disagreement(topic=text or "t", sides=((text, (1,)), (text, (2,)))),))
    for message in render.render_answer(answer, notes=(text,)):
        assert_message_safe(message, "answer")
    refused = Answer(question=text or "q", text=text, refused=True)
    for message in render.render_answer(refused):
        assert_message_safe(message, "refusal")
    chunk = Chunk(id="a1:0", article_id="a1", n=0, text=text or "t", title=text, url=CITED, outlet=text or "o")
    preview = render.Preview(text=text, sources=render.preview_sources([ScoredChunk(chunk=chunk, score=1.0)]))
    assert_safe(render.render_partial(preview), "preview")
    assert_safe(render.render_partial(text), "preview text")
    assert_safe(format_answer(answer), "command line answer", terminal=True)


@FUZZ
@given(HOSTILE_TEXT)
def test_a_brief_and_its_buttons_never_link_ping_or_escape(text: str) -> None:
    brief = brief_of(text)
    for part in render_brief(brief):
        assert_message_safe(part.message, "brief")
    story = brief.stories[0]
    sources_reply = render_story_sources(story, brief.sources)
    assert_safe(sources_reply, "sources button")
    assert f"<{CITED}>" in sources_reply and "evil.example" not in sources_reply  # the breakout has no link
    assert_safe(render_story_disagreements(story, brief.sources), "disagreements button")


@FUZZ
@given(HOSTILE_TEXT)
def test_status_replies_never_link_ping_or_escape(text: str) -> None:
    article = Article(id="a1", title=text or "t", url=BREAKOUT, outlet=text or "o", text="x",
                      published=date(2024, 6, 1))
    stats = IndexStats(articles=1, chunks=1, outlets=((text or "o", 1),), newest=(article,), embedder=text)
    for value in strings(status.render_stats(stats).to_dict()):
        assert_safe(value, "/sources")
    for value in strings(status.render_stats(stats, detail=True).to_dict()):
        assert_safe(value, "/sources detail")
    linked = article.model_copy(update={"url": CITED})  # a hostile title inside a real masked link
    matches = ArticleMatches(query=text or "q", total=3, articles=(article, linked))
    for value in strings(status.render_matches(matches).to_dict()):
        assert_safe(value, "/sources query")
    failures = (Failure(origin=text or "o", reason=text or "r"), Failure(origin=BREAKOUT, reason=text))
    report = IndexReport(failures=failures)
    assert_safe(status.render_index_report(report), "/reindex report")
    assert_safe(status.render_index_progress(IndexProgress(total=2, done=1, current=text)), "/reindex progress")
    assert_safe(render.render_error(text), "error")
    assert_safe(thread_name(text), "thread name")
    for choice in status.autocomplete_choices([text or "x"], ""):
        assert_safe(choice, "autocomplete")


def test_the_fuzz_alphabet_is_hostile_enough_to_fail_without_the_sanitiser() -> None:
    """The checks catch the raw attacks (so the property above can fail)."""
    attacks = ("[x](https://evil.example)", "http://[2001:db8::1]/", "@everyone", "\u202e", "\x1b[2J",
               "www.evil.example")
    for attack in attacks:
        try:
            assert_safe(attack, "raw")
        except AssertionError:
            continue
        raise AssertionError(f"the check let {attack!r} through")


def test_a_hostile_source_url_never_becomes_a_masked_link() -> None:
    """Item 3: a feed entry's link cannot leave its `<…>` in the Sources embed, the Sources button or /reindex."""
    sources = render.source_list([citation(1, "Title", BREAKOUT)])
    report = status.render_index_report(IndexReport(failures=(Failure(origin=BREAKOUT, reason="timeout"),)))
    brief = brief_of("Title")
    button = render_story_sources(brief.stories[0], brief.sources)
    for text in (sources, report, button):
        assert "evil.example" not in text and "official notice" not in text, text
        assert "](" not in text, text
    assert sources == "[1] **Title** · Title, <t:1718798400:D>"  # shown without a link
    assert f"<{CITED}>" in button and button.count("<https://") == 1
