"""The one service the command line and the bot both call.

`BriefbotService` holds the index path (sources collected, the indexer, a tenant's run or removal), the
brief and the reads of what is indexed; a question's path is `retrieval.service_answers.QuestionAnswerer`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import Timeout
from langchain_core.embeddings import Embeddings

from retrieval.errors import ReindexRunningError
from retrieval.index import catalog
from retrieval.index.embeddings import embeddings_from_settings
from retrieval.index.indexer import Indexer, ProgressCallback
from retrieval.index.listing import ArticleMatches, matching_records, words
from retrieval.index.records import VIA_CONFIGURED, VIA_PATH
from retrieval.index.store import ChromaStore
from retrieval.index.stored_articles import stored_article
from retrieval.index.writer_lock import writer_lock_from_settings
from retrieval.ingest.configured_sources import SourcesConfig
from retrieval.ingest.fetch import SafeFetcher
from retrieval.ingest.loaders import load_folder, load_paths
from retrieval.llm import ChatClient, Completion, UsageCallback
from retrieval.models import Answer, Article, IndexReport, IndexStats, ScoredChunk, Turn
from retrieval.search.hybrid import HybridSearcher
from retrieval.search.windows import window_start
from retrieval.service_answers import QuestionAnswerer
from retrieval.settings import Settings

if TYPE_CHECKING:
    from retrieval.brief.models import Brief
    from retrieval.brief.topics import TopicFilter

log = logging.getLogger(__name__)

NEWEST_ARTICLES_SHOWN = 5
AUTOCOMPLETE_TITLES = 500  # newest titles offered by /sources autocomplete (outlets are all offered)
MATCHES_SHOWN = 10  # articles /sources lists for a query


class BriefbotService:
    """Index, ask, brief. Synchronous; callers on an event loop run it in a worker thread."""

    def __init__(
        self,
        settings: Settings,
        embeddings: Embeddings,
        store: ChromaStore,
        searcher: HybridSearcher,
        chat: ChatClient | None = None,
    ) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.store = store
        self.chat = chat
        self.indexer = Indexer(store, embeddings, writer_lock_from_settings(settings),
                               retention_days=settings.article_retention_days)
        self.answerer = QuestionAnswerer(settings, embeddings, store, searcher, chat)

    @classmethod
    def from_settings(cls, settings: Settings) -> BriefbotService:
        embeddings = embeddings_from_settings(settings)
        store = ChromaStore.from_settings(settings, embeddings)
        chat = ChatClient.from_settings(settings) if settings.has_llm else None
        return cls(settings, embeddings, store, HybridSearcher(store, embeddings), chat)

    @property
    def searcher(self) -> HybridSearcher:
        """The answer path's searcher (one: `QuestionAnswerer` owns it)."""
        return self.answerer.searcher

    # --- indexing ----------------------------------------------------------------------------
    def index(
        self,
        paths: Sequence[Path] | None = None,
        *,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Index the given files/folders, or every configured source when `paths` is None.

        A path run removes only within its paths; a configured run only what configured sources
        brought in (so never what a path run indexed), see `Indexer.index`."""
        if paths:
            articles, failures = load_paths(paths)
            roots = [str(p) for p in paths]
            return self.indexer.index(
                articles, failures=failures, rebuild=rebuild, progress=progress, via=VIA_PATH,
                remove_scope=lambda origin: any(origin == r or origin.startswith(r.rstrip("/") + "/") for r in roots),
            )
        return self._index_configured_sources(rebuild=rebuild, progress=progress)

    def _index_configured_sources(self, *, rebuild: bool, progress: ProgressCallback | None) -> IndexReport:
        from retrieval.ingest import collect as sources
        from retrieval.ingest.configured_sources import load_sources

        config = load_sources(self.settings)
        result = sources.collect_articles_from_settings(config, self.settings, commit_state=False)
        report = self.indexer.index(
            result.articles,
            failures=result.failures,
            remove_scope=lambda origin: True,  # of what configured sources brought in (`via`)
            keep_origins=result.keep_origins,
            via=VIA_CONFIGURED,
            merged_duplicates=result.merged_duplicates,
            rebuild=rebuild,
            progress=progress,
        )
        sources.commit_fetch_state(sources.state_dir_for(self.settings))  # ETags only once safely indexed
        return report

    # --- answering ---------------------------------------------------------------------------
    def retrieve(self, question: str, *, as_of: datetime | None = None, k: int | None = None,
                 tenants: frozenset[str] | None = None) -> list[ScoredChunk]:
        """The best chunks; only `tenants`' when given (filtered in both indexes; None: no filter)."""
        return self.answerer.retrieve(question, as_of=as_of, k=k, tenants=tenants)

    def ask(
        self,
        question: str,
        *,
        as_of: datetime | None = None,
        history: Sequence[Turn] = (),
        on_partial: Callable[[str], None] | None = None,
        on_usage: Callable[[Completion], None] | None = None,
        on_sources: Callable[[Sequence[ScoredChunk]], None] | None = None,
        article_ids: Sequence[str] | None = None,
        tenants: frozenset[str] | None = None,
    ) -> Answer:
        """A cited answer, or a refusal when the sources don't hold one; from `tenants`' articles only
        when given (a server's: its own and the global ones).

        `on_sources` gets the retrieved sources before any text; `on_partial` the answer text so far
        while an LLM streams; `on_usage` its token counts.
        `article_ids` restricts the answer to those articles (a brief story's "Ask" button).
        """
        return self.answerer.ask(question, as_of=as_of, history=history, on_partial=on_partial, on_usage=on_usage,
                                 on_sources=on_sources, article_ids=article_ids, tenants=tenants)

    def brief(
        self,
        *,
        as_of: datetime | None = None,
        topic: str | None = None,
        window_hours: int = 24,
        on_usage: UsageCallback | None = None,
        may_call: Callable[[], bool] | None = None,
        tenants: frozenset[str] | None = None,
        topics: TopicFilter | None = None,
    ) -> Brief:
        """The brief of the `window_hours` before `as_of`: stories, cited key points, contradictions.

        `on_usage` gets the tokens of every LLM call (one per story); once `may_call` says no, the
        remaining stories are written extractively, so a spent budget stops the calls.
        """
        from retrieval.brief.boilerplate import from_store
        from retrieval.brief.build import build_brief

        as_of = as_of or datetime.now(UTC)
        since = window_start(as_of, window_hours)
        articles = self.articles(since=since, until=as_of.date(), tenants=tenants)
        if topics is not None:
            articles = topics.apply(articles)
        chat = self.chat.metered(on_usage, may_call) if self.chat is not None else None
        return build_brief(
            articles, as_of=as_of, window_hours=window_hours, topic=topic,
            embeddings=self.embeddings, chat=chat, boilerplate=from_store(self.store, articles),
        )

    # --- what is indexed ---------------------------------------------------------------------
    def stats(self, *, tenants: frozenset[str] | None = None) -> IndexStats:
        """/sources statistics from the article table's maintained counts (a few rows per outlet, not
        one per article); `tenants` limits them to what those tenants may see (None: everything)."""
        lexical = self.store.lexical()
        articles, chunks, outlets = catalog.totals(lexical, tenants)
        last = self.store.last_indexed()
        return IndexStats(
            articles=articles,
            chunks=chunks,
            outlets=tuple(outlets),
            newest=tuple(stored_article(r) for r in catalog.newest(lexical, NEWEST_ARTICLES_SHOWN, tenants)),
            last_indexed=datetime.fromisoformat(last) if last else None,
            embedder=self.store.embedder_id,
            generation=self.store.active_generation(),
        )

    def find_articles(self, query: str, *, limit: int = MATCHES_SHOWN,
                      tenants: frozenset[str] | None = None) -> ArticleMatches:
        """`/sources query:`: the newest articles whose title, outlet or web address has the typed words.
        (The article table narrows the candidates in SQLite; neither Chroma's records nor chunks are read.)"""
        candidates = catalog.containing(self.store.lexical(), words(query), tenants)
        found, total = matching_records(candidates, query, limit=limit)
        return ArticleMatches(query=query, total=total, articles=tuple(stored_article(dict(r)) for r in found))

    def list_titles_and_outlets(self, *, tenants: frozenset[str] | None = None) -> list[str]:
        """Autocomplete choices for /sources: every outlet (from the counts), then the titles of the
        newest AUTOCOMPLETE_TITLES articles, so the list stays small however long the history."""
        lexical = self.store.lexical()
        outlets = sorted(name for name, _ in catalog.totals(lexical, tenants)[2] if name)
        newest = catalog.newest(lexical, AUTOCOMPLETE_TITLES, tenants)
        return outlets + sorted({str(r.get("title", "")) for r in newest if r.get("title")})

    def articles(self, *, since: date | None = None, until: date | None = None,
                 tenants: frozenset[str] | None = None) -> list[Article]:
        """Indexed articles (rebuilt from their chunks) published within [since, until]: only the
        window's, read by the article table's day index (undated ones only when `since` is None)."""
        first = since.toordinal() if since else None
        last = until.toordinal() if until else None
        return [stored_article(record, parts)
                for record, parts in catalog.window(self.store.lexical(), first, last, tenants)]

    def index_tenant(self, tenant: str, config: SourcesConfig, *, include_global: bool = False,
                     progress: ProgressCallback | None = None) -> IndexReport:
        """Re-index the global sources if asked, then one tenant's (a server's feeds and pages). The
        tenant's run removes only that tenant's articles whose source is gone (see `Indexer.index`)."""
        from retrieval.ingest import collect as sources
        from retrieval.ingest import tenants as owners

        first = self._index_configured_sources(rebuild=False, progress=progress) if include_global else None
        state = owners.state_dir(self.settings, tenant)
        result = sources.collect_articles(config, SafeFetcher.from_settings(self.settings), load_folder, state,
                                          commit_state=False)
        report = self.indexer.index(
            owners.tagged(result.articles, tenant), failures=result.failures, remove_scope=lambda origin: True,
            keep_origins=result.keep_origins, via=VIA_CONFIGURED, merged_duplicates=result.merged_duplicates,
            progress=progress, tenant=tenant,
        )
        sources.commit_fetch_state(state)
        return report if first is None else owners.combined(first, report)

    def forget_tenant(self, tenant: str) -> int:
        """Remove every article of one tenant (a server the bot left); how many were removed.
        `ReindexRunningError` while another writer holds the index."""
        try:
            self.indexer.lock.acquire()
        except Timeout:
            raise ReindexRunningError("A re-index is already running. Try again when it has finished.") from None
        try:
            removed = self.store.delete_tenant(tenant)
        finally:
            self.store.mark_changed()
            self.indexer.lock.release()
        return len(removed)

    def prune(self, before: date) -> IndexReport:
        """Forget every article published before `before` (`briefbot prune --before DATE`)."""
        return self.indexer.prune(before)
