"""A full rebuild (`briefbot index --rebuild`) loses nothing an incremental run would keep: a source
that is missing, failing or unchanged (304) this time keeps its articles in the new generation,
copied with their stored vectors (not embedded again); so does whatever the run may not remove.
Real Chroma and the real local embedder in temp dirs; feeds from a real local HTTP server."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from retrieval.errors import IndexEmptyError
from retrieval.ingest import configured_sources
from retrieval.service import BriefbotService
from tests.support.corpus import DAM, FERRY, MINE, PORT, indexed_texts, unseeded_service, write_folder
from tests.support.http_server import LocalServer

BRIDGE = ("Harbour bridge approved", "https://gazette.example/bridge",
          "The regional council voted seven to two on Tuesday to approve a new bridge across the harbour.")
LIBRARY = ("Library hours extended", "https://gazette.example/library",
           "The central library will stay open until ten at night on weekdays from next month, the city said.")


def _service(tmp_path: Path, embeddings: Embeddings) -> BriefbotService:
    return unseeded_service(tmp_path, embeddings, allow_private_urls=True)


@pytest.fixture
def service(tmp_path: Path, embeddings) -> BriefbotService:
    return _service(tmp_path, embeddings)


def _rss(*items: tuple[str, str, str]) -> str:
    body = "".join(f"<item><title>{t}</title><link>{u}</link><description>{d}</description>"
                   "<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate></item>" for t, u, d in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title>{body}</channel></rss>'


def _vectors(service: BriefbotService, generation: str) -> dict[str, list[float]]:
    got = service.store.collections(generation)[0].get(include=["embeddings"])
    return {i: np.asarray(v).round(6).tolist() for i, v in zip(got["ids"], got["embeddings"], strict=True)}


def _reason(report, origin: str) -> str:
    (failure,) = [f for f in report.failures if f.origin == origin]
    return failure.reason


def test_a_rebuild_while_a_folder_is_missing_keeps_its_articles_with_their_vectors(
    service: BriefbotService, tmp_path: Path
) -> None:
    news = write_folder(tmp_path, "news", ferry=FERRY, dam=DAM)
    other = write_folder(tmp_path, "other", port=PORT, mine=MINE)
    for folder in (news, other):
        configured_sources.add_source(service.settings, "folder", str(folder))
    service.index()
    before = service.store.active_generation()
    old_vectors = _vectors(service, before)
    other.rename(tmp_path / "unmounted")

    report = service.index(rebuild=True)

    after = service.store.active_generation()
    assert after != before and indexed_texts(service) == {FERRY, DAM, PORT, MINE}
    assert (report.added, report.removed, report.chunks_embedded) == (2, 0, 2)  # only news is embedded
    assert _reason(report, str(other)) == "not found; kept its 2 articles indexed before"
    kept_ids = {a.id for a in service.articles() if a.text in (PORT, MINE)}

    def kept(vectors: dict[str, list[float]]) -> dict[str, list[float]]:
        return {i: v for i, v in vectors.items() if i.rsplit(":", 1)[0] in kept_ids}

    assert len(kept(old_vectors)) == 2 and kept(_vectors(service, after)) == kept(old_vectors)
    hits = service.retrieve("When will the copper mine in the eastern hills close?", k=1)
    assert hits[0].chunk.text == MINE  # the copied vectors answer in the new generation


def test_a_rebuild_while_one_feed_fails_and_another_answers_304_keeps_both_feeds_articles(
    service: BriefbotService, local_server: LocalServer
) -> None:
    failing = local_server.route("/down.xml", _rss(BRIDGE), content_type="application/rss+xml")
    steady = local_server.route("/steady.xml", _rss(LIBRARY), content_type="application/rss+xml", etag='"v1"')
    for url in (failing, steady):
        configured_sources.add_source(service.settings, "feed", url)
    assert service.index().added == 2
    local_server.route("/down.xml", "Service Unavailable", status=503)

    report = service.index(rebuild=True)

    assert (report.added, report.removed, report.chunks_embedded) == (0, 0, 0)
    assert "kept its 1 article indexed before" in _reason(report, failing)
    assert indexed_texts(service) == {BRIDGE[2], LIBRARY[2]}
    assert service.store.count_articles() == 2 and len(service.store.list_generations()) == 2


def test_a_rebuild_of_one_path_keeps_everything_outside_it(service: BriefbotService, tmp_path: Path) -> None:
    configured = write_folder(tmp_path, "configured", port=PORT)
    configured_sources.add_source(service.settings, "folder", str(configured))
    service.index()
    manual = write_folder(tmp_path, "manual", ferry=FERRY, dam=DAM)
    service.index([manual])
    (manual / "dam.txt").unlink()

    report = service.index([manual], rebuild=True)

    assert (report.removed, report.chunks_embedded) == (1, 1)  # dam is gone from the present folder
    assert indexed_texts(service) == {FERRY, PORT}


def test_a_configured_rebuild_keeps_articles_indexed_by_path(service: BriefbotService, tmp_path: Path) -> None:
    configured_sources.add_source(service.settings, "folder", str(write_folder(tmp_path, "configured", port=PORT)))
    service.index([write_folder(tmp_path, "manual", ferry=FERRY)])

    report = service.index(rebuild=True)

    assert (report.added, report.removed) == (1, 0) and indexed_texts(service) == {FERRY, PORT}


class _Reversed(Embeddings):
    """Another embedder (its vectors are MiniLM's, reversed): its vectors can't be copied from MiniLM's."""

    model_id = "minilm-reversed"

    def __init__(self, base: Embeddings) -> None:
        self.base = base
        self.dimension = int(base.dimension)  # type: ignore[attr-defined]
        self.documents_embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents_embedded += len(texts)
        return [list(reversed(v)) for v in self.base.embed_documents(texts)]

    def embed_query(self, text: str) -> list[float]:
        return list(reversed(self.base.embed_query(text)))


def test_a_rebuild_for_another_embedder_embeds_the_kept_articles_again(
    service: BriefbotService, tmp_path: Path, embeddings
) -> None:
    news = write_folder(tmp_path, "news", ferry=FERRY)
    other = write_folder(tmp_path, "other", port=PORT, mine=MINE)
    for folder in (news, other):
        configured_sources.add_source(service.settings, "folder", str(folder))
    service.index()
    other.rename(tmp_path / "unmounted")
    reversed_embedder = _Reversed(embeddings)
    switched = _service(tmp_path, reversed_embedder)

    report = switched.index(rebuild=True)

    assert report.chunks_embedded == 3 == reversed_embedder.documents_embedded  # ferry, and both kept ones
    assert indexed_texts(switched) == {FERRY, PORT, MINE}
    hits = switched.retrieve("When will the copper mine in the eastern hills close?", k=1)
    assert hits[0].chunk.text == MINE and hits[0].dense_score > 0.5  # a copied MiniLM vector would be ~0


def test_a_rebuild_that_cannot_copy_a_kept_article_stays_on_the_old_index(
    service: BriefbotService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = write_folder(tmp_path, "news", ferry=FERRY)
    other = write_folder(tmp_path, "other", port=PORT)
    for folder in (news, other):
        configured_sources.add_source(service.settings, "folder", str(folder))
    service.index()
    before = service.store.active_generation()
    other.rename(tmp_path / "unmounted")
    monkeypatch.setattr(service.indexer.generations, "carry_over", lambda ids, generation: 0)  # copies nothing

    with pytest.raises(IndexEmptyError, match=r"1 of 2 articles"):
        service.index(rebuild=True)

    assert service.store.active_generation() == before and indexed_texts(service) == {FERRY, PORT}
