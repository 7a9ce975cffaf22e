"""Incremental, single-writer indexing: unchanged articles cost nothing, changed ones are replaced whole."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from langchain_core.embeddings import Embeddings

from retrieval.errors import ReindexRunningError
from retrieval.index import chunking
from retrieval.index.generations import Generations
from retrieval.index.records import VIA_CONFIGURED, VIA_PATH, Via, record_tenant, record_via
from retrieval.index.retention import cutoff_day, recent, split_expired
from retrieval.index.store import ChromaStore
from retrieval.index.writer_lock import WriterLock
from retrieval.index.writes import ArticleWrite
from retrieval.ingest.local_files import kept_source
from retrieval.models import GLOBAL_TENANT, Article, Failure, IndexProgress, IndexReport

EMBED_BATCH_CHUNKS = 256  # chunks embedded per call; progress is reported between batches
ProgressCallback = Callable[[IndexProgress], None]


def content_hash(article: Article, embedder_id: str) -> str:
    """Everything that changes what gets stored: text, metadata, the chunker and the embedder."""
    payload = [
        article.title, article.url, str(article.published), article.outlet, list(article.outlets),
        article.text, list(article.key_points), list(article.contradictions),
        getattr(chunking, "CHUNKER_VERSION", "1"), embedder_id,
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass
class _Tally:
    total: int
    done: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    embedded: int = 0
    failures: list[Failure] = field(default_factory=list)

    def progress(self, current: str = "") -> IndexProgress:
        return IndexProgress(
            total=self.total, done=self.done, added=self.added, updated=self.updated,
            unchanged=self.unchanged, failed=len(self.failures), current=current,
        )


class Indexer:
    """Writes articles into the store. One writer at a time, across processes (a file lock, or the
    PostgreSQL advisory lock of `writer_lock`, which holds across machines)."""

    def __init__(self, store: ChromaStore, embeddings: Embeddings, lock_path: Path | WriterLock,
                 retention_days: int | None = None) -> None:
        self.store = store
        self.retention_days = retention_days  # see `retention`
        self.embeddings = embeddings
        if isinstance(lock_path, Path):
            lock_path.parent.mkdir(parents=True, exist_ok=True)
        self.lock: WriterLock = FileLock(str(lock_path), timeout=0) if isinstance(lock_path, Path) else lock_path
        self.generations = Generations(store, embeddings)

    def index(
        self,
        articles: Sequence[Article],
        *,
        failures: Iterable[Failure] = (),
        remove_scope: Callable[[str], bool] | None = None,
        keep_origins: Iterable[str] = (),
        merged_duplicates: int = 0,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
        via: Via = VIA_CONFIGURED,
        tenant: str = GLOBAL_TENANT,
    ) -> IndexReport:
        """Index `articles`; remove stored articles whose origin is in `remove_scope` but are gone.

        Nothing is removed from an origin in `keep_origins` (e.g. a feed that answered 304) or from
        one that failed this time (missing, unreadable, empty: see `local_files.kept_source`).
        `via` says whether this is a run over the configured sources or `briefbot index PATH`: the
        former never removes an article the latter brought in (see `records.Via`). A rebuild
        removes no more than an incremental run (see `generations`). A run removes only `tenant`'s
        articles: one server's run never touches the operator's or another server's."""
        try:
            self.lock.acquire()
        except Timeout:
            raise ReindexRunningError("A re-index is already running. Try again when it has finished.") from None
        failures = list(failures)
        keep = frozenset(keep_origins) | {k for k in map(kept_source, failures) if k is not None}
        try:
            return self._index_locked(
                _unique(articles), failures, _Scope(remove_scope, keep, via, tenant), merged_duplicates, rebuild,
                progress,
            )
        finally:
            self.store.mark_changed()  # also after a failed run: what it wrote is live
            self.lock.release()

    def prune(self, before: date) -> IndexReport:
        """Remove every article published before `before`, with all that is stored for it (see `retention`)."""
        started = time.perf_counter()
        with self._locked():
            gone = self.store.lexical().published_before(before.toordinal())
            self.store.delete_articles(gone)
            self.store.mark_indexed(datetime.now(UTC).isoformat(timespec="seconds"))
        return IndexReport(removed=len(gone), seconds=round(time.perf_counter() - started, 3))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.lock.acquire()
        except Timeout:
            raise ReindexRunningError("A re-index is already running. Try again when it has finished.") from None
        try:
            yield
        finally:
            self.store.mark_changed()
            self.lock.release()

    def _index_locked(
        self,
        articles: list[Article],
        failures: list[Failure],
        scope: _Scope,
        merged_duplicates: int,
        rebuild: bool,
        progress: ProgressCallback | None,
    ) -> IndexReport:
        started = time.perf_counter()
        cutoff = cutoff_day(self.retention_days, datetime.now(UTC).date())
        articles = recent(articles, cutoff)
        generation = self.generations.staging() if rebuild else None
        # The article table beside the lexical index, not Chroma's records: one SQLite read (see `lexical`).
        records = self.generations.live_records() if rebuild else self.store.lexical().records()
        live = {str(r["id"]): r for r in records}
        stored = {} if rebuild else {i: str(r.get("content_hash", "")) for i, r in live.items()}
        planned = [_as_stored(a, scope.via, live.get(a.id)) for a in articles]
        articles, vias = [a for a, _ in planned], {a.id: via for a, via in planned}
        tally = _Tally(total=len(articles), failures=failures)
        todo: list[tuple[Article, str]] = []
        unchanged: list[Article] = []
        for article in articles:
            digest = content_hash(article, self.store.embedder_id)
            if stored.get(article.id) == digest:
                unchanged.append(article)
            else:
                todo.append((article, digest))
        tally.unchanged = tally.done = len(unchanged)
        self.store.update_records(_record_changes(unchanged, vias, live))  # none in a rebuild
        _notify(progress, tally.progress())
        self._embed_and_store(todo, stored, tally, generation, progress, vias)
        gone, stays, kept = _plan_removal(live.values(), {a.id for a in articles}, scope)
        stays, expired = split_expired(stays, live, cutoff)
        gone += expired
        if generation is None:
            self.store.delete_articles(gone)
        else:
            tally.embedded += self.generations.carry_over(stays, generation)
            self.generations.validate_and_switch(generation, len(articles) + len(stays))
        self.store.mark_indexed(datetime.now(UTC).isoformat(timespec="seconds"))
        return IndexReport(
            added=tally.added, updated=tally.updated, unchanged=tally.unchanged, removed=len(gone),
            merged_duplicates=merged_duplicates, chunks_embedded=tally.embedded,
            failures=_with_kept_counts(tally.failures, kept), seconds=round(time.perf_counter() - started, 3),
        )

    def _embed_and_store(
        self,
        todo: list[tuple[Article, str]],
        stored: dict[str, str],
        tally: _Tally,
        generation: str | None,
        progress: ProgressCallback | None,
        vias: dict[str, Via],
    ) -> None:
        for group in _batches_by_chunks(todo):
            chunked = [(article, digest, chunking.chunk_article(article)) for article, digest in group]
            texts = [chunking.text_for_embedding(c) for _, _, chunks in chunked for c in chunks]
            vectors = self.embeddings.embed_documents(texts) if texts else []
            tally.embedded += len(texts)
            writes, offset = [], 0
            for article, digest, chunks in chunked:
                writes.append(ArticleWrite(article, digest, chunks, vectors[offset: offset + len(chunks)],
                                           vias[article.id]))
                offset += len(chunks)
            self.store.replace_articles(writes, generation)
            for article, _, _ in chunked:
                if article.id in stored:
                    tally.updated += 1
                else:
                    tally.added += 1
                tally.done += 1
            _notify(progress, tally.progress(current=group[-1][0].title))


@dataclass(frozen=True)
class _Scope:
    """What a run may remove: stored articles whose origin is in `remove_scope` and not kept, and,
    for a run over the configured sources, only those configured sources brought in."""

    remove_scope: Callable[[str], bool] | None
    keep_origins: frozenset[str]
    via: Via
    tenant: str = GLOBAL_TENANT

    def removable(self, record: dict[str, Any]) -> bool:
        if record_tenant(record) != self.tenant:
            return False
        origin = str(record.get("origin", ""))
        if self.remove_scope is None or not self.remove_scope(origin):
            return False
        return self.via == VIA_PATH or record_via(record) == VIA_CONFIGURED


def _plan_removal(
    live: Iterable[dict[str, Any]], present: set[str], scope: _Scope
) -> tuple[list[str], list[str], dict[str, int]]:
    """(gone, stays, kept): live articles this run removes; the others it does not rewrite (a rebuild
    copies them over); and how many each kept origin kept."""
    gone: list[str] = []
    stays: list[str] = []
    kept: dict[str, int] = {}
    for record in live:
        article_id = str(record["id"])
        if article_id in present:
            continue
        removable = scope.removable(record)
        keeper = _keeper(str(record.get("origin", "")), scope.keep_origins) if removable else None
        if removable and keeper is None:
            gone.append(article_id)
            continue
        if keeper is not None:
            kept[keeper] = kept.get(keeper, 0) + 1
        stays.append(article_id)
    return gone, stays, kept


def _as_stored(article: Article, via: Via, record: dict[str, Any] | None) -> tuple[Article, Via]:
    """The article as this run stores it, and how it came in. A path run over an article that a
    configured source brought in leaves it that source's: its via, and its origin (which removal
    and keeping go by). A configured run takes over an article indexed by path."""
    if via == VIA_PATH and record is not None and record_via(record) == VIA_CONFIGURED:
        return article.model_copy(update={"origin": str(record.get("origin", article.origin))}), VIA_CONFIGURED
    return article, via


def _record_changes(
    unchanged: list[Article], vias: dict[str, Via], live: dict[str, dict[str, Any]]
) -> dict[str, dict[str, str]]:
    """Record updates for unchanged articles: an article indexed by path that a configured source
    now holds becomes that source's (via and origin), without re-embedding it."""
    changes: dict[str, dict[str, str]] = {}
    for article in unchanged:
        record = live[article.id]
        change: dict[str, str] = {"via": vias[article.id]} if record_via(record) != vias[article.id] else {}
        if str(record.get("origin", "")) != article.origin:
            change["origin"] = article.origin
        if change:
            changes[article.id] = change
    return changes


def _keeper(origin: str, keep_origins: frozenset[str]) -> str | None:
    """The kept origin that keeps this one: itself, or for a folder, the folder holding it."""
    if origin in keep_origins:
        return origin
    return next((k for k in sorted(keep_origins) if origin.startswith(k.rstrip("/") + "/")), None)


def _with_kept_counts(failures: list[Failure], kept: dict[str, int]) -> tuple[Failure, ...]:
    """Say in a failure's reason how many indexed articles it kept (once per kept origin)."""
    said: set[str] = set()
    shown: list[Failure] = []
    for failure in failures:
        source = kept_source(failure)
        count = kept.get(source, 0) if source is not None and source not in said else 0
        if count:
            said.add(str(source))
            plural = "article" if count == 1 else "articles"
            reason = f"{failure.reason}; kept its {count} {plural} indexed before"
            failure = failure.model_copy(update={"reason": reason})
        shown.append(failure)
    return tuple(shown)


def _unique(articles: Sequence[Article]) -> list[Article]:
    """One article per id (the first wins), so a duplicate id can't be written twice."""
    seen: dict[str, Article] = {}
    for article in articles:
        seen.setdefault(article.id, article)
    return list(seen.values())


def _batches_by_chunks(todo: list[tuple[Article, str]]) -> Iterable[list[tuple[Article, str]]]:
    """Groups of articles holding roughly EMBED_BATCH_CHUNKS chunks (estimated from text length)."""
    group: list[tuple[Article, str]] = []
    estimate = 0
    for item in todo:
        group.append(item)
        estimate += 1 + len(item[0].text) // 900
        if estimate >= EMBED_BATCH_CHUNKS:
            yield group
            group, estimate = [], 0
    if group:
        yield group


def _notify(progress: ProgressCallback | None, update: IndexProgress) -> None:
    if progress is not None:
        progress(update)

