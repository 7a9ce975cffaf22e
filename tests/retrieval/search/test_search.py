"""Hybrid search on a tiny real Chroma store (embedded, tmp dir) with the real local embedder."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from langchain_core.documents import Document

from retrieval.index.indexer import Indexer
from retrieval.index.store import ChromaStore
from retrieval.models import Article
from retrieval.search.hybrid import HybridRetriever, HybridSearcher
from tests.conftest import make_settings

AS_OF = datetime(2024, 3, 14, 12, 0)


def article(aid: str, title: str, text: str, published: date = date(2024, 1, 10), outlet: str = "a.example") -> Article:
    return Article(id=aid, title=title, text=text, published=published, outlet=outlet, url=f"https://{outlet}/{aid}")


CORPUS = [
    article("harbour", "Harbour dredging approved",
            "The port council approved dredging of the inner harbour. Work order QX-7731 covers the east berth."),
    article("cat", "Pets at home", "A small cat slept on the warm rug beside the fireplace all afternoon."),
    article("budget", "City budget", "The city budget grows by four percent, with more money for buses and parks."),
    article("rain", "Weather", "Heavy rain is expected on Thursday, with flooding possible near the river."),
    article("chess", "Chess club", "The chess club meets on Tuesdays in the library basement to play blitz games."),
]


@pytest.fixture
def store(tmp_path: Path, embeddings) -> ChromaStore:
    settings = make_settings(tmp_path / "data")
    store = ChromaStore.from_settings(settings, embeddings)
    Indexer(store, embeddings, settings.data_dir / "index.lock").index(CORPUS)
    return store


def ids(hits) -> list[str]:
    return [h.chunk.article_id for h in hits]


def test_lexical_only_match_is_found(store: ChromaStore, embeddings) -> None:
    hits = HybridSearcher(store, embeddings).search("QX-7731", k=3)
    assert ids(hits)[0] == "harbour"
    assert hits[0].lexical_score and hits[0].lexical_score > 0


def test_paraphrase_only_match_is_found(store: ChromaStore, embeddings) -> None:
    question = "Where did the kitten nap?"  # no word in common with the cat article, even stemmed
    hits = HybridSearcher(store, embeddings).search(question, k=2)
    assert ids(hits)[0] == "cat"
    assert hits[0].lexical_score is None and hits[0].dense_score is not None


def test_results_are_best_first_and_limited_to_k(store: ChromaStore, embeddings) -> None:
    hits = HybridSearcher(store, embeddings).search("harbour dredging council", k=3)
    assert len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_articles_published_after_as_of_are_not_returned(tmp_path: Path, embeddings) -> None:
    settings = make_settings(tmp_path / "data")
    store = ChromaStore.from_settings(settings, embeddings)
    later = article("later", "Harbour dredging finished", "Dredging of the inner harbour finished.", date(2024, 5, 1))
    Indexer(store, embeddings, settings.data_dir / "index.lock").index([*CORPUS, later])
    searcher = HybridSearcher(store, embeddings)
    assert "later" in ids(searcher.search("harbour dredging", k=5))
    assert "later" not in ids(searcher.search("harbour dredging", k=5, as_of=AS_OF))


def test_time_words_favour_the_window_and_plain_questions_are_not_biased(tmp_path: Path, embeddings) -> None:
    settings = make_settings(tmp_path / "data")
    store = ChromaStore.from_settings(settings, embeddings)
    old_text = "Ferry workers went on strike over pay and ferry schedules; ferry strike talks."
    old = article("old", "Ferry strike", old_text, date(2023, 6, 1))
    new = article("new", "Transport news", "Ferry workers announced a strike over pay.", date(2024, 3, 12))
    Indexer(store, embeddings, settings.data_dir / "index.lock").index([old, new, *CORPUS])
    searcher = HybridSearcher(store, embeddings)
    assert ids(searcher.search("ferry strike", k=2, as_of=AS_OF))[0] == "old"
    assert ids(searcher.search("ferry strike this week", k=2, as_of=AS_OF))[0] == "new"


def test_near_identical_chunks_are_returned_once(tmp_path: Path, embeddings) -> None:
    settings = make_settings(tmp_path / "data")
    store = ChromaStore.from_settings(settings, embeddings)
    text = "The museum reopened its dinosaur hall after a two-year renovation costing 12 million dollars."
    copies = [article("wire1", "Museum reopens", text, outlet="one.example"),
              article("wire2", "Museum reopens", text + " (AP)", outlet="two.example")]
    Indexer(store, embeddings, settings.data_dir / "index.lock").index([*copies, *CORPUS])
    hits = HybridSearcher(store, embeddings).search("museum dinosaur hall reopened", k=3)
    assert len({"wire1", "wire2"} & set(ids(hits))) == 1


def test_lexical_index_follows_store_writes(tmp_path: Path, embeddings) -> None:
    settings = make_settings(tmp_path / "data")
    store = ChromaStore.from_settings(settings, embeddings)
    indexer = Indexer(store, embeddings, settings.data_dir / "index.lock")
    indexer.index(CORPUS)
    searcher = HybridSearcher(store, embeddings)
    assert "zeppelin" not in ids(searcher.search("ZR-88 zeppelin", k=3))
    indexer.index([*CORPUS, article("zeppelin", "Airship", "The ZR-88 zeppelin landed in the park.")])
    hits = searcher.search("ZR-88 zeppelin", k=3)
    assert ids(hits)[0] == "zeppelin" and hits[0].lexical_score


def test_retriever_returns_documents_with_metadata(store: ChromaStore, embeddings) -> None:
    retriever = HybridRetriever(searcher=HybridSearcher(store, embeddings), k=2)
    docs = retriever.invoke("QX-7731 harbour work order")
    assert len(docs) == 2 and all(isinstance(d, Document) for d in docs)
    meta = docs[0].metadata
    assert meta["chunk_id"] == "harbour:0" and meta["title"] == "Harbour dredging approved"
    assert meta["url"] == "https://a.example/harbour" and meta["published"] == "2024-01-10"
    assert meta["outlet"] == "a.example" and meta["score"] > 0


def test_empty_store_returns_nothing(tmp_path: Path, embeddings) -> None:
    store = ChromaStore.from_settings(make_settings(tmp_path / "data"), embeddings)
    assert HybridSearcher(store, embeddings).search("anything at all", k=5) == []
