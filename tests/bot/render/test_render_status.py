"""`/sources` and `/reindex` as a reader sees them: articles and outlets, whole linked entries, a bar."""

from __future__ import annotations

from datetime import date, datetime

from bot.render import status
from bot.render.progress import percent_done, progress_bar
from bot.render.text_split import whole_lines
from retrieval.index.listing import ArticleMatches
from retrieval.models import Article, Failure, IndexProgress, IndexReport, IndexStats


def _article(n: int, *, title: str = "", url: str | None = None, outlet: str = "CNN") -> Article:
    return Article(
        id=f"a{n}", title=title or f"Story number {n} about the harbour ferry and its fares",
        url=url if url is not None else f"https://www.cnn.com/2024/06/{n:02d}/story-{n}",
        outlet=outlet, text="t", published=date(2024, 6, 1 + n % 28),
    )


def _stats(newest: tuple[Article, ...] = (), outlets: int = 2) -> IndexStats:
    return IndexStats(
        articles=243, chunks=2431, outlets=tuple((f"Outlet {i}", 30 - i) for i in range(outlets)),
        newest=newest, last_indexed=datetime(2024, 6, 20, 8, 0), embedder="minilm-l6-v2-int8dq", generation="g3",
    )


def test_stats_speak_of_articles_and_outlets_not_chunks_or_embedders() -> None:
    embed = status.render_stats(_stats(newest=(_article(1),), outlets=3))
    shown = str(embed.to_dict())
    assert "**243 articles** from **3 outlets**" in (embed.description or "")
    assert "2024-06-20 08:00" in (embed.description or "")
    assert [f.name for f in embed.fields] == ["Outlets"]
    assert "**Newest articles**\n[Story number 1" in (embed.description or "")
    assert "Outlet 0 · 30 articles" in (embed.fields[0].value or "")
    for internal in ("chunk", "minilm", "mbedder", "generation", "g3"):
        assert internal not in shown, internal


def test_the_admin_detail_holds_the_internals() -> None:
    embed = status.render_stats(_stats(), detail=True)
    detail = embed.fields[-1]
    assert detail.name == "Index detail (admins)"
    assert "2431 chunks" in (detail.value or "") and "minilm-l6-v2-int8dq" in (detail.value or "")
    assert "g3" in (detail.value or "")


def test_newest_articles_are_masked_links_and_never_cut_mid_entry() -> None:
    long_title = "A very long headline " * 20
    newest = tuple(_article(n, title=long_title + str(n)) for n in range(30))
    description = status.render_stats(_stats(newest=newest)).description or ""
    value = description.split("**Newest articles**\n")[1]
    assert len(value) <= status.MAX_LIST_CHARS and len(description) <= 4096
    lines = value.split("\n")
    entries, more = lines[:-1], lines[-1]
    assert entries and more == f"…and {30 - len(entries)} more."
    for n, line in enumerate(entries):
        assert line.startswith("[A very long headline") and f"](https://www.cnn.com/2024/06/{n:02d}/story-{n})" in line
        assert line.endswith(f"· CNN · {_article(n).published}")


def test_a_link_the_sanitiser_refuses_shows_the_title_alone() -> None:
    hostile = _article(1, title="Ferry ] (x) [fares", url="https://news.example/a> [notice](https://evil.example/x)")
    line = status.article_line(hostile)
    assert line.startswith("Ferry ) (x) (fares · CNN") and "evil.example" not in line and "](" not in line
    bracketed = status.article_line(_article(2, title="Ferry [1]", url="https://news.example/a_(b)"))
    assert bracketed.startswith(r"[Ferry (1)](https://news.example/a\_%28b%29)") or bracketed.startswith(
        "[Ferry (1)](https://news.example/a_%28b%29)"
    )


def test_matches_list_the_articles_newest_first_or_say_none_match() -> None:
    found = status.render_matches(ArticleMatches(query="cnn", total=12, articles=(_article(3), _article(2))))
    assert found.title == "Articles matching “cnn”"
    text = found.description or ""
    assert text.startswith("**12 articles** match; the newest 2 are listed.")
    assert text.index("story-3") < text.index("story-2")
    none = status.render_matches(ArticleMatches(query="bbc", total=0))
    assert (none.description or "").startswith("No indexed article matches “bbc”.")


def test_progress_shows_a_bar_and_a_percentage() -> None:
    text = status.render_index_progress(IndexProgress(total=10, done=4, added=1, unchanged=2, failed=1, current="x"))
    lines = text.split("\n")
    assert lines[0] == "🔄 Re-indexing: 4 of 10 articles done"
    assert lines[1] == "`████████░░░░░░░░░░░░` 40%"
    assert lines[2] == "1 added · 0 updated · 2 unchanged · 1 failed" and lines[3] == "Now: x"
    assert status.render_index_progress(IndexProgress(total=0, done=0)) == "🔄 Re-indexing: looking for articles…"


def test_the_bar_is_full_only_when_everything_is_done() -> None:
    assert percent_done(999, 1000) == 99 and percent_done(1000, 1000) == 100 and percent_done(5, 0) == 0
    assert progress_bar(0, 3) == "`" + "░" * 20 + "` 0%" and progress_bar(3, 3) == "`" + "█" * 20 + "` 100%"


def test_the_report_is_plain_and_names_no_host_path() -> None:
    failures = (Failure(origin="/srv/briefbot/secret/a.txt", reason="parse error"),
                Failure(origin="https://www.cnn.com/feed", reason="timeout"))
    report = status.render_index_report(
        IndexReport(added=3, unchanged=2, chunks_embedded=40, merged_duplicates=1, failures=failures, seconds=125.0)
    )
    assert report.startswith("✅ Re-index finished in 2 min 5 s: 3 added, 0 updated, 2 unchanged, 0 removed, 2 failed.")
    assert "chunk" not in report and "/srv" not in report
    assert "• a file in a folder source: parse error" in report and "• cnn.com/feed: timeout" in report


def test_whole_lines_keep_entries_whole_and_count_the_rest() -> None:
    assert whole_lines(["aaaa", "bbbb", "cccc"], 100) == "aaaa\nbbbb\ncccc"
    assert whole_lines(["aaaa", "bbbb", "cccc"], 14) == "aaaa\nbbbb\ncccc"
    assert whole_lines(["a" * 10, "b" * 10, "c" * 10], 25) == "a" * 10 + "\n…and 2 more."
    assert whole_lines(["x" * 50], 10) == "x" * 9 + "…"
    assert whole_lines(["x" * 50, "y"], 30) == "x" * 16 + "…\n…and 1 more."


def test_an_empty_index_says_how_to_fill_it() -> None:
    embed = status.render_stats(IndexStats(articles=0, chunks=0))
    assert (embed.description or "").startswith("Nothing is indexed yet.") and not embed.fields
