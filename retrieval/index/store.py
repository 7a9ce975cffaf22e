"""Chroma, embedded or server, behind one small class.

Two collections make one index generation: `<gen>_chunks` (vectors + chunk metadata) and
`<gen>_articles` (one record per article: content hash, chunk count, metadata). A pointer file
names the live generation; a full rebuild writes a new generation and switches the pointer
atomically, so readers never see a half-built index.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from retrieval.errors import EmbedderMismatchError
from retrieval.files import write_atomically
from retrieval.index.records import VIA_CONFIGURED, Via, article_metadata, chunk_from_record, chunk_metadata
from retrieval.models import Article, Chunk
from retrieval.settings import Settings

logger = logging.getLogger(__name__)

POINTER_FILE = "ACTIVE_GENERATION"
FIRST_GENERATION = "briefbot_g1"
GET_PAGE_SIZE = 2000
PLACEHOLDER_VECTOR = [1.0]  # article records are looked up by id, never by vector
# HNSW candidate list per query (Chroma's default is 10). A small k (answers, briefs) would otherwise
# get an approximate top-k that can differ between two opens of the same index; 100 costs < 1 ms here.
HNSW_SEARCH_EF = 100
# Embedded Chroma holds the GIL for a whole write, and every `sync_threshold` rows that write also
# persists the HNSW index (measured alone at 30k chunks: max 188 ms with the default 1,000, 95 ms with 100).
# Small slices and frequent small flushes keep the bot's event loop answering during a re-index.
HNSW_SYNC_THRESHOLD_ROWS = 100
WRITE_SLICE_ROWS = 25
TUNE_ATTEMPTS = 5  # tries to apply the settings above to an older collection


def client_from_settings(settings: Settings) -> ClientAPI:
    """An HttpClient when CHROMA_HOST is set, else an embedded PersistentClient under the data dir."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def tune_hnsw(collection: Collection) -> None:
    """Give a collection made before these settings existed the current ones (Chroma changes both in place)."""
    hnsw = dict((collection.configuration or {}).get("hnsw") or {})
    wanted = {"ef_search": HNSW_SEARCH_EF, "sync_threshold": HNSW_SYNC_THRESHOLD_ROWS}
    if not hnsw or all(hnsw.get(key) == value for key, value in wanted.items()):
        return
    retrying = Retrying(retry=retry_if_exception(_is_busy_database), stop=stop_after_attempt(TUNE_ATTEMPTS),
                        wait=wait_exponential(multiplier=0.1, max=1.0), reraise=True)
    try:
        retrying(collection.modify, configuration={"hnsw": wanted})
    except Exception as error:  # an older server may refuse: searching still works
        logger.warning("Could not update the HNSW settings of %s: %s", collection.name, error)


def _is_busy_database(error: BaseException) -> bool:
    """SQLite's "database is locked": another writer (often Chroma's own background work) for a moment."""
    return "database is locked" in str(error)


class ChromaStore:
    """The live index generation, re-read from the pointer file so other processes' switches are seen."""

    def __init__(self, client: ClientAPI, embeddings: Embeddings, state_dir: Path) -> None:
        self.client = client
        self.embeddings = embeddings
        self.state_dir = state_dir
        self._generation = ""
        self._chunks: Collection | None = None
        self._articles: Collection | None = None
        self._writes = 0

    @classmethod
    def from_settings(cls, settings: Settings, embeddings: Embeddings) -> ChromaStore:
        return cls(client_from_settings(settings), embeddings, settings.index_dir)

    # --- generations -------------------------------------------------------------------------
    @property
    def embedder_id(self) -> str:
        return str(getattr(self.embeddings, "model_id", type(self.embeddings).__name__))

    @property
    def dimension(self) -> int:
        return int(getattr(self.embeddings, "dimension", 0))

    def active_generation(self) -> str:
        pointer = self.state_dir / POINTER_FILE
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            name = ""
        return name or FIRST_GENERATION

    def switch_to(self, generation: str) -> None:
        write_atomically(self.state_dir / POINTER_FILE, generation + "\n")
        self._generation = ""

    def list_generations(self) -> list[str]:
        names = {c if isinstance(c, str) else c.name for c in self.client.list_collections()}
        return sorted({n.rsplit("_", 1)[0] for n in names if n.endswith(("_chunks", "_articles"))})

    def drop_generation(self, generation: str) -> None:
        for suffix in ("_chunks", "_articles"):
            with contextlib.suppress(Exception):  # already gone is fine
                self.client.delete_collection(generation + suffix)

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

    def _open(self, name: str, space: str = "cosine") -> Collection:
        metadata = {"hnsw:space": space, "hnsw:search_ef": HNSW_SEARCH_EF,
                    "hnsw:sync_threshold": HNSW_SYNC_THRESHOLD_ROWS, "embedder": self.embedder_id,
                    "dimension": self.dimension}
        collection = self.client.get_or_create_collection(name, metadata=metadata, embedding_function=None)
        self._check_embedder(collection)
        tune_hnsw(collection)
        return collection

    def _check_embedder(self, collection: Collection) -> None:
        meta = collection.metadata or {}
        built_by, built_dim = meta.get("embedder"), meta.get("dimension")
        if built_by != self.embedder_id or int(built_dim or 0) != self.dimension:
            raise EmbedderMismatchError(
                f"The index was built with the embedder {built_by!r} ({built_dim} dimensions), but "
                f"{self.embedder_id!r} ({self.dimension} dimensions) is configured. "
                "Re-index with `briefbot index --rebuild`."
            )

    @property
    def version(self) -> str:
        """Changes when an index run (here or in another process) has ended or the live generation changed."""
        stamp = self.state_dir / "last_indexed.json"
        mtime = stamp.stat().st_mtime_ns if stamp.exists() else 0
        return f"{self.active_generation()}:{mtime}:{self._writes}"

    def mark_indexed(self, when_iso: str) -> None:
        write_atomically(self.state_dir / "last_indexed.json", json.dumps({"last_indexed": when_iso}))
        self.mark_changed()

    def mark_changed(self) -> None:
        """Writes are published by an index run's end, not one by one: rebuilding BM25 over the whole
        corpus after every article would stall the bot for seconds during a re-index."""
        self._writes += 1

    def last_indexed(self) -> str | None:
        try:
            data = json.loads((self.state_dir / "last_indexed.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return str(data.get("last_indexed")) or None

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
        """Upsert an article's chunks, delete its stale ones, then record its hash (last, so a crash
        in between leaves the old hash and the article is redone next time)."""
        chunk_col, article_col = self.collections(generation)
        matrix = np.asarray(vectors, dtype=np.float32)
        for start in range(0, len(chunks), WRITE_SLICE_ROWS):
            part = slice(start, start + WRITE_SLICE_ROWS)
            chunk_col.upsert(
                ids=[c.id for c in chunks[part]],
                embeddings=matrix[part],
                documents=[c.text for c in chunks[part]],
                metadatas=[chunk_metadata(c) for c in chunks[part]],
            )
        keep = {c.id for c in chunks}
        stale = [i for i in chunk_col.get(where={"article_id": article.id}, include=[])["ids"] if i not in keep]
        if stale:
            chunk_col.delete(ids=stale)
        article_col.upsert(
            ids=[article.id],
            embeddings=np.asarray([PLACEHOLDER_VECTOR], dtype=np.float32),
            documents=[article.title],
            metadatas=[article_metadata(article, content_hash, len(chunks), via)],
        )

    def update_records(self, changes: dict[str, dict[str, str]], generation: str | None = None) -> None:
        """Change some metadata of article records (how they came in, their origin); chunks and
        vectors stay as they are."""
        if changes:
            _, article_col = self.collections(generation)
            article_col.update(ids=list(changes), metadatas=list(changes.values()))

    def delete_articles(self, article_ids: Sequence[str], generation: str | None = None) -> None:
        chunk_col, article_col = self.collections(generation)
        for article_id in article_ids:
            chunk_col.delete(where={"article_id": article_id})
        if article_ids:
            article_col.delete(ids=list(article_ids))

    # --- reads -------------------------------------------------------------------------------
    def query(self, vector: list[float], k: int, where: dict[str, Any] | None = None) -> list[tuple[Chunk, float]]:
        chunk_col, _ = self.collections()
        if chunk_col.count() == 0:
            return []
        result = chunk_col.query(
            query_embeddings=np.asarray([vector], dtype=np.float32),
            n_results=min(k, chunk_col.count()),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        ids, docs = result["ids"][0], (result["documents"] or [[]])[0]
        metas, dists = (result["metadatas"] or [[]])[0], (result["distances"] or [[]])[0]
        return [
            (chunk_from_record(i, d or "", dict(m or {})), 1.0 - float(dist))
            for i, d, m, dist in zip(ids, docs, metas, dists, strict=True)
        ]

    def iter_chunks(self) -> Iterator[Chunk]:
        chunk_col, _ = self.collections()
        for ids, metas, docs in _paged_docs(chunk_col):
            for chunk_id, meta, doc in zip(ids, metas, docs, strict=True):
                yield chunk_from_record(chunk_id, doc or "", meta or {})

    def iter_articles(self, generation: str | None = None) -> Iterator[dict[str, Any]]:
        """Article records (metadata dicts with `id`), for stats, autocomplete, briefs and removal."""
        _, article_col = self.collections(generation)
        for ids, metas in paged(article_col, include=["metadatas"]):
            for article_id, meta in zip(ids, metas, strict=True):
                yield {"id": article_id, **(meta or {})}

    def count_chunks(self, generation: str | None = None) -> int:
        return self.collections(generation)[0].count()

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


def paged(collection: Collection, include: list[Any]) -> Iterator[tuple[list[str], list[Any]]]:
    """(ids, metadatas) of a collection, a page at a time."""
    offset = 0
    while True:
        page = collection.get(include=include, limit=GET_PAGE_SIZE, offset=offset)
        if not page["ids"]:
            return
        yield page["ids"], list(page["metadatas"] or [{}] * len(page["ids"]))
        offset += len(page["ids"])


def _paged_docs(collection: Collection) -> Iterator[tuple[list[str], list[Any], list[Any]]]:
    offset = 0
    while True:
        page = collection.get(include=["metadatas", "documents"], limit=GET_PAGE_SIZE, offset=offset)
        if not page["ids"]:
            return
        yield page["ids"], list(page["metadatas"] or []), list(page["documents"] or [])
        offset += len(page["ids"])
