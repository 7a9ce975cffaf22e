"""Each server's chunks in a collection of its own (`retrieval.index.tenant_collections`): a server's view
is the operator's collection and its own, merged by similarity; forgetting a server drops its
collection; a rebuild carries every server's collection into the new generation; an index from before
tenants opens as it was. Real Chroma in temp dirs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from retrieval.index.store import ChromaStore
from retrieval.ingest.tenants import tagged
from retrieval.models import GLOBAL_TENANT, Article, guild_tenant
from retrieval.service import BriefbotService
from tests.support.corpus import DAM, FERRY, MINE, PORT, unseeded_service, write_folder

A, B = guild_tenant(1), guild_tenant(2)
FERRY_ARTICLE = Article(id="feed:ferry", title="ferry", text=FERRY, published=date(2026, 1, 1), outlet="ferry",
                        origin="feed/ferry")
QUESTION = "cracks in the dam, the port breakwater, the copper mine and ferry fares"


def _article(key: str, text: str) -> Article:
    return Article(id=f"feed:{key}", title=key, text=text, published=date(2026, 1, 1), outlet=key, origin=f"feed/{key}")


def _three_tenants(tmp_path: Path, embeddings) -> BriefbotService:
    service = unseeded_service(tmp_path, embeddings)
    service.indexer.index([FERRY_ARTICLE], remove_scope=lambda origin: True)
    service.indexer.index(tagged([_article("dam", DAM), _article("mine", MINE)], A), tenant=A,
                          remove_scope=lambda origin: True)
    service.indexer.index(tagged([_article("port", PORT)], B), tenant=B, remove_scope=lambda origin: True)
    return service


def _names(service: BriefbotService) -> set[str]:
    return {c.name for c in service.store.client.list_collections()}


def _stored_vectors(service: BriefbotService, name: str) -> dict[str, list[float]]:
    got = service.store.client.get_collection(name).get(include=["embeddings"])
    return {i: np.asarray(v).round(6).tolist() for i, v in zip(got["ids"], got["embeddings"], strict=True)}


def test_the_same_question_for_two_servers_sees_each_ones_own_and_the_operators(tmp_path: Path,
                                                                               fake_embeddings) -> None:
    service = _three_tenants(tmp_path, fake_embeddings)
    for tenant, own in ((A, {f"{A}/feed:dam", f"{A}/feed:mine"}), (B, {f"{B}/feed:port"})):
        view = frozenset({GLOBAL_TENANT, tenant})
        hits = service.searcher.search(QUESTION, k=10, tenants=view)
        assert {h.chunk.article_id for h in hits} == own | {"feed:ferry"}
        answer_view = service.retrieve(QUESTION, tenants=view)  # as the bot asks, with today's as_of
        assert {h.chunk.tenant for h in answer_view} <= view
    dense = service.searcher._dense(QUESTION, date(2026, 6, 1).toordinal(), date(2026, 6, 2).toordinal(),
                                    frozenset({B}))  # the date-filtered path, one server alone
    assert [c.article_id for c, _ in dense] == [f"{B}/feed:port"]


def test_a_servers_view_is_the_top_k_of_its_collections_by_similarity(tmp_path: Path, fake_embeddings) -> None:
    service = _three_tenants(tmp_path, fake_embeddings)
    view = frozenset({GLOBAL_TENANT, A})
    vector = fake_embeddings.embed_query(QUESTION)
    store = service.store
    pooled = [hit for c in store.chunk_collections(view) for hit in _all_similarities(c, vector)]
    best = sorted(pooled, key=lambda h: -h[1])[:2]
    got = store.query(vector, 2, tenants=view)
    assert [c.id for c, _ in got] == [i for i, _ in best] and len(pooled) == 3  # ferry + dam + mine
    assert np.allclose([s for _, s in got], [s for _, s in best], atol=1e-5)


def _all_similarities(collection, vector: list[float]) -> list[tuple[str, float]]:
    rows = collection.get(include=["embeddings"])
    query = np.asarray(vector) / np.linalg.norm(vector)
    return [(i, float(np.dot(query, np.asarray(v) / np.linalg.norm(v))))
            for i, v in zip(rows["ids"], rows["embeddings"], strict=True)]


def test_forgetting_a_server_drops_its_collection_and_nothing_else(tmp_path: Path, fake_embeddings) -> None:
    service = _three_tenants(tmp_path, fake_embeddings)
    generation = service.store.active_generation()
    before_a = [h.chunk.id for h in service.searcher.search(QUESTION, k=10, tenants=frozenset({GLOBAL_TENANT, A}))]

    assert service.forget_tenant(B) == 1
    assert f"{generation}_chunks_g2" not in _names(service) and f"{generation}_chunks_g1" in _names(service)
    assert not [c for c in service.store.iter_chunks() if c.tenant == B]
    assert not list(service.store.iter_articles(tenants=frozenset({B})))
    assert {h.chunk.tenant for h in service.searcher.search("port breakwater", k=10,
                                                            tenants=frozenset({GLOBAL_TENANT, B}))} == {GLOBAL_TENANT}
    after_a = [h.chunk.id for h in service.searcher.search(QUESTION, k=10, tenants=frozenset({GLOBAL_TENANT, A}))]
    assert after_a == before_a
    reopened = ChromaStore.from_settings(service.settings, fake_embeddings)  # another process sees the same
    assert reopened.count_chunks() == 3 and {c.tenant for c in reopened.iter_chunks()} == {GLOBAL_TENANT, A}


def test_removing_one_servers_article_leaves_its_other_chunks(tmp_path: Path, fake_embeddings) -> None:
    service = _three_tenants(tmp_path, fake_embeddings)
    service.indexer.index(tagged([_article("mine", MINE)], A), tenant=A, remove_scope=lambda origin: True)
    assert sorted(c.article_id for c in service.store.iter_chunks(frozenset({A}))) == [f"{A}/feed:mine"]
    assert {c.article_id for c in service.store.iter_chunks(frozenset({B}))} == {f"{B}/feed:port"}


def test_a_rebuild_carries_every_servers_chunks_with_their_vectors(tmp_path: Path, fake_embeddings) -> None:
    service = _three_tenants(tmp_path, fake_embeddings)
    before = service.store.active_generation()
    old = {g: _stored_vectors(service, f"{before}_chunks_{g}") for g in ("g1", "g2")}

    report = service.indexer.index([FERRY_ARTICLE], remove_scope=lambda origin: True, rebuild=True)
    after = service.store.active_generation()
    assert after != before and report.chunks_embedded == 1  # the operator's ferry only
    for g in ("g1", "g2"):
        assert _stored_vectors(service, f"{after}_chunks_{g}") == old[g]
    view = frozenset({GLOBAL_TENANT, A})
    assert {h.chunk.article_id for h in service.searcher.search(QUESTION, k=10, tenants=view)} == {
        f"{A}/feed:dam", f"{A}/feed:mine", "feed:ferry"}
    assert service.store.count_articles() == 4 and service.store.count_chunks() == 4

    service.indexer.index([FERRY_ARTICLE], remove_scope=lambda origin: True, rebuild=True)  # the oldest is dropped
    assert not {n for n in _names(service) if n.startswith(before + "_")}


def test_a_server_only_rebuild_keeps_the_others_in_place(tmp_path: Path, fake_embeddings) -> None:
    service = _three_tenants(tmp_path, fake_embeddings)
    service.indexer.index(tagged([_article("dam", DAM)], A), tenant=A, remove_scope=lambda origin: True,
                          rebuild=True)
    assert {c.article_id for c in service.store.iter_chunks()} == {"feed:ferry", f"{A}/feed:dam", f"{B}/feed:port"}


def test_an_index_from_before_server_collections_opens_unchanged(tmp_path: Path, fake_embeddings) -> None:
    service = unseeded_service(tmp_path, fake_embeddings)
    service.index([write_folder(tmp_path, "global", ferry=FERRY, dam=DAM, port=PORT)])
    names = _names(service)
    vector = fake_embeddings.embed_query(QUESTION)
    plain = [(c.id, round(s, 6)) for c, s in service.store.query(vector, 3)]

    reopened = ChromaStore.from_settings(service.settings, fake_embeddings)
    as_a_server = reopened.query(vector, 3, tenants=frozenset({GLOBAL_TENANT, A}))
    assert [(c.id, round(s, 6)) for c, s in as_a_server] == plain
    assert [(c.id, round(s, 6)) for c, s in reopened.query(vector, 3)] == plain
    assert _names(service) == names and reopened.list_generations() == [reopened.active_generation()]
    assert reopened.count_chunks() == 3
