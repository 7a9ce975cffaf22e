"""Pure brief rendering: every Discord limit holds for any brief, and no key point loses its citation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render import messages as render
from bot.render.brief import (
    DISAGREEMENTS_HEADING,
    EMPTY_BRIEF_TEXT,
    KEY_POINTS_HEADING,
    NO_DISAGREEMENT_TEXT,
    BriefMessage,
    markers,
    render_brief,
    render_story_disagreements,
    render_story_sources,
    story_key,
)
from bot.render.safe import safe
from bot.render.timestamps import discord_date
from retrieval.brief.models import Brief, BriefSource, ContradictionSide, KeyPoint, Story, StoryContradiction
from retrieval.models import Citation

AS_OF = datetime(2024, 6, 20, 23, 59, 59, tzinfo=UTC)
TEXT = st.text(
    alphabet=st.sampled_from([*"abcdefghij KLMN.,;!?*_~`[]()<>@#\n\t", "é", "ü", "—", "👾", "1", "2"]),
    max_size=1500,
)


def cite(n: int) -> Citation:
    return Citation(n=n, article_id=f"a{n}", chunk_id=f"a{n}:0", title=f"Title {n}", outlet=f"Outlet {n}",
                    quote="a quoted sentence")


@st.composite
def briefs(draw: st.DrawFn) -> Brief:
    source_count = draw(st.integers(1, 24))
    sources = tuple(
        BriefSource(n=n, article_id=f"a{n}", title=draw(TEXT), url=draw(st.none() | st.just(f"https://x.org/{n}")),
                    published=date(2024, 6, 19), outlet=draw(st.text(min_size=1, max_size=80)))
        for n in range(1, source_count + 1)
    )
    citations = st.lists(st.integers(1, source_count), min_size=1, max_size=5, unique=True).map(
        lambda numbers: tuple(cite(n) for n in numbers))
    nonblank = TEXT.filter(lambda t: t.strip() != "") | st.just("x")
    stories = []
    for _ in range(draw(st.integers(0, 10))):
        outlets = tuple(draw(st.lists(st.text(min_size=1, max_size=60), min_size=1, max_size=6, unique=True)))
        stories.append(Story(
            headline=draw(TEXT), summary=draw(TEXT), summary_citations=draw(citations),
            key_points=tuple(KeyPoint(text=draw(nonblank), citations=draw(citations))
                             for _ in range(draw(st.integers(0, 8)))),
            contradictions=tuple(
                StoryContradiction(claim=draw(nonblank), sides=tuple(
                    ContradictionSide(says=draw(nonblank), citations=draw(citations))
                    for _ in range(draw(st.integers(1, 3)))))
                for _ in range(draw(st.integers(0, 4)))
            ),
            coverage=len(outlets), outlets=outlets, single_source=len(outlets) == 1,
            article_ids=tuple(f"a{n}" for n in sorted(set(draw(st.lists(st.integers(1, source_count), min_size=1))))),
        ))
    return Brief(as_of=AS_OF, window_hours=24, topic=draw(st.none() | TEXT), stories=tuple(stories), sources=sources,
                 note=draw(st.none() | TEXT))


def assert_within_limits(message: render.RenderedMessage) -> None:
    assert len(message.content) <= render.MAX_CONTENT_CHARS
    assert 1 <= len(message.embeds) <= render.MAX_EMBEDS_PER_MESSAGE
    assert sum(len(e) for e in message.embeds) <= render.MAX_EMBED_TOTAL_CHARS
    for embed in message.embeds:
        assert len(embed.title or "") <= render.MAX_EMBED_TITLE_CHARS
        assert 0 < len(embed.description or "") <= render.MAX_EMBED_DESCRIPTION_CHARS
        assert len(embed.footer.text or "") <= render.MAX_FOOTER_CHARS
        assert len(embed.fields) <= render.MAX_EMBED_FIELDS


def story_lines(messages: list[BriefMessage], brief: Brief) -> list[list[str]]:
    """Each story's description lines (stories are the messages after the header, ending at a keyed one)."""
    stories: list[list[str]] = []
    current: list[str] = []
    for part in messages[1:]:
        current += "\n".join(e.description or "" for e in part.message.embeds).split("\n")
        if part.story_key:
            stories.append(current)
            current = []
    assert not current and len(stories) == len(brief.stories)
    return stories


def body_of(line: str, prefix: str, citations: tuple[Citation, ...]) -> str:
    tail = " " + markers(citations)
    assert line.startswith(prefix) and line.endswith(tail), (line, prefix, tail)
    return line[len(prefix): -len(tail)]


def is_cut_from(body: str, text: str, citations: tuple[Citation, ...]) -> bool:
    """The rendered body is the sanitised text (links only to the cited sources' hosts), maybe cut."""
    full = " ".join(safe(text, [c.url for c in citations]).split())
    return body == full or (body.endswith("…") and full.startswith(body[:-1].rstrip()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(briefs())
def test_any_brief_renders_within_every_limit_and_keeps_every_citation(brief: Brief) -> None:
    messages = render_brief(brief)
    for part in messages:
        assert_within_limits(part.message)
    assert [p.story_key for p in messages if p.story_key] == [story_key(brief, s) for s in brief.stories]
    assert all(len(f"brief:disagreements:{p.story_key}") <= 100 for p in messages if p.story_key)

    for story, lines in zip(brief.stories, story_lines(messages, brief), strict=True):
        assert is_cut_from(body_of(lines[0], "", story.summary_citations), story.summary, story.summary_citations)
        if story.key_points:
            start = lines.index(KEY_POINTS_HEADING) + 1
            for point, line in zip(story.key_points, lines[start:start + len(story.key_points)], strict=True):
                assert is_cut_from(body_of(line, "• ", point.citations), point.text, point.citations)
        if story.contradictions:
            sides = [line for line in lines[lines.index(DISAGREEMENTS_HEADING):] if line.startswith("  ◦ ")]
            expected = [side for item in story.contradictions for side in item.sides]
            assert len(sides) == len(expected)
            for side, line in zip(expected, sides, strict=True):
                assert is_cut_from(body_of(line, "  ◦ ", side.citations), side.says, side.citations)
        for reply in (render_story_sources(story, brief.sources), render_story_disagreements(story, brief.sources)):
            assert 0 < len(reply) <= render.MAX_CONTENT_CHARS


def small_story(**changes: object) -> Story:
    values: dict[str, object] = dict(
        headline="Putin visits North Korea", summary="Putin met Kim in Pyongyang.", summary_citations=(cite(1),),
        key_points=(KeyPoint(text="The visit is the first in 24 years.", citations=(cite(1), cite(2))),),
        coverage=2, outlets=("Outlet 1", "Outlet 2"), single_source=False, article_ids=("a1", "a2"),
    )
    values.update(changes)
    return Story.model_validate(values)


SOURCES = (
    BriefSource(n=1, article_id="a1", title="Putin in Pyongyang", url="https://example.org/a1", outlet="Outlet 1",
                published=date(2024, 6, 19)),
    BriefSource(n=2, article_id="a2", title="US warns", url="https://example.org/a2", outlet="Outlet 2",
                outlets=("Outlet 2", "Wire B")),
    BriefSource(n=3, article_id="a3", title="Other story", url="https://example.org/a3", outlet="Outlet 3"),
)


def test_a_story_embed_has_headline_points_legend_and_coverage() -> None:
    brief = Brief(as_of=AS_OF, window_hours=24, stories=(small_story(),), sources=SOURCES)
    header, story = render_brief(brief)
    assert header.story_key is None and header.message.embeds[0].title == "Brief · 2024-06-20"
    assert "1. **Putin visits North Korea** · 2 articles · 2 outlets" in (header.message.embeds[0].description
                                                                                 or "")
    (embed,) = story.message.embeds
    assert embed.title == "1. Putin visits North Korea"
    assert embed.description == (
        "Putin met Kim in Pyongyang. [1]\n\n**Key points**\n• The visit is the first in 24 years. [1][2]\n\n"
        "[1] Putin in Pyongyang · Outlet 1\n[2] US warns · Outlet 2"
    )
    assert embed.footer.text == "2 articles · 2 outlets"  # the story's real article count


def test_an_empty_window_says_so_plainly() -> None:
    (header,) = render_brief(Brief(as_of=AS_OF, window_hours=24, topic="budget"))
    embed = header.message.embeds[0]
    assert embed.description == EMPTY_BRIEF_TEXT
    assert embed.title == "Brief · 2024-06-20 · budget"


def test_the_window_is_said_as_a_person_would_and_an_empty_brief_names_the_newest_day() -> None:
    today = AS_OF.date()
    (header,) = render_brief(Brief(as_of=AS_OF, window_hours=24), today=today, newest_day=date(2024, 6, 2))
    embed = header.message.embeds[0]
    assert embed.title == "Brief · today, 2024-06-20"
    newest = "The newest articles are from 2024-06-02: try `/brief date:2024-06-02`."
    assert embed.description == f"{EMPTY_BRIEF_TEXT} {newest}"
    (week,) = render_brief(Brief(as_of=AS_OF, window_hours=72))
    assert week.message.embeds[0].title == "Brief · the last 3 days to 2024-06-20"
    assert "day(s)" not in week.message.embeds[0].title


def test_sources_reply_lists_only_the_storys_sources_with_unfurl_free_links() -> None:
    text = render_story_sources(small_story(), SOURCES)
    assert "<https://example.org/a1>" in text and "<https://example.org/a2>" in text
    assert "a3" not in text and "Other story" not in text
    assert "(also: Wire B)" in text and f"Outlet 1, {discord_date(date(2024, 6, 19))}" in text


def test_disagreements_reply_shows_each_side_with_its_citations_or_says_none() -> None:
    assert render_story_disagreements(small_story(), SOURCES) == NO_DISAGREEMENT_TEXT
    disputed = small_story(contradictions=(StoryContradiction(claim="Arms trade", sides=(
        ContradictionSide(says="The West says arms are traded.", citations=(cite(2),)),
        ContradictionSide(says="Moscow denies any arms trade.", citations=(cite(1),)),
    )),))
    text = render_story_disagreements(disputed, SOURCES)
    assert "**Arms trade**" in text
    assert "  ◦ Outlet 2: The West says arms are traded. [2]" in text
    assert "  ◦ Outlet 1: Moscow denies any arms trade. [1]" in text
    assert "<https://example.org/a1>" in text and "<https://example.org/a2>" in text
    embed = render_brief(Brief(as_of=AS_OF, window_hours=24, stories=(disputed,), sources=SOURCES))[1].message.embeds[0]
    assert embed.colour == discord.Colour.gold()
    assert "**Where the sources disagree**\n**Arms trade**\n  ◦ The West says arms are traded. [2]" in (
        embed.description or "")


def test_a_huge_story_spills_into_more_embeds_and_messages_with_buttons_on_the_last() -> None:
    points = tuple(KeyPoint(text=f"Point {i} " + "word " * 170, citations=(cite(1 + i % 2),)) for i in range(60))
    brief = Brief(as_of=AS_OF, window_hours=24, stories=(small_story(key_points=points),), sources=SOURCES)
    _header, *parts = render_brief(brief)
    assert len(parts) >= 2 and sum(len(p.message.embeds) for p in parts) >= 10
    assert [p.story_key is not None for p in parts] == [False] * (len(parts) - 1) + [True]
    for part in parts:
        assert_within_limits(part.message)
    text = "\n".join(e.description or "" for p in parts for e in p.message.embeds)
    assert all(f"• Point {i} " in text for i in range(60))
