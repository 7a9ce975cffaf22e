"""The FTS5 lexical index: the old index's tokens, filters inside the index, persisted and opened
(not rebuilt), an old index migrated once, and crash-safe writes together with Chroma."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import bm25s
import pytest
import Stemmer

from retrieval.index.indexer import Indexer
from retrieval.index.lexical import LexicalStore
from retrieval.index.store import ChromaStore
from retrieval.models import Article, Chunk
from retrieval.search.hybrid import HybridSearcher
from retrieval.text.stems import bm25_terms
from tests.conftest import make_settings

DEV_ARTICLES = Path("/work/shared/eval/realtimeqa-dev/articles.jsonl")


def chunk(cid: str, text: str, tenant: str = "", day: date = date(2024, 1, 10)) -> Chunk:
    return Chunk(id=f"{cid}:0", article_id=cid, n=0, text=text, title="", published=day, tenant=tenant)


def article(aid: str, text: str, published: date = date(2024, 1, 10)) -> Article:
    return Article(id=aid, title=aid.title(), text=text, published=published, outlet="a.example",
                   url=f"https://a.example/{aid}")


def test_tokens_are_the_old_bm25_index_tokens() -> None:
    texts = ["The councils' dredging plans were approved, despite 3 objections (QX-7731).",
             "Ministers said they’d review the über-expensive naïve budgets in 2024 and 2025.", "a an the of"]
    stemmer = Stemmer.Stemmer("english")
    for text in texts:
        old = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)[0]
        assert bm25_terms(text) == list(old)


def test_tenant_and_day_filters_apply_inside_the_index() -> None:
    """Another tenant's better-ranked chunks do not crowd out the allowed ones: the filter is in the
    query, so `depth` allowed chunks come back, never fewer."""
    others = [chunk(f"b{i}", "ferry ferry ferry fares rise", tenant="guild:2") for i in range(5)]
    mine = [chunk("a1", "ferry fares rise on monday", tenant="guild:1"), chunk("g1", "the ferry is late")]
    late = [chunk("a2", "ferry fares", tenant="guild:1", day=date(2024, 2, 1))]
    index = LexicalStore.from_chunks([*others, *mine, *late])

    allowed = frozenset({"", "guild:1"})
    hits = index.search("ferry fares", depth=2, as_of_day=date(2024, 1, 31).toordinal(), tenants=allowed)
    assert [c.id for c, _ in hits] == ["a1:0", "g1:0"]
    assert {c.tenant for c, _ in index.search("ferry", depth=10, tenants=frozenset({"guild:2"}))} == {"guild:2"}
    assert len(index.search("ferry", depth=10)) == 8  # None: no filter


class _ChunksOnly:
    """A store with no data dir: the searcher builds an in-memory lexical index from its chunks."""

    version = 1

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks

    def query(self, vector: list[float], k: int, where: dict[str, Any] | None = None,
              tenants: frozenset[str] | None = None) -> list[tuple[Chunk, float]]:
        return []

    def iter_chunks(self) -> Iterator[Chunk]:
        return iter(self.chunks)


def test_hybrid_search_takes_a_tenant_filter(fake_embeddings) -> None:
    chunks = [chunk("a", "harbour dredging approved", tenant="guild:1"),
              chunk("b", "harbour dredging approved again", tenant="guild:2"), chunk("g", "harbour news")]
    searcher = HybridSearcher(_ChunksOnly(chunks), fake_embeddings)
    found = searcher.search("harbour dredging", k=5, tenants=frozenset({"", "guild:1"}))
    assert {h.chunk.article_id for h in found} == {"a", "g"}
    assert {h.chunk.article_id for h in searcher.search("harbour dredging", k=5)} == {"a", "b", "g"}


def _indexed_store(tmp_path: Path, embeddings) -> tuple[ChromaStore, Indexer]:
    settings = make_settings(tmp_path / "data")
    store = ChromaStore.from_settings(settings, embeddings)
    indexer = Indexer(store, embeddings, settings.data_dir / "index.lock")
    indexer.index([article("harbour", "The port council approved dredging of the inner harbour."),
                   article("cat", "A small cat slept on the warm rug beside the fireplace.")])
    return store, indexer


class _NoFullReads(ChromaStore):
    """A store that fails any read of every chunk: what a process start must not need."""

    def iter_chunks(self) -> Iterator[Chunk]:
        raise AssertionError("read every chunk")


def test_a_new_process_opens_the_lexical_index_without_rebuilding_it(tmp_path: Path, fake_embeddings) -> None:
    store, _ = _indexed_store(tmp_path, fake_embeddings)
    reopened = _NoFullReads(store.client, fake_embeddings, store.state_dir)
    hits = HybridSearcher(reopened, fake_embeddings).search("harbour dredging", k=1)
    assert hits[0].chunk.article_id == "harbour" and hits[0].lexical_score


def test_an_index_from_before_the_lexical_file_is_migrated_once(tmp_path: Path, fake_embeddings) -> None:
    store, _ = _indexed_store(tmp_path, fake_embeddings)
    generation = store.active_generation()
    store.lexical_files.drop(generation)  # an index as made before this file existed
    assert not store.lexical_files.exists(generation)

    fresh = ChromaStore(store.client, fake_embeddings, store.state_dir)
    assert HybridSearcher(fresh, fake_embeddings).search("warm rug cat", k=1)[0].chunk.article_id == "cat"
    assert fresh.lexical_files.exists(generation)
    again = _NoFullReads(store.client, fake_embeddings, store.state_dir)
    assert HybridSearcher(again, fake_embeddings).search("harbour", k=1)[0].chunk.article_id == "harbour"
    records = {r["id"]: r for r in again.lexical().records()}
    assert records["cat"]["content_hash"] and records["cat"]["chunks"] == 1  # a later run changes nothing
    assert Indexer(again, fake_embeddings, tmp_path / "l2").index(
        [article("harbour", "The port council approved dredging of the inner harbour."),
         article("cat", "A small cat slept on the warm rug beside the fireplace.")]).chunks_embedded == 0


class _CrashOnDelete(ChromaStore):
    def delete_articles(self, article_ids: Any, generation: str | None = None) -> None:
        lexical = self.lexical(generation)
        lexical.mark_pending(article_ids)
        raise OSError("crash after the lexical index was told, before Chroma deleted")


class _CrashOnWrite(ChromaStore):
    def replace_articles(self, writes: Any, *args: Any, **kwargs: Any) -> None:
        from retrieval.index.records import article_metadata

        self.lexical().put_articles([({"id": w.article.id, **article_metadata(w.article, w.content_hash, 1)}, [])
                                     for w in writes])
        raise OSError("crash after the lexical write, before Chroma's")


def test_an_interrupted_write_or_removal_is_finished_by_the_next_run(tmp_path: Path, fake_embeddings) -> None:
    store, indexer = _indexed_store(tmp_path, fake_embeddings)
    crashing = Indexer(_CrashOnDelete(store.client, fake_embeddings, store.state_dir), fake_embeddings,
                       tmp_path / "l2")
    with pytest.raises(OSError):
        crashing.index([article("harbour", "The port council approved dredging of the inner harbour.")],
                       remove_scope=lambda origin: True)
    report = indexer.index([article("harbour", "The port council approved dredging of the inner harbour.")],
                           remove_scope=lambda origin: True)
    assert report.removed == 1
    assert [r["id"] for r in store.lexical().records()] == ["harbour"] and store.count_articles() == 1

    writer = Indexer(_CrashOnWrite(store.client, fake_embeddings, store.state_dir), fake_embeddings, tmp_path / "l3")
    with pytest.raises(OSError):
        writer.index([article("harbour", "The harbour reopened after the dredging was finished.")])
    redone = indexer.index([article("harbour", "The harbour reopened after the dredging was finished.")])
    assert redone.updated == 1 and redone.chunks_embedded == 1
    assert "reopened" in store.lexical().search("reopened", depth=1)[0][0].text


@pytest.mark.skipif(not DEV_ARTICLES.exists(), reason="needs the dev corpus at /work/shared/eval")
def test_dev_corpus_tokens_match_too() -> None:
    stemmer = Stemmer.Stemmer("english")
    for line in DEV_ARTICLES.read_text(encoding="utf-8").splitlines()[:200]:
        text = json.loads(line).get("text", "")[:2000]
        old = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)[0]
        assert bm25_terms(text) == list(old)


def test_an_article_removed_then_written_again_before_the_commit_stays(tmp_path: Path, fake_embeddings) -> None:
    store, indexer = _indexed_store(tmp_path, fake_embeddings)
    store.delete_articles(["harbour"])  # published at the commit...
    indexer.index([article("harbour", "The port council approved dredging of the inner harbour.")])  # ...rewritten
    assert store.lexical().search("harbour dredging", depth=1)[0][0].article_id == "harbour"
    assert "harbour" in {r["id"] for r in store.lexical().records()}
