"""Tenants in the store: each chunk carries its tenant in Chroma metadata and lives in its tenant's own
collection (the operator's in `<gen>_chunks`, a server's in `<gen>_chunks_g<id>`), search reads only the
given tenants' collections, a run over one tenant's sources removes only that tenant's articles, and
records from before tenants existed count as the operator's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from retrieval.index.store import ChromaStore
from retrieval.ingest.tenants import tagged, tenant_of_article_id
from retrieval.models import GLOBAL_TENANT, Article, guild_tenant
from tests.support.corpus import DAM, FERRY, PORT, unseeded_service, write_folder

A, B = guild_tenant(1), guild_tenant(2)


def _article(key: str, text: str) -> Article:
    return Article(id=f"feed:{key}", title=key, text=text, published=date(2026, 1, 1), outlet=key, origin=f"feed/{key}")


def test_search_and_listings_see_only_the_given_tenants(tmp_path: Path, fake_embeddings) -> None:
    service = unseeded_service(tmp_path, fake_embeddings)
    service.index([write_folder(tmp_path, "global", ferry=FERRY)])
    service.indexer.index(tagged([_article("dam", DAM)], A), tenant=A, remove_scope=lambda origin: True)
    service.indexer.index(tagged([_article("port", PORT)], B), tenant=B, remove_scope=lambda origin: True)
    generation = service.store.active_generation()
    for name, tenant in ((f"{generation}_chunks", GLOBAL_TENANT), (f"{generation}_chunks_g1", A),
                         (f"{generation}_chunks_g2", B)):
        metas = service.store.client.get_collection(name).get(include=["metadatas"])["metadatas"] or []
        assert metas and {m["tenant"] for m in metas} == {tenant}

    seen_by_a = {h.chunk.tenant for h in service.searcher.search("cracks dam port ferry", k=10,
                                                                  tenants=frozenset({GLOBAL_TENANT, A}))}
    assert seen_by_a == {GLOBAL_TENANT, A}
    assert {h.chunk.tenant for h in service.searcher.search("cracks dam port ferry", k=10)} == {GLOBAL_TENANT, A, B}
    dense = service.searcher._dense("port breakwater", None, 0, frozenset({A}))
    assert dense and {c.tenant for c, _ in dense} == {A}
    assert {r["id"] for r in service.store.iter_articles(tenants=frozenset({B}))} == {f"{B}/feed:port"}
    assert tenant_of_article_id(f"{B}/feed:port") == B and tenant_of_article_id("seeds/x.txt") == GLOBAL_TENANT


def test_a_run_removes_only_its_own_tenants_articles(tmp_path: Path, fake_embeddings) -> None:
    service = unseeded_service(tmp_path, fake_embeddings)
    folder = write_folder(tmp_path, "global", ferry=FERRY)
    service.index([folder])
    service.indexer.index(tagged([_article("dam", DAM)], A), tenant=A, remove_scope=lambda origin: True)
    service.indexer.index(tagged([_article("port", PORT)], B), tenant=B, remove_scope=lambda origin: True)

    service.indexer.index([], tenant=A, remove_scope=lambda origin: True)  # A removed its feed
    service.indexer.index([], remove_scope=lambda origin: True)  # the operator's run with nothing configured
    left = {str(r["id"]): r["tenant"] for r in service.store.iter_articles()}
    assert f"{A}/feed:dam" not in left and f"{B}/feed:port" in left
    assert sorted(left.values()) == sorted([GLOBAL_TENANT, B])  # the operator's ferry stays

    assert service.forget_tenant(B) == 1
    assert {str(r["id"]) for r in service.store.iter_articles(tenants=frozenset({B}))} == set()
    assert not [h for h in service.searcher.search("port breakwater", k=10) if h.chunk.tenant == B]


def test_records_from_before_tenants_are_the_operators(tmp_path: Path, fake_embeddings) -> None:
    service = unseeded_service(tmp_path, fake_embeddings)
    chunks_col, _ = service.store.collections()
    vector = np.asarray([fake_embeddings.embed_query(DAM)], dtype=np.float32)
    chunks_col.add(ids=["old:0"], embeddings=vector, documents=[DAM], metadatas=[{"article_id": "old", "n": 0}])
    for marker in service.store.state_dir.glob("*.tenants"):
        marker.unlink()  # as an index written by the previous version
    reopened = ChromaStore.from_settings(service.settings, fake_embeddings)
    hits = reopened.query(fake_embeddings.embed_query(DAM), 5, where={"tenant": {"$in": [GLOBAL_TENANT]}})
    assert [c.id for c, _ in hits] == ["old:0"] and hits[0][0].tenant == GLOBAL_TENANT
    view = frozenset({GLOBAL_TENANT, A})
    assert [c.id for c, _ in reopened.query(fake_embeddings.embed_query(DAM), 5, tenants=view)] == ["old:0"]


def test_the_store_is_asked_for_the_tenants_never_for_a_tenant_where(tmp_path: Path, fake_embeddings) -> None:
    """Chroma's `where` on the tenant field scans metadata (50x an unfiltered query at 30k chunks):
    a server's view reads its collections unfiltered instead, dates being the only `where`."""
    service = unseeded_service(tmp_path, fake_embeddings)
    service.index([write_folder(tmp_path, "global", ferry=FERRY)])
    service.indexer.index(tagged([_article("dam", DAM)], A), tenant=A, remove_scope=lambda origin: True)
    service.indexer.index(tagged([_article("port", PORT)], B), tenant=B, remove_scope=lambda origin: True)
    calls: list[tuple[object, object]] = []
    query = service.store.query

    def recording(vector: list[float], k: int, where: dict[str, object] | None = None,
                  tenants: frozenset[str] | None = None) -> list:
        calls.append((where, tenants))
        return query(vector, k, where, tenants)

    service.store.query = recording  # type: ignore[method-assign]
    view = frozenset({GLOBAL_TENANT, A})
    hits = service.searcher.search("port breakwater cracks", k=5, tenants=view)
    assert calls == [(None, view)] and hits and all(h.chunk.tenant in view for h in hits)
