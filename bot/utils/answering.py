"""One answer, start to finish: a concurrency slot, the service call off the loop, streaming, delivery.
(The cooldown and budget are checked before, by `bot.utils.limits.refusal`.)

`/ask` and mentions both go through `Answerer.answer`, each with its own `AnswerTarget` (an
interaction or a channel message), so the pipeline and its error handling exist once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Generic, Protocol, TypeVar

import discord

from bot.errors import DeliveryError
from bot.render import messages as render
from bot.render.messages import RenderedMessage
from bot.utils.conversations import History
from retrieval.answer.citations import streamed_markers
from retrieval.answer.numbering import SourceNumbering
from retrieval.errors import BriefbotError
from retrieval.llm import Completion
from retrieval.models import Answer, ScoredChunk, Turn

log = logging.getLogger(__name__)
T = TypeVar("T")

EDIT_INTERVAL_SECONDS = 1.0  # Discord rate-limits edits; one partial edit a second reads smoothly
GENERIC_APOLOGY = "Sorry, something went wrong while answering. The error was logged; please try again."
TIMEOUT_MESSAGE = "Answering took too long, so I stopped. Please try again in a moment."


class AnswerTarget(Protocol):
    """Where an answer goes: the interaction's original response, or a reply to a message."""

    async def show(self, content: str) -> None: ...
    async def deliver(self, messages: Sequence[RenderedMessage]) -> list[discord.Message]: ...
    async def fail(self, text: str) -> None: ...
    def seconds_left(self) -> float:
        """How long this target can still be written to (an interaction token lasts 15 minutes)."""
        ...


class UsageBudget(Protocol):
    """The per-user daily token budget (`bot.utils.limits.TokenBudget`)."""

    def check(self, user_id: int) -> None: ...
    def meter(self, user_id: int) -> Callable[[Completion], None]: ...
    def allowance(self, user_id: int) -> Callable[[], bool]: ...


@dataclass(frozen=True)
class Metering:
    """What a costly job reports its LLM usage to, and asks before each further call (None: unmetered)."""

    on_usage: Callable[[Completion], None] | None = None
    may_call: Callable[[], bool] | None = None


class Slots:
    """At most `limit` answers are generated at once; the others queue (FIFO, via the semaphore).

    A queued question waits for at least one whole answer to be generated (seconds, not
    milliseconds), so the user is told at once that theirs is queued and how many are ahead.
    """

    def __init__(self, limit: int) -> None:
        self._semaphore = asyncio.Semaphore(max(1, limit))
        self.waiting = 0

    async def acquire(self, on_queued: Callable[[int], Awaitable[None]]) -> None:
        if not self._semaphore.locked():
            await self._semaphore.acquire()
            return
        self.waiting += 1
        try:
            try:
                await on_queued(self.waiting)
            except discord.HTTPException as exc:  # the notice is a courtesy; the answer still comes
                log.debug("queue notice failed: %s", exc)
            await self._semaphore.acquire()
        finally:
            self.waiting -= 1

    def release(self) -> None:
        self._semaphore.release()


class ThrottledEditor(Generic[T]):
    """Receives updates on a worker thread and edits one message at most once a second.

    Used for streamed answer text and for re-index progress. Updates that arrive while an edit is in
    flight or within the interval are dropped: the final message replaces them anyway.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        show: Callable[[str], Awaitable[None]],
        render_update: Callable[[T], str],
    ) -> None:
        self._loop = loop
        self._show = show
        self._render = render_update
        self._last_edit = float("-inf")
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def from_worker(self, update: T) -> None:
        """The service's callback (`on_partial`, `progress`): hop back onto the event loop."""
        if not self._closed:
            self._loop.call_soon_threadsafe(self._offer, update)

    def _offer(self, update: T) -> None:
        if self._closed:
            return
        busy = self._task is not None and not self._task.done()
        if not busy and time.monotonic() - self._last_edit >= EDIT_INTERVAL_SECONDS:
            self._last_edit = time.monotonic()
            self._task = self._loop.create_task(self._edit(self._render(update)))

    async def _edit(self, content: str) -> None:
        try:
            await self._show(content)
        except discord.HTTPException as exc:  # a lost intermediate edit is harmless; the final one matters
            log.debug("intermediate edit failed: %s", exc)

    async def close(self) -> None:
        """Stop editing and wait for an edit in flight, so the final message lands last."""
        self._closed = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


AskFunction = Callable[..., Answer]


class Answerer:
    """Runs `service.ask` in a worker thread within the concurrency limit and delivers the result."""

    def __init__(
        self,
        ask: AskFunction,
        *,
        max_concurrent: int,
        deadline_seconds: float,
        preview_sources: bool = False,
        budget: UsageBudget | None = None,
    ) -> None:
        self._ask = ask
        self._preview_sources = preview_sources
        self.slots = Slots(max_concurrent)
        self._deadline_seconds = deadline_seconds
        self._budget = budget

    async def answer(
        self, question: str, history: History, target: AnswerTarget, *, request: AskRequest | None = None
    ) -> Delivered | None:
        """Answer and deliver; every failure becomes one short message (and a log line), never a raise."""
        try:
            return await self._answer(question, history, target, request or AskRequest())
        except DeliveryError as exc:
            log.error("could not deliver the answer to %r: %s", question[:80], exc)
        except BriefbotError as exc:
            await _fail_quietly(target, render.render_error(str(exc)))
        except TimeoutError:
            log.warning("answer deadline passed for %r (at most %.0f s; less for interactions)", question[:80],
                        self._deadline_seconds)
            await _fail_quietly(target, render.render_error(TIMEOUT_MESSAGE))
        except Exception:
            log.exception("answering %r failed", question[:80])
            await _fail_quietly(target, render.render_error(GENERIC_APOLOGY))
        return None

    async def _answer(self, question: str, history: History, target: AnswerTarget, request: AskRequest) -> Delivered:
        answer = await self.limited(
            request.user_id,
            lambda position: target.show(render.render_wait_notice(position)),
            lambda metering: self._generate(question, history.turns, target, request, metering),
        )
        notes = [render.render_trim_note(len(history.turns), history.dropped)] if history.dropped else []
        messages = await target.deliver(render.render_answer(answer, notes=[*notes, *request.notes]))
        return Delivered(answer, messages, (*history.all_turns, turn_of(answer)))

    async def limited(
        self,
        user_id: int | None,
        on_queued: Callable[[int], Awaitable[None]],
        work: Callable[[Metering], Awaitable[T]],
    ) -> T:
        """The one gate for everything that can call the LLM (`/ask`, mentions, replies, the story "Ask",
        `/brief`): a concurrency slot, the budget checked again once the slot is ours (work queued ahead
        may have spent it), and the user's tokens metered. Cooldowns are checked before (`budget.refusal`).
        """
        await self.slots.acquire(on_queued)
        try:
            if self._budget is None or user_id is None:
                return await work(Metering())
            self._budget.check(user_id)
            return await work(Metering(self._budget.meter(user_id), self._budget.allowance(user_id)))
        finally:
            self.slots.release()

    async def _generate(
        self, question: str, turns: tuple[Turn, ...], target: AnswerTarget, request: AskRequest, metering: Metering
    ) -> Answer:
        """Within the deadline, which an interaction's token expiry shortens; a late result is dropped."""
        deadline = min(self._deadline_seconds, target.seconds_left())
        started = time.monotonic()
        editor: ThrottledEditor[render.Preview] = ThrottledEditor(
            asyncio.get_running_loop(), target.show, render.render_partial
        )
        feed = PreviewFeed(editor.from_worker, show_sources=self._preview_sources)
        try:
            options = self._ask_options(request, metering)
            call = asyncio.to_thread(self._ask_with_preview, question, turns, feed, options)
            answer = await asyncio.wait_for(call, timeout=max(0.0, deadline))
        finally:
            await editor.close()
        if time.monotonic() - started > deadline:  # e.g. the clock jumped while the worker ran
            raise TimeoutError
        return answer

    @staticmethod
    def _ask_options(request: AskRequest, metering: Metering) -> dict[str, object]:
        """A story restriction, and the user's usage metering."""
        options: dict[str, object] = {}
        if request.article_ids is not None:
            options["article_ids"] = list(request.article_ids)
        if request.tenants is not None:
            options["tenants"] = request.tenants
        if metering.on_usage is not None:
            options["on_usage"] = metering.on_usage
        return options

    def _ask_with_preview(
        self, question: str, turns: tuple[Turn, ...], feed: PreviewFeed, options: dict[str, object]
    ) -> Answer:
        """In the worker thread: the sources are shown as soon as they are found (when an LLM then
        streams), then the text as it is written, its `[n]` as the final answer will show them."""
        return self._ask(question, history=turns, on_partial=feed.on_partial, on_sources=feed.on_sources, **options)


class PreviewFeed:
    """Worker-thread side of a preview: keeps the latest state and hands snapshots to the editor.

    The streamed text's markers are rewritten as the final answer's will be (same shapes, unknown
    numbers dropped), with the numbers of the sources found, so no `[n]` changes at the final edit."""

    def __init__(self, publish: Callable[[render.Preview], None], *, show_sources: bool = True) -> None:
        self._publish = publish
        self._show_sources = show_sources
        self._numbers: frozenset[int] | None = None
        self._current = render.Preview()

    def on_sources(self, chunks: Sequence[ScoredChunk]) -> None:
        self._numbers = frozenset(a.n for a in SourceNumbering.of(chunks).articles)
        if self._show_sources:
            self._current = replace(self._current, sources=render.preview_sources(chunks))
            self._publish(self._current)

    def on_partial(self, text: str) -> None:
        self._current = replace(self._current, text=streamed_markers(text, self._numbers))
        self._publish(self._current)


@dataclass(frozen=True)
class AskRequest:
    """Who asks (for the token budget) and any restriction: a story's articles, notes for the footer."""

    user_id: int | None = None
    article_ids: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()
    tenants: frozenset[str] | None = None  # whose articles may answer (a server's: `bot.utils.tenancy`)


@dataclass(frozen=True)
class Delivered:
    """An answer that reached Discord, its messages, and the conversation including it."""

    answer: Answer
    messages: list[discord.Message]
    turns: tuple[Turn, ...]


def turn_of(answer: Answer) -> Turn:
    """The turn remembered for follow-ups; `mode` says whether the model wrote the text or it is quoted."""
    text = answer.text.strip() or render.NO_ANSWER_TEXT
    cited = tuple(dict.fromkeys(c.article_id for c in answer.citations))
    return Turn(question=answer.question, answer=text, mode=answer.mode, article_ids=cited)



async def _fail_quietly(target: AnswerTarget, text: str) -> None:
    try:
        await target.fail(text)
    except discord.HTTPException as exc:
        log.error("could not tell the user about a failure: %s", exc)
