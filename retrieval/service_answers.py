"""A question's path through the service: retrieval (a follow-up widened by the articles the conversation
already cited, a story's question kept to the story's articles), the answer (LLM, or extractive offline),
then the sources' disagreements on the asked fact.

`BriefbotService.ask` and `.retrieve` hand their calls to `QuestionAnswerer`; the index and brief paths
stay in `retrieval.service`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from langchain_core.embeddings import Embeddings

from retrieval.answer.chain import LLMAnswerer
from retrieval.answer.extractive import extractive_answer
from retrieval.answer.follow_up import earlier_article_ids, resolved_question, retrieval_query
from retrieval.answer.numbering import SourceNumbering, cite_disagreements, in_story_order
from retrieval.claims.disagreements import find_disagreements
from retrieval.claims.followups import not_shown_before
from retrieval.errors import IndexEmptyError
from retrieval.index.store import ChromaStore
from retrieval.llm import ChatClient, Completion
from retrieval.models import Answer, ScoredChunk, Turn
from retrieval.search.hybrid import HybridSearcher
from retrieval.search.windows import check_question_day
from retrieval.settings import Settings

HISTORY_TURNS_FOR_RETRIEVAL = 2
EARLIER_SOURCES_PER_FOLLOW_UP = 3  # chunks of the conversation's cited articles added to a follow-up's sources
RESTRICTED_SEARCH_DEPTH = 100  # candidates searched when an answer may only use a few given articles


class QuestionAnswerer:
    """Cited answers from the index: the searcher's sources, the LLM or extractive answerer, disagreements."""

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
        self.llm_answerer = LLMAnswerer(chat, embeddings, fallback=self._extractive) if chat else None

    def retrieve(self, question: str, *, as_of: datetime | None = None, k: int | None = None,
                 tenants: frozenset[str] | None = None) -> list[ScoredChunk]:
        """The best chunks; only `tenants`' when given (filtered in both indexes; None: no filter)."""
        return self.searcher.search(question, k=k or self.settings.top_k, as_of=as_of or _now(), tenants=tenants)

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
        """`BriefbotService.ask`: sources first (handed to `on_sources`), then the answer, then disagreements."""
        question = question.strip()
        if as_of is not None:
            check_question_day(as_of)
        if self.store.count_chunks() == 0:
            raise IndexEmptyError("Nothing is indexed yet. An admin can run /reindex (or `briefbot index`).")
        query = _retrieval_query(question, history)
        if article_ids is None:
            sources = self._with_earlier_sources(query, history, as_of, tenants)
        else:  # look deeper, then keep only the story's own articles, numbered as the story numbers them
            found = self.retrieve(query, as_of=as_of, k=RESTRICTED_SEARCH_DEPTH, tenants=tenants)
            sources = in_story_order(found, article_ids, self.settings.top_k)
        if on_sources is not None:
            on_sources(sources)
        if self.llm_answerer is None or not sources:
            answer = self._extractive_follow_up(question, sources, history)
        else:
            answer = self.llm_answerer.answer(
                question, sources, history=history, on_partial=_accumulating(on_partial),
                on_usage=on_usage, as_of=(as_of or _now()).date(),
            )
        return self._with_disagreements(answer, question, sources, history)

    def _with_earlier_sources(
        self, query: str, history: Sequence[Turn], as_of: datetime | None, tenants: frozenset[str] | None,
    ) -> list[ScoredChunk]:
        """A follow-up is answered from the union of fresh retrieval and the articles the conversation
        already cited (their best chunks for this question first), so it is refused only if neither holds it."""
        earlier = set(earlier_article_ids(history))
        if not earlier:
            return self.retrieve(query, as_of=as_of, tenants=tenants)
        found = self.retrieve(query, as_of=as_of, k=RESTRICTED_SEARCH_DEPTH, tenants=tenants)
        fresh = found[: self.settings.top_k]  # one search: its top k is the head of the deeper list
        kept = [s for s in found if s.chunk.article_id in earlier][:EARLIER_SOURCES_PER_FOLLOW_UP]
        seen = {s.chunk.id for s in kept}
        return [*kept, *(s for s in fresh if s.chunk.id not in seen)]

    def _extractive_follow_up(self, question: str, sources: Sequence[ScoredChunk], history: Sequence[Turn]) -> Answer:
        """The question as asked first; a refused follow-up that leans on an earlier question ("When does it
        take effect?") is read again with that question's subject before it is refused."""
        answer = self._extractive(question, sources)
        resolved = resolved_question(question, history)
        if not answer.refused or resolved == question:
            return answer
        return self._extractive(resolved, sources).model_copy(update={"question": question})

    def _extractive(self, question: str, sources: Sequence[ScoredChunk]) -> Answer:
        return extractive_answer(question, sources, self.embeddings, refusal_threshold=self.settings.refusal_threshold)

    def _with_disagreements(
        self, answer: Answer, question: str, sources: Sequence[ScoredChunk], history: Sequence[Turn] = ()
    ) -> Answer:
        """Surface sources that disagree on the asked fact instead of choosing silently, cited by the
        same per-article numbers the answer uses."""
        if answer.refused or not answer.citations:
            return answer
        disagreements = not_shown_before(find_disagreements(question, sources, self.embeddings), question, history)
        return cite_disagreements(answer, disagreements, SourceNumbering.of(sources))


def _retrieval_query(question: str, history: Sequence[Turn]) -> str:
    """A follow-up like "and what did the US say?" is retrieved together with the earlier questions (and
    the subject "it" refers back to, see `retrieval/answer/follow_up.py`)."""
    return retrieval_query(question, history, HISTORY_TURNS_FOR_RETRIEVAL)


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
