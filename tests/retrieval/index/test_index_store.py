"""Store and indexer on a real embedded Chroma: idempotent, incremental, single writer, crash-safe swap."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from filelock import FileLock

from retrieval.errors import EmbedderMismatchError, ReindexRunningError
from retrieval.index.chroma_client import HNSW_SEARCH_EF, HNSW_SYNC_THRESHOLD_ROWS, tune_hnsw
from retrieval.index.store import ChromaStore
from retrieval.models import Article
from tests.conftest import SEEDS_DIR, make_settings

TOPICS = ["buses", "bridges", "libraries", "hospitals", "schools", "parks", "ferries", "trams", "museums", "wells"]
PLACES = ["Arden", "Brill", "Calder", "Dunmore", "Elgin", "Fenwick", "Garvan", "Hollis", "Innis", "Jarrow"]


def _article(n: int, text: str | None = None) -> Article:
    topic, place = TOPICS[n % 10], PLACES[n % 10]
    body = text or (
        f"The council of {place} approved a budget that pays for {n * 10} new {topic}. "
        f"Mayor {place.upper()[:3]}-{n} said the {topic} plan was overdue. Critics in {place} called it too late."
    )
    return Article(id=f"art{n:03d}", title=f"Town {n} budget", url=f"https://news.example/{n}",
                   published=date(2024, 5, n % 28 + 1), outlet="example", text=body, origin="feed-a")


def _chunk_counts(service) -> dict[str, int]:
    counts: dict[str, int] = {}
    for chunk in service.store.iter_chunks():
        counts[chunk.article_id] = counts.get(chunk.article_id, 0) + 1
    return counts


def test_reindex_is_idempotent_and_unchanged_articles_cost_no_embedding(service) -> None:
    articles = [_article(n) for n in range(1, 6)]
    first = service.indexer.index(articles)
    assert (first.added, first.unchanged) == (5, 0) and first.chunks_embedded >= 5
    ids_before = sorted(c.id for c in service.store.iter_chunks())

    second = service.indexer.index(articles)
    assert (second.added, second.updated, second.unchanged, second.chunks_embedded) == (0, 0, 5, 0)
    assert sorted(c.id for c in service.store.iter_chunks()) == ids_before  # no duplicates
    assert all(c.id == f"{c.article_id}:{c.n}" for c in service.store.iter_chunks())


def test_changed_article_replaces_all_its_chunks_and_gone_ones_are_removed(service) -> None:
    long_text = " ".join(f"Sentence {i} says the harbour reopened with {i} new cranes." for i in range(60))
    service.indexer.index([_article(1, long_text), _article(2), _article(3)], remove_scope=lambda o: True)
    assert _chunk_counts(service)["art001"] > 1

    report = service.indexer.index([_article(1, "Now it is short: the harbour stays closed."), _article(2)],
                                   remove_scope=lambda o: True)
    assert (report.updated, report.unchanged, report.removed) == (1, 1, 1)
    counts = _chunk_counts(service)
    assert counts == {"art001": 1, "art002": counts["art002"]}  # no stale chunks, art003 gone
    [chunk] = [c for c in service.store.iter_chunks() if c.article_id == "art001"]
    assert "stays closed" in chunk.text


def test_articles_changed_together_each_lose_only_their_own_stale_chunks(service) -> None:
    long_text = " ".join(f"Sentence {i} says the ferry timetable changed {i} times this year." for i in range(60))
    service.indexer.index([_article(n, long_text.replace("ferry", TOPICS[n])) for n in (1, 2)] + [_article(3)])
    before = _chunk_counts(service)
    assert before["art001"] > 1 and before["art002"] > 1

    shorter = [_article(1, "The ferry timetable is final."), _article(2, "The bridge reopened today.")]
    report = service.indexer.index([*shorter, _article(3)])  # both in one embedding batch

    assert (report.updated, report.unchanged, report.chunks_embedded) == (2, 1, 2)
    assert _chunk_counts(service) == {"art001": 1, "art002": 1, "art003": before["art003"]}
    texts = {c.article_id: c.text for c in service.store.iter_chunks() if c.article_id != "art003"}
    assert texts == {"art001": "The ferry timetable is final.", "art002": "The bridge reopened today."}


def test_seed_is_indexed_with_key_points_not_duplicated(service) -> None:
    report = service.index([SEEDS_DIR])
    assert report.added == 1 and not report.failures
    chunks = list(service.store.iter_chunks())
    kinds = {c.kind for c in chunks}
    assert {"body", "key_point", "contradiction"} <= kinds
    body = " ".join(c.text for c in chunks if c.kind == "body")
    assert "deny arms trade allegations" not in body


def test_embedder_mismatch_raises_a_clear_error(settings, embeddings, fake_embeddings) -> None:
    store = ChromaStore.from_settings(settings, embeddings)
    store.collections()

    other = ChromaStore.from_settings(settings, fake_embeddings)  # another model id and dimension
    with pytest.raises(EmbedderMismatchError, match="Re-index with `briefbot index --rebuild`"):
        other.collections()


def test_second_writer_is_refused_at_once(service, settings) -> None:
    holder = FileLock(str(settings.data_dir / "index.lock"))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with holder, pytest.raises(ReindexRunningError, match="already running"):
        service.indexer.index([_article(1)])


def test_rebuild_switches_atomically_and_keeps_previous_for_rollback(service) -> None:
    service.indexer.index([_article(n) for n in range(1, 4)])
    before = service.store.active_generation()
    report = service.indexer.index([_article(n) for n in range(1, 5)], rebuild=True)
    assert report.added == 4
    after = service.store.active_generation()
    assert after != before
    assert set(service.store.list_generations()) == {before, after}
    assert service.store.count_articles() == 4
    hits = service.retrieve("How many new hospitals will Dunmore pay for?", k=3)
    assert hits and hits[0].chunk.article_id == "art003"


def test_reopen_after_clean_exit_finds_chunks_with_get_and_query(tmp_path: Path, embeddings) -> None:
    settings = make_settings(tmp_path / "data")
    store = ChromaStore.from_settings(settings, embeddings)
    from retrieval.index.indexer import Indexer

    Indexer(store, embeddings, settings.data_dir / "index.lock").index([_article(n) for n in range(1, 11)])
    count = store.count_chunks()
    del store

    reopened = ChromaStore.from_settings(settings, embeddings)
    assert reopened.count_chunks() == count
    vector = embeddings.embed_query("Hollis budget for new museums")
    assert any(c.article_id == "art007" for c, _ in reopened.query(vector, k=3))


def test_indexed_articles_round_trip_with_their_key_points(service) -> None:
    service.index([SEEDS_DIR])
    [seed] = service.articles()
    assert len(seed.key_points) == 3 and seed.key_points[0].startswith("Putin visits North Korea")
    assert seed.contradictions[0].startswith("While Western nations")
    assert "Vietnam" in seed.text and seed.published == date(2024, 6, 19)


def test_a_collection_from_before_gets_the_current_hnsw_settings(settings, embeddings) -> None:
    """Writes in small flushes and a wide search list (see `retrieval.index.store`) also for an old index."""
    store = ChromaStore.from_settings(settings, embeddings)
    meta = {"hnsw:space": "cosine", "embedder": store.embedder_id, "dimension": store.dimension}
    store.client.create_collection("briefbot_g1_chunks", metadata=meta, embedding_function=None)
    before = store.client.get_collection("briefbot_g1_chunks").configuration["hnsw"]
    assert before is not None and before["sync_threshold"] == 1000

    store.collections()

    reopened = ChromaStore.from_settings(settings, embeddings).client.get_collection("briefbot_g1_chunks")
    hnsw = reopened.configuration["hnsw"]
    assert hnsw is not None
    assert (hnsw["sync_threshold"], hnsw["ef_search"]) == (HNSW_SYNC_THRESHOLD_ROWS, HNSW_SEARCH_EF)


class _LockedOldCollection:
    """An old collection whose settings update meets SQLite's lock `locked_times` times."""

    name = "briefbot_g1_chunks"

    def __init__(self, locked_times: int) -> None:
        self.configuration = {"hnsw": {"ef_search": 10, "sync_threshold": 1000}}
        self.locked_times = locked_times
        self.attempts = 0

    def modify(self, configuration: dict) -> None:
        self.attempts += 1
        if self.attempts <= self.locked_times:
            raise RuntimeError("Database error: error returned from database: (code: 5) database is locked")
        self.configuration = configuration


def test_a_briefly_locked_database_still_gets_the_new_hnsw_settings() -> None:
    collection = _LockedOldCollection(locked_times=2)
    tune_hnsw(collection)  # type: ignore[arg-type]
    assert collection.attempts == 3
    assert collection.configuration["hnsw"] == {"ef_search": HNSW_SEARCH_EF, "sync_threshold": HNSW_SYNC_THRESHOLD_ROWS}


def test_a_database_that_stays_locked_is_logged_and_searching_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    collection = _LockedOldCollection(locked_times=100)
    tune_hnsw(collection)  # type: ignore[arg-type]
    assert collection.attempts == 5 and collection.configuration["hnsw"]["sync_threshold"] == 1000
    assert "Could not update the HNSW settings of briefbot_g1_chunks" in caplog.text


def test_an_article_write_asks_chroma_for_its_old_chunks_only_after_an_interrupted_write(
    service, monkeypatch
) -> None:
    from chromadb.api.models.Collection import Collection

    long_text = " ".join(f"Sentence {i} says the tram depot added {i} new lines." for i in range(60))
    service.indexer.index([_article(1, long_text), _article(2)])
    asked: list[object] = []
    real_get = Collection.get

    def recording_get(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("where") and "article_id" in str(kwargs["where"]):
            asked.append(kwargs["where"])
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "get", recording_get)
    service.indexer.index([_article(1, "The depot is shut."), _article(2), _article(3)])  # changed, same, new
    assert asked == []  # the lexical table knew every chunk id written
    assert _chunk_counts(service)["art001"] == 1

    # The long version is written; then a crash interrupts the next write after its lexical rows (pending,
    # listing none of the long version's chunks) and before Chroma: Chroma still holds the long version.
    service.indexer.index([_article(1, long_text)])
    assert _chunk_counts(service)["art001"] > 1
    service.store.lexical().put_articles([({"id": "art001", "title": "Town 1 budget"}, [])])
    report = service.indexer.index([_article(1, "The depot reopened.")])
    assert report.updated == 1 and asked  # unknown state: Chroma was asked
    assert _chunk_counts(service)["art001"] == 1


@pytest.mark.parametrize(("slice_rows", "most_rows", "most_calls"), [(25, 25, 99), (1000, 1000, 2)])
def test_a_batch_of_articles_is_written_in_requests_of_at_most_the_slice(
    settings, fake_embeddings, monkeypatch, slice_rows: int, most_rows: int, most_calls: int
) -> None:
    """A Chroma server (1,000-row slices) gets one chunk request and one record request per batch of
    new articles; embedded Chroma (25 rows) small ones, so the event loop keeps answering."""
    from chromadb.api.models.Collection import Collection

    from retrieval.index.chroma_client import client_from_settings
    from retrieval.index.indexer import Indexer

    store = ChromaStore(client_from_settings(settings), fake_embeddings, settings.index_dir, slice_rows)
    indexer = Indexer(store, fake_embeddings, settings.data_dir / "index.lock")
    store.collections()
    sizes: list[int] = []
    real_upsert = Collection.upsert

    def recording_upsert(self, ids, *args, **kwargs):  # type: ignore[no-untyped-def]
        sizes.append(len(ids))
        return real_upsert(self, ids, *args, **kwargs)

    monkeypatch.setattr(Collection, "upsert", recording_upsert)
    report = indexer.index([_article(n) for n in range(1, 41)])
    assert report.added == 40 and sum(1 for c in store.iter_chunks()) == report.chunks_embedded
    assert max(sizes) <= most_rows and len(sizes) <= most_calls
    assert sum(sizes) == report.chunks_embedded + 40  # every chunk and every record, once
