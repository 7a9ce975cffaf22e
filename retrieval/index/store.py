"""Chroma, embedded or server, behind one small class.

An index generation is `<gen>_chunks` (the operator's vectors + chunk metadata), one
`<gen>_chunks_g<guild id>` per server that added sources (`retrieval.index.tenant_collections`), and
`<gen>_articles` (one record per article: content hash, chunk count, metadata, tenant). A pointer file
names the live generation (`retrieval.index.live_generation`); a full rebuild writes a new generation
and switches the pointer atomically, so readers never see a half-built index. How a collection is
opened is `retrieval.index.collection_setup`; the dense query over several is `retrieval.index.nearest_chunks`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.errors import NotFoundError
from langchain_core.embeddings import Embeddings

from retrieval.index.chroma_client import (
    SERVER_WRITE_SLICE_ROWS,
    WRITE_SLICE_ROWS,
    client_from_settings,
    paged,
    paged_docs,
)
from retrieval.index.collection_setup import open_collection
from retrieval.index.lexical import LexicalStore
from retrieval.index.lexical_files import LexicalFiles
from retrieval.index.live_generation import last_run, last_run_stamp, live_generation, point_to, record_last_run
from retrieval.index.nearest_chunks import nearest_among
from retrieval.index.records import VIA_CONFIGURED, Via, chunk_from_record, record_tenant, tenant_where
from retrieval.index.tenant_collections import chunk_collection_name, chunk_tenants, generation_of
from retrieval.index.writes import ArticleWrite, replace_articles
from retrieval.ingest.tenants import tenant_of_article_id
from retrieval.models import GLOBAL_TENANT, Article, Chunk
from retrieval.settings import Settings

logger = logging.getLogger(__name__)


class ChromaStore:
    """The live index generation, re-read from the pointer file so other processes' switches are seen."""

    def __init__(self, client: ClientAPI, embeddings: Embeddings, state_dir: Path,
                 write_slice_rows: int = WRITE_SLICE_ROWS) -> None:
        self.client = client
        self.write_slice_rows = write_slice_rows
        self.embeddings = embeddings
        self.state_dir = state_dir
        self._generation = ""
        self._chunks: Collection | None = None
        self._articles: Collection | None = None
        self._writes = 0
        self._opened: dict[str, Collection] = {}  # servers' chunk collections, by name
        self._names: tuple[str, list[str]] | None = None  # (version, the client's collection names)
        self.lexical_files = LexicalFiles(state_dir)

    @classmethod
    def from_settings(cls, settings: Settings, embeddings: Embeddings) -> ChromaStore:
        slice_rows = SERVER_WRITE_SLICE_ROWS if settings.chroma_host else WRITE_SLICE_ROWS
        return cls(client_from_settings(settings), embeddings, settings.index_dir, slice_rows)

    # --- generations -------------------------------------------------------------------------
    @property
    def embedder_id(self) -> str:
        return str(getattr(self.embeddings, "model_id", type(self.embeddings).__name__))

    @property
    def dimension(self) -> int:
        return int(getattr(self.embeddings, "dimension", 0))

    def active_generation(self) -> str:
        return live_generation(self.state_dir)

    def switch_to(self, generation: str) -> None:
        point_to(self.state_dir, generation)
        self._generation = ""

    def list_generations(self) -> list[str]:
        return sorted({g for g in map(generation_of, self._collection_names(fresh=True)) if g})

    def _collection_names(self, fresh: bool = False) -> list[str]:
        """The client's collection names, listed again when the index changed (here or in another process)."""
        version = self.version
        if fresh or self._names is None or self._names[0] != version:
            names = [c if isinstance(c, str) else c.name for c in self.client.list_collections()]
            self._names = (version, names)
        return self._names[1]

    def lexical(self, generation: str | None = None) -> LexicalStore:
        """A generation's lexical index and article table (`retrieval.index.lexical`); the live one is
        built from this store once when the index predates it."""
        if generation is not None:
            return self.lexical_files.open(generation)
        return self.lexical_files.live(self, self.active_generation())

    def drop_generation(self, generation: str) -> None:
        self.lexical_files.drop(generation)
        for name in self._collection_names(fresh=True):
            if generation_of(name) == generation:
                self._drop_collection(name)

    def _drop_collection(self, name: str) -> None:
        self._opened.pop(name, None)
        self._names = None
        with contextlib.suppress(Exception):  # already gone is fine
            self.client.delete_collection(name)

    def collections(self, generation: str | None = None) -> tuple[Collection, Collection]:
        """(chunks, articles) of a generation (default: the live one), created if missing."""
        name = generation or self.active_generation()
        if generation is None and name == self._generation and self._chunks and self._articles:
            return self._chunks, self._articles
        chunks = self._open(name + "_chunks")
        articles = self._open(name + "_articles", space="l2")
        if generation is None:
            self._generation, self._chunks, self._articles = name, chunks, articles
        return chunks, articles

    def chunk_collection(self, tenant: str, generation: str | None = None) -> Collection:
        """One tenant's chunk collection in a generation (default: the live one), created if missing."""
        if tenant == GLOBAL_TENANT:
            return self.collections(generation)[0]
        name = chunk_collection_name(generation or self.active_generation(), tenant)
        if name not in self._opened:
            self._opened[name] = self._open(name, backfill=False)
            self._names = None
        return self._opened[name]

    def chunk_collections(self, tenants: frozenset[str] | None = None,
                          generation: str | None = None) -> list[Collection]:
        """The chunk collections of `tenants` (None: every tenant) that exist in a generation, the
        operator's first; a server's is never created by reading."""
        return [self.chunk_collection(t, generation) for t in self._indexed_tenants(tenants, generation)]

    def _indexed_tenants(self, tenants: frozenset[str] | None, generation: str | None) -> list[str]:
        present = chunk_tenants(self._collection_names(), generation or self.active_generation())
        wanted = [t for t in present if tenants is None or t in tenants]
        if GLOBAL_TENANT not in present and (tenants is None or GLOBAL_TENANT in tenants):
            wanted.insert(0, GLOBAL_TENANT)  # created, as before tenants existed
        return wanted

    def _forget_opened(self) -> None:
        """Drop every cached collection: another process removed one (a server forgotten, a rebuild)."""
        self._opened.clear()
        self._names = None
        self._generation = ""

    def _open(self, name: str, space: str = "cosine", backfill: bool = True) -> Collection:
        """Opened as `retrieval.index.collection_setup` says: embedder checked, HNSW tuned, tenants backfilled."""
        return open_collection(self.client, name, embedder_id=self.embedder_id, dimension=self.dimension,
                               state_dir=self.state_dir, space=space, backfill=backfill)

    @property
    def version(self) -> str:
        """Changes when an index run (here or in another process) has ended or the live generation changed."""
        return f"{self.active_generation()}:{last_run_stamp(self.state_dir)}:{self._writes}"

    def mark_indexed(self, when_iso: str) -> None:
        record_last_run(self.state_dir, when_iso)
        self.mark_changed()

    def mark_changed(self) -> None:
        """Writes are published by an index run's end, not one by one: rebuilding BM25 over the whole
        corpus after every article would stall the bot for seconds during a re-index."""
        self.lexical_files.flush()  # the lexical postings are published here too (`lexical`)
        self._writes += 1

    def last_indexed(self) -> str | None:
        return last_run(self.state_dir)

    # --- writes ------------------------------------------------------------------------------
    def replace_article(
        self,
        article: Article,
        content_hash: str,
        chunks: Sequence[Chunk],
        vectors: Sequence[Sequence[float]],
        generation: str | None = None,
        via: Via = VIA_CONFIGURED,
    ) -> None:
        """Store one article (see `replace_articles`)."""
        self.replace_articles([ArticleWrite(article, content_hash, chunks, vectors, via)], generation)

    def replace_articles(self, writes: Sequence[ArticleWrite], generation: str | None = None) -> None:
        """Upsert the articles' chunks, delete their stale ones, then record their hashes, in requests of
        `write_slice_rows` rows (`retrieval.index.writes`: crash-safe as one article)."""
        replace_articles(self, writes, self.write_slice_rows, generation)

    def update_records(self, changes: dict[str, dict[str, str]], generation: str | None = None) -> None:
        """Change some metadata of article records (how they came in, their origin); chunks and
        vectors stay as they are."""
        if changes:
            _, article_col = self.collections(generation)
            article_col.update(ids=list(changes), metadatas=list(changes.values()))
            self.lexical(generation).update_meta(changes)

    def delete_tenant(self, tenant: str, generation: str | None = None) -> list[str]:
        """Remove every article and chunk of one tenant (a server the bot left): its chunk collection
        is dropped whole, then its article records go; returns the article ids."""
        if tenant == GLOBAL_TENANT:
            raise ValueError("the operator's global articles are never removed by tenant")
        ids = [str(r["id"]) for r in self.iter_articles(generation, tenants=frozenset({tenant}))]
        lexical = self.lexical(generation)
        lexical.mark_pending(ids)  # still listed (for the next removal to finish) if a crash comes now
        self._drop_collection(chunk_collection_name(generation or self.active_generation(), tenant))
        if ids:
            self.collections(generation)[1].delete(ids=ids)
        lexical.delete_articles(ids)
        return ids

    def delete_articles(self, article_ids: Sequence[str], generation: str | None = None) -> None:
        _, article_col = self.collections(generation)
        lexical = self.lexical(generation)
        lexical.mark_pending(article_ids)  # still listed (for the next run to finish) if a crash comes now
        by_tenant = self._tenants_of(article_ids, article_col)
        for tenant in self._indexed_tenants(frozenset(by_tenant), generation):
            chunk_col = self.chunk_collection(tenant, generation)
            for article_id in by_tenant[tenant]:
                chunk_col.delete(where={"article_id": article_id})
        if article_ids:
            article_col.delete(ids=list(article_ids))
        lexical.delete_articles(article_ids)

    @staticmethod
    def _tenants_of(article_ids: Sequence[str], article_col: Collection) -> dict[str, list[str]]:
        """The articles by the tenant whose collection holds their chunks: the record's tenant, else
        (no record: a crash between chunks and record) the one named in the id."""
        known: dict[str, Any] = {}
        if article_ids:
            records = article_col.get(ids=list(article_ids), include=["metadatas"])
            known = dict(zip(records["ids"], records["metadatas"] or [], strict=True))
        by_tenant: dict[str, list[str]] = {}
        for article_id in article_ids:
            meta = known.get(article_id)
            tenant = record_tenant(meta or {}) if article_id in known else tenant_of_article_id(article_id)
            by_tenant.setdefault(tenant, []).append(article_id)
        return by_tenant

    # --- reads -------------------------------------------------------------------------------
    def query(self, vector: list[float], k: int, where: dict[str, Any] | None = None,
              tenants: frozenset[str] | None = None) -> list[tuple[Chunk, float]]:
        """The k chunks nearest `vector` among `tenants`' (None: every tenant's): each tenant's own
        collection is searched without a tenant filter (`where` is for dates), and the lists merged."""
        try:
            return self._query(np.asarray([vector], dtype=np.float32), k, where, tenants)
        except NotFoundError:  # a cached collection was removed by another process: look again
            self._forget_opened()
            return self._query(np.asarray([vector], dtype=np.float32), k, where, tenants)

    def _query(self, query: np.ndarray, k: int, where: dict[str, Any] | None,
               tenants: frozenset[str] | None) -> list[tuple[Chunk, float]]:
        return nearest_among(self.chunk_collections(tenants), query, k, where)

    def iter_chunks(self, tenants: frozenset[str] | None = None) -> Iterator[Chunk]:
        for chunk_col in self.chunk_collections(tenants):
            for ids, metas, docs in paged_docs(chunk_col):
                for chunk_id, meta, doc in zip(ids, metas, docs, strict=True):
                    yield chunk_from_record(chunk_id, doc or "", meta or {})

    def iter_articles(
        self, generation: str | None = None, tenants: frozenset[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Article records (metadata dicts with `id`), for stats, autocomplete, briefs and removal;
        only `tenants`' (a `where` in the store) when given."""
        _, article_col = self.collections(generation)
        for ids, metas in paged(article_col, include=["metadatas"], where=tenant_where(tenants)):
            for article_id, meta in zip(ids, metas, strict=True):
                yield {"id": article_id, **(meta or {})}

    def count_chunks(self, generation: str | None = None) -> int:
        return sum(c.count() for c in self.chunk_collections(generation=generation))

    def count_articles(self, generation: str | None = None) -> int:
        return self.collections(generation)[1].count()

    def as_langchain(self) -> Any:
        """The live chunks as a `langchain_chroma.Chroma` on the injected client."""
        from langchain_chroma import Chroma

        return Chroma(
            client=self.client,
            collection_name=self.active_generation() + "_chunks",
            embedding_function=self.embeddings,
            collection_metadata={"hnsw:space": "cosine"},
        )
