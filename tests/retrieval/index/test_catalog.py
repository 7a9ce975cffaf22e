"""Briefs, /sources stats and autocomplete read the article table by index: their work stays the
same as unrelated old articles are added, and they never read Chroma's chunks or records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from retrieval.index.store import ChromaStore
from retrieval.models import Article, Chunk
from retrieval.search.hybrid import HybridSearcher
from retrieval.service import BriefbotService
from tests.conftest import make_settings

DAY = date(2024, 6, 19)
AS_OF = datetime(2024, 6, 19, 20, 0, tzinfo=UTC)


class CountingStore(ChromaStore):
    """Counts every read of Chroma's chunks and article records."""

    chunks_read = 0
    records_read = 0

    def iter_chunks(self) -> Iterator[Chunk]:
        for chunk in super().iter_chunks():
            self.chunks_read += 1
            yield chunk

    def iter_articles(self, generation: str | None = None) -> Iterator[dict[str, Any]]:
        for record in super().iter_articles(generation):
            self.records_read += 1
            yield record


def news(aid: str, day: date, outlet: str = "a.example") -> Article:
    text = f"Story {aid}: the harbour council met on {day.isoformat()} and approved the plan. " * 3
    return Article(id=aid, title=f"Story {aid}", text=text, published=day, outlet=outlet,
                   url=f"https://{outlet}/{aid}")


def counting_service(tmp_path: Path, embeddings: Any) -> tuple[BriefbotService, CountingStore]:
    settings = make_settings(tmp_path / "data")
    store = CountingStore.from_settings(settings, embeddings)
    assert isinstance(store, CountingStore)
    store.lexical()  # the (empty) lexical index exists: nothing to migrate later
    return BriefbotService(settings, embeddings, store, HybridSearcher(store, embeddings)), store


def sqlite_steps(service: BriefbotService, work: Callable[[], object]) -> int:
    """SQLite virtual-machine steps `work` takes on the lexical file: a scan grows with the rows."""
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    db = service.store.lexical().connection()
    db.set_progress_handler(step, 1)
    try:
        work()
    finally:
        db.set_progress_handler(None, 1)
    return steps


def test_a_brief_reads_only_its_window_however_long_the_history(tmp_path: Path, fake_embeddings) -> None:
    service, store = counting_service(tmp_path, fake_embeddings)
    window = [news(f"today{i}", DAY) for i in range(3)]
    service.indexer.index(window)
    before = sqlite_steps(service, lambda: service.articles(since=DAY, until=DAY))

    old = [news(f"old{i}", DAY - timedelta(days=400 + i)) for i in range(40)]
    service.indexer.index([*window, *old])
    store.chunks_read = store.records_read = 0
    after = sqlite_steps(service, lambda: service.articles(since=DAY, until=DAY))
    brief = service.brief(as_of=AS_OF, window_hours=24)

    assert {a.id for a in service.articles(since=DAY, until=DAY)} == {a.id for a in window}
    assert after == before  # the same work with 40 more old articles
    assert brief.stories and (store.chunks_read, store.records_read) == (0, 0)


def test_stats_and_autocomplete_come_from_maintained_counts(tmp_path: Path, fake_embeddings) -> None:
    service, store = counting_service(tmp_path, fake_embeddings)
    first = [*(news(f"a{i}", DAY) for i in range(5)), news("b1", DAY, outlet="b.example")]
    service.indexer.index(first)
    steps = sqlite_steps(service, service.stats)  # with more articles than stats shows as newest

    more = [news(f"a{i}", DAY - timedelta(days=i)) for i in range(5, 30)]
    service.indexer.index([*first, *more])
    store.chunks_read = store.records_read = 0
    stats = service.stats()

    assert (stats.articles, stats.outlets) == (31, (("a.example", 30), ("b.example", 1)))
    assert stats.chunks == store.count_chunks() and stats.newest[0].published == DAY
    assert sqlite_steps(service, service.stats) == steps
    assert service.list_titles_and_outlets()[:2] == ["a.example", "b.example"]
    assert "Story a29" in service.list_titles_and_outlets()
    assert (store.chunks_read, store.records_read) == (0, 0)

    service.indexer.index(first, remove_scope=lambda origin: True)  # removals are counted too
    assert service.stats().outlets == (("a.example", 5), ("b.example", 1))


def test_tenants_see_only_their_counts_and_window(tmp_path: Path, fake_embeddings) -> None:
    service, _ = counting_service(tmp_path, fake_embeddings)
    mine = news("mine", DAY).model_copy(update={"tenant": "guild:1"})
    theirs = news("theirs", DAY, outlet="b.example").model_copy(update={"tenant": "guild:2"})
    service.indexer.index([news("global", DAY), mine, theirs])
    seen = frozenset({"", "guild:1"})
    assert {a.id for a in service.articles(since=DAY, tenants=seen)} == {"global", "mine"}
    assert service.stats(tenants=seen).articles == 2
    assert "b.example" not in service.list_titles_and_outlets(tenants=seen)


def test_an_incremental_run_reads_no_chroma_records_or_chunks(tmp_path: Path, fake_embeddings) -> None:
    service, store = counting_service(tmp_path, fake_embeddings)
    old = [news(f"old{i}", DAY - timedelta(days=400 + i)) for i in range(20)]
    service.indexer.index(old)
    store.chunks_read = store.records_read = 0
    report = service.indexer.index([*old, news("today", DAY)])
    assert (report.added, report.unchanged) == (1, 20)
    assert (store.chunks_read, store.records_read) == (0, 0)  # the article table says what is indexed


def test_a_sources_query_is_answered_from_the_article_table_not_chromas_records(
        tmp_path: Path, fake_embeddings) -> None:
    service, store = counting_service(tmp_path, fake_embeddings)
    wanted = [news(f"w{i}", DAY - timedelta(days=i), outlet="herald.example") for i in range(3)]
    mine = news("mine", DAY, outlet="herald.example").model_copy(update={"tenant": "guild:1"})
    service.indexer.index([*wanted, mine, *(news(f"o{i}", DAY - timedelta(days=i)) for i in range(30))])
    store.chunks_read = store.records_read = 0

    everyone = service.find_articles("herald")
    operator_only = service.find_articles("HERALD", tenants=frozenset({""}))
    nothing = service.find_articles("heral_d 100%")

    assert everyone.total == 4 and operator_only.total == 3
    assert [a.id for a in operator_only.articles] == ["w0", "w1", "w2"]  # newest first
    assert nothing.total == 0  # no article has these words
    assert (store.chunks_read, store.records_read) == (0, 0)
