"""The one service the command line and the bot both call."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from retrieval.answer.chain import LLMAnswerer
from retrieval.answer.extractive import extractive_answer
from retrieval.answer.numbering import SourceNumbering, cite_disagreements
from retrieval.claims.disagreements import find_disagreements
from retrieval.errors import IndexEmptyError
from retrieval.index.embeddings import embeddings_from_settings
from retrieval.index.indexer import Indexer, ProgressCallback
from retrieval.index.records import VIA_CONFIGURED, VIA_PATH
from retrieval.index.store import ChromaStore
from retrieval.ingest.loaders import load_paths
from retrieval.llm import ChatClient, Completion, UsageCallback
from retrieval.models import Answer, Article, IndexReport, IndexStats, ScoredChunk, Turn
from retrieval.search.hybrid import HybridSearcher
from retrieval.search.windows import check_question_day, window_start
from retrieval.settings import Settings

if TYPE_CHECKING:
    from retrieval.brief.models import Brief

log = logging.getLogger(__name__)

HISTORY_TURNS_FOR_RETRIEVAL = 2
NEWEST_ARTICLES_SHOWN = 5
RESTRICTED_SEARCH_DEPTH = 100  # candidates searched when an answer may only use a few given articles
Answerer = Callable[[str, Sequence[ScoredChunk], Sequence[Turn], Callable[[str], None] | None], Answer]


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
        self.searcher = searcher
        self.chat = chat
        self.indexer = Indexer(store, embeddings, settings.data_dir / "index.lock")
        self.llm_answerer = LLMAnswerer(chat, embeddings, fallback=self._extractive) if chat else None

    @classmethod
    def from_settings(cls, settings: Settings) -> BriefbotService:
        embeddings = embeddings_from_settings(settings)
        store = ChromaStore.from_settings(settings, embeddings)
        chat = ChatClient.from_settings(settings) if settings.has_llm else None
        return cls(settings, embeddings, store, HybridSearcher(store, embeddings), chat)

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
    def retrieve(self, question: str, *, as_of: datetime | None = None, k: int | None = None) -> list[ScoredChunk]:
        return self.searcher.search(question, k=k or self.settings.top_k, as_of=as_of or _now())

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
    ) -> Answer:
        """A cited answer, or a refusal when the sources don't hold one.

        `on_sources` gets the retrieved sources before any text; `on_partial` the answer text so far
        while an LLM streams; `on_usage` its token counts.
        `article_ids` restricts the answer to those articles (a brief story's "Ask" button).
        """
        question = question.strip()
        if as_of is not None:
            check_question_day(as_of)
        if self.store.count_chunks() == 0:
            raise IndexEmptyError("Nothing is indexed yet. An admin can run /reindex (or `briefbot index`).")
        query = _retrieval_query(question, history)
        if article_ids is None:
            sources = self.retrieve(query, as_of=as_of)
        else:  # look deeper, then keep only the story's own articles
            allowed = set(article_ids)
            found = self.retrieve(query, as_of=as_of, k=RESTRICTED_SEARCH_DEPTH)
            sources = [s for s in found if s.chunk.article_id in allowed][: self.settings.top_k]
        if on_sources is not None:
            on_sources(sources)
        if self.llm_answerer is None or not sources:
            answer = self._extractive(question, sources)
        else:
            answer = self.llm_answerer.answer(
                question, sources, history=history, on_partial=_accumulating(on_partial),
                on_usage=on_usage, as_of=(as_of or _now()).date(),
            )
        return self._with_disagreements(answer, question, sources)

    def _extractive(self, question: str, sources: Sequence[ScoredChunk]) -> Answer:
        return extractive_answer(question, sources, self.embeddings, refusal_threshold=self.settings.refusal_threshold)

    def _with_disagreements(self, answer: Answer, question: str, sources: Sequence[ScoredChunk]) -> Answer:
        """Surface sources that disagree on the asked fact instead of choosing silently, cited by the
        same per-article numbers the answer uses."""
        if answer.refused or not answer.citations:
            return answer
        disagreements = find_disagreements(question, sources, self.embeddings)
        return cite_disagreements(answer, disagreements, SourceNumbering.of(sources))

    def brief(
        self,
        *,
        as_of: datetime | None = None,
        topic: str | None = None,
        window_hours: int = 24,
        on_usage: UsageCallback | None = None,
        may_call: Callable[[], bool] | None = None,
    ) -> Brief:
        """The brief of the `window_hours` before `as_of`: stories, cited key points, contradictions.

        `on_usage` gets the tokens of every LLM call (one per story); once `may_call` says no, the
        remaining stories are written extractively, so a spent budget stops the calls.
        """
        from retrieval.brief.build import build_brief

        as_of = as_of or _now()
        since = window_start(as_of, window_hours)
        articles = self.articles(since=since, until=as_of.date())
        chat = self.chat.metered(on_usage, may_call) if self.chat is not None else None
        return build_brief(
            articles, as_of=as_of, window_hours=window_hours, topic=topic,
            embeddings=self.embeddings, chat=chat,
        )

    # --- what is indexed ---------------------------------------------------------------------
    def stats(self) -> IndexStats:
        records = list(self.store.iter_articles())
        outlets = Counter(str(r.get("outlet", "unknown")) for r in records)
        newest = sorted(records, key=lambda r: str(r.get("published", "")), reverse=True)
        last = self.store.last_indexed()
        return IndexStats(
            articles=len(records),
            chunks=self.store.count_chunks(),
            outlets=tuple(outlets.most_common()),
            newest=tuple(_article_from_record(r) for r in newest[:NEWEST_ARTICLES_SHOWN]),
            last_indexed=datetime.fromisoformat(last) if last else None,
            embedder=self.store.embedder_id,
        )

    def list_titles_and_outlets(self) -> list[str]:
        """Autocomplete choices for /sources: outlets first, then titles."""
        records = list(self.store.iter_articles())
        outlets = sorted({str(r.get("outlet", "")) for r in records if r.get("outlet")})
        titles = sorted({str(r.get("title", "")) for r in records if r.get("title")})
        return outlets + titles

    def articles(self, *, since: date | None = None, until: date | None = None) -> list[Article]:
        """Indexed articles (rebuilt from their chunks) published within [since, until]."""
        records = {r["id"]: r for r in self.store.iter_articles()}
        texts: dict[str, list[tuple[int, str, str]]] = {}
        for chunk in self.store.iter_chunks():
            texts.setdefault(chunk.article_id, []).append((chunk.n, chunk.kind, chunk.text))
        found = []
        for article_id, record in records.items():
            article = _article_from_record(record, sorted(texts.get(article_id, [])))
            if since and (article.published is None or article.published < since):
                continue
            if until and article.published and article.published > until:
                continue
            found.append(article)
        return found


def _retrieval_query(question: str, history: Sequence[Turn]) -> str:
    """A follow-up like "and what did the US say?" is retrieved together with the earlier questions."""
    earlier = [turn.question for turn in history[-HISTORY_TURNS_FOR_RETRIEVAL:]]
    return " ".join([*earlier, question]) if earlier else question


def _article_from_record(record: dict[str, object], parts: Sequence[tuple[int, str, str]] = ()) -> Article:
    published = str(record.get("published") or "")
    outlets = record.get("outlets")
    try:
        outlet_list = tuple(json.loads(str(outlets))) if outlets else ()
    except json.JSONDecodeError:
        outlet_list = ()
    return Article(
        id=str(record["id"]),
        title=str(record.get("title", "")),
        url=str(record.get("url") or "") or None,
        published=date.fromisoformat(published) if published else None,
        outlet=str(record.get("outlet", "unknown")),
        text=" ".join(text for _, kind, text in parts if kind == "body"),
        key_points=_bullet_items(text for _, kind, text in parts if kind == "key_point"),
        contradictions=_bullet_items(text for _, kind, text in parts if kind == "contradiction"),
        outlets=outlet_list,
        origin=str(record.get("origin", "")),
    )


def _bullet_items(chunk_texts: Iterable[str]) -> tuple[str, ...]:
    """Key-point chunks hold `- item` lines separated by blank lines; get the items back."""
    items = (line.strip().removeprefix("- ").strip() for text in chunk_texts for line in text.split("\n\n"))
    return tuple(item for item in items if item)


def _accumulating(on_partial: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """The answerer streams deltas; callers want the text so far."""
    if on_partial is None:
        return None
    parts: list[str] = []

    def on_delta(delta: str) -> None:
        parts.append(delta)
        on_partial("".join(parts))

    return on_delta


def _now() -> datetime:
    return datetime.now(UTC)
