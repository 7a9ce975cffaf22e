"""The pure rendering module: every Discord limit, no lost text, no cut citations."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render import messages as render
from bot.render import status
from bot.render.messages import (
    MAX_CONTENT_CHARS,
    MAX_EMBED_DESCRIPTION_CHARS,
    MAX_EMBED_FIELDS,
    MAX_EMBED_TOTAL_CHARS,
    MAX_EMBEDS_PER_MESSAGE,
    RenderedMessage,
)
from bot.render.safe import safe
from bot.render.text_split import CITATION, split_text
from bot.render.timestamps import discord_date
from retrieval.models import (
    Answer,
    Chunk,
    Citation,
    Disagreement,
    Failure,
    IndexProgress,
    IndexReport,
    ScoredChunk,
)

WORDS = st.sampled_from(
    [
        "Putin",
        "visited",
        "Pyongyang",
        "and",
        "the",
        "US",
        "said",
        "sanctions",
        "trade",
        "talks",
        "https://example.org/a-very-long-path",
        "x" * 60,
        "@everyone",
        "<@123>",
        "<@&456>",
        "—",
        "“quoted”",
    ]
)


def _citation(n: int) -> Citation:
    return Citation(
        n=n,
        article_id=f"a{n}",
        chunk_id=f"a{n}:0",
        title=f"Article number {n} about *markdown* and a long title " + "t" * (n * 3),
        url=f"https://news.example.org/{n}/" + "p" * 40,
        published=date(2024, 6, 1 + n % 28),
        outlet=f"Outlet {n % 7}",
    )


@st.composite
def cited_answer_text(draw: st.DrawFn, target_chars: int = 20_000, citations: int = 40) -> str:
    """About `target_chars` of sentences and paragraphs, with every `[n]` for n in 1..citations."""
    sentences = draw(st.lists(st.lists(WORDS, min_size=1, max_size=25).map(" ".join), min_size=3, max_size=12))
    rnd = draw(st.randoms(use_true_random=False))
    parts: list[str] = []
    size, n = 0, 1
    while size < target_chars:
        marker = ""
        if n <= citations or rnd.random() < 0.5:
            marker = rnd.choice([f" [{(n - 1) % citations + 1}]", f"[{(n - 1) % citations + 1}]"])
            n += 1
        end = rnd.choice([". ", "! ", "? ", ".\n\n", "\n", " ", "", ".[7] "])
        piece = rnd.choice(sentences) + marker + end
        parts.append(piece)
        size += len(piece)
    return "".join(parts)[:target_chars]


def _assert_within_limits(messages: list[RenderedMessage]) -> None:
    for message in messages:
        assert len(message.content) <= MAX_CONTENT_CHARS
        assert len(message.embeds) <= MAX_EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in message.embeds) <= MAX_EMBED_TOTAL_CHARS
        for embed in message.embeds:
            assert len(embed.description or "") <= MAX_EMBED_DESCRIPTION_CHARS
            assert len(embed.fields) <= MAX_EMBED_FIELDS
            assert len(embed.title or "") <= 256
            assert len(embed.footer.text or "") <= 2048
            for f in embed.fields:
                assert len(f.name or "") <= 256 and len(f.value or "") <= 1024


def _cut_positions(pieces: list[str]) -> list[int]:
    positions, at = [], 0
    for piece in pieces[:-1]:
        at += len(piece)
        positions.append(at)
    return positions


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(cited_answer_text())
def test_long_cited_answer_splits_within_every_limit_and_loses_no_text(text: str) -> None:
    answer = Answer(question="What happened? " * 30, text=text, citations=tuple(_citation(n) for n in range(1, 41)))
    messages = render.render_answer(answer, notes=["A note."])
    _assert_within_limits(messages)
    embeds = [e for m in messages for e in m.embeds]
    source_embeds = [e for e in embeds if (e.title or "").startswith(render.SOURCES_TITLE)]
    text_embeds = [e for e in embeds if e not in source_embeds]
    allowed = [c.url for c in answer.citations]
    assert "".join(e.description or "" for e in text_embeds) == safe(text, allowed).strip()  # nothing else lost
    listed = "\n".join(e.description or "" for e in source_embeds)
    assert [int(n) for n in re.findall(r"^\[(\d+)\]", listed, re.M)] == list(range(1, 41))
    sanitised = safe(text, allowed).strip()  # foreign links (example.org is not cited) are gone
    assert len(messages) >= -(-len(sanitised) // MAX_EMBED_TOTAL_CHARS)  # at most 6,000 chars a message


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab .\n[]0123456789!")), max_size=600),
    st.integers(min_value=1, max_value=120),
)
def test_split_text_is_lossless_and_never_cuts_a_citation(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert "".join(pieces) == text
    assert all(len(p) <= limit for p in pieces)
    spans = [(m.start(), m.end()) for m in CITATION.finditer(text)]
    for cut in _cut_positions(pieces):
        assert not any(start < cut < end and end - start <= limit for start, end in spans), (cut, spans)


def test_split_prefers_paragraphs_then_sentences() -> None:
    text = "First paragraph one. Still first [1].\n\nSecond paragraph here [2]. More words follow it."
    assert split_text(text, 60)[0] == "First paragraph one. Still first [1].\n\n"
    pieces = split_text("One sentence [1]. Two sentence [12]. Three words", 40)
    assert pieces[0] == "One sentence [1]. Two sentence [12]. "


def test_split_without_any_boundary_moves_the_cut_before_a_citation() -> None:
    text = "a" * 8 + "[123]" + "b" * 8
    pieces = split_text(text, 10)
    assert pieces[0] == "a" * 8
    assert pieces[1].startswith("[123]")


def test_answer_shows_text_then_a_numbered_source_list_of_masked_links() -> None:
    answer = Answer(
        question="Why did Putin visit?",
        text="He wanted allies [1]. The US worried [2].",
        citations=(_citation(1), _citation(2)),
        mode="llm",
    )
    (message,) = render.render_answer(answer)
    first, sources = message.embeds
    assert first.title == "Why did Putin visit?"
    assert first.description == answer.text
    assert sources.title == "Sources"
    lines = (sources.description or "").splitlines()
    # The title is the link (an embed never unfurls it); the bare URL is never shown as text.
    assert lines[0].startswith("[1] [Article number 1")
    assert "](https://news.example.org/1/" in lines[0] and " https://" not in lines[0] and "<https" not in lines[0]
    assert f"Outlet 1, {discord_date(date(2024, 6, 2))}" in lines[0]  # each reader's own time zone
    assert "\\*markdown\\*" in lines[0]  # titles cannot inject formatting
    assert lines[1].startswith("[2] ")


def test_refusal_says_plainly_that_the_sources_do_not_answer() -> None:
    (message,) = render.render_answer(Answer(question="Who won the 1950 World Cup?", text="", refused=True))
    (embed,) = message.embeds
    assert embed.description == render.NO_ANSWER_TEXT
    assert embed.colour == render.REFUSAL_COLOUR


def test_notes_disagreements_and_mode_end_up_in_the_embed() -> None:
    answer = Answer(
        question="q",
        text="Claims differ [1] [2].",
        citations=(_citation(1), _citation(2)),
        disagreements=(Disagreement(topic="arms trade", sides=(("denied", (1,)), ("alleged", (2,)))),),
        note="LLM unavailable, answered extractively",
    )
    messages = render.render_answer(answer, notes=[render.render_trim_note(6, 3)])
    embeds = messages[0].embeds
    assert embeds[0].fields[0].name == "Sources disagree: arms trade"
    assert "denied [1]" in (embeds[0].fields[0].value or "")
    footer = embeds[-1].footer.text or ""
    assert "3 oldest exchange(s) were left out" in footer
    assert "LLM unavailable" in footer and "Extractive answer" in footer


def test_partial_error_and_progress_texts_stay_short_and_neutralise_mentions() -> None:
    partial = render.render_partial("@everyone look " + "x" * 5000)
    assert len(partial) <= MAX_CONTENT_CHARS and "@everyone" not in partial
    error = render.render_error("Bad thing happened\nTraceback (most recent call last): secret")
    assert error == "⚠️ Bad thing happened"
    progress = status.render_index_progress(IndexProgress(total=10, done=4, unchanged=2, failed=1, current="x.txt"))
    assert "4 of 10 articles" in progress and "2 unchanged" in progress and "1 failed" in progress
    report = status.render_index_report(
        IndexReport(added=3, unchanged=2, failures=tuple(Failure(origin=f"f{i}", reason="bad") for i in range(15)))
    )
    assert len(report) <= MAX_CONTENT_CHARS and "and 5 more failures" in report


def test_autocomplete_choices() -> None:  # the /sources embeds: tests/bot/render/test_render_status.py
    assert status.autocomplete_choices(["Reuters", "AP", "x" * 300], "") == ["Reuters", "AP", "x" * 99 + "…"]
    assert status.autocomplete_choices(["Reuters", "AP"], "reu") == ["Reuters"]


def test_preview_shows_sources_first_then_the_text_within_the_content_limit() -> None:
    chunks = [
        ScoredChunk(
            chunk=Chunk(
                id=f"a{i % 3}:{i}",
                article_id=f"a{i % 3}",
                n=i,
                text="t",
                title=f"Title {i % 3} @here",
                outlet="Wire",
                published=date(2024, 6, 19),
            ),
            score=1.0,
        )
        for i in range(9)
    ]
    lines = render.preview_sources(chunks)
    assert lines == (
        f"[1] Title 0 @here · Wire, {discord_date(date(2024, 6, 19))}",
        f"[2] Title 1 @here · Wire, {discord_date(date(2024, 6, 19))}",
        f"[3] Title 2 @here · Wire, {discord_date(date(2024, 6, 19))}",
    )
    content = render.render_partial(render.Preview(text="So far [1] @everyone " + "y" * 3000, sources=lines))
    assert content.startswith("**Reading:**\n• [1] Title 0")
    assert content.index("Title 2") < content.index("So far [1]")
    assert len(content) <= MAX_CONTENT_CHARS and "@everyone" not in content and "@here" not in content
