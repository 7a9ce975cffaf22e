"""The LLM answer chain (LCEL): prompt → our ChatClient → citation mapping → support check → Answer.

The model is called through `ChatClient`, so timeouts, bounded retries and streaming are ours.
Whatever the model writes, the returned answer only cites real sources that support the sentence
citing them; when nothing verifiable is left, or the model fails, the extractive answer is returned.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, convert_to_openai_messages
from langchain_core.prompt_values import PromptValue
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

import prompts
from retrieval.answer.citations import escape_source_text, format_sources_for_prompt, map_citations
from retrieval.answer.numbering import SourceNumbering
from retrieval.answer.support import Evidence, SupportChecker, Verdict, checkable, claim_of
from retrieval.claims.disagreements import NOTICE_PREFIX
from retrieval.errors import LLMUnavailableError
from retrieval.llm import ChatClient, Completion
from retrieval.models import Answer, Chunk, Citation, ScoredChunk, Turn
from retrieval.text.markers import BLANKS_AND_MARKER, marker_numbers
from retrieval.text.sanitise import strip_foreign_urls
from retrieval.text.sentences import split_cited_sentences

log = logging.getLogger(__name__)

Fallback = Callable[[str, Sequence[ScoredChunk]], Answer]

NOTE_LLM_UNAVAILABLE = "The language model is unavailable; this answer is extractive."
NOTE_UNVERIFIED = (
    "The language model's answer had no citation its sources support; this answer is extractive."
)
NOTE_TRUNCATED = "The answer was cut short at the length limit."
UNSUPPORTED_MARK = " (unsupported)"
MAX_HISTORY_TURNS = 3
MAX_HISTORY_CHARS = 1_000  # per question or answer, so history cannot crowd out the sources
MAX_ANSWER_SENTENCES = 6
# The line `retrieval.claims.disagreements.describe` appends for sources that disagree: quoted values.
_DISAGREEMENT_LINE = re.compile(r"\s*" + re.escape(NOTICE_PREFIX))
QUOTED_ONLY_REPLY = "(My answer quoted the sources shown in your message.)"


def history_messages(history: Sequence[Turn]) -> list[BaseMessage]:
    """The last few turns as prior messages: only the bot's own prose speaks as the assistant.

    What an earlier answer quoted from articles (an extractive answer, the sides of a disagreement)
    goes back inside the user's turn as an escaped `<earlier_quote>` block, so injected article text
    can never pose as something the model said. Old `[n]` markers and every link are removed: the
    old sources are not in this prompt, and the model is not to write links.
    """
    messages: list[BaseMessage] = []
    for turn in history[-MAX_HISTORY_TURNS:]:
        prose, quoted = _split_turn(turn)
        question = turn.question[:MAX_HISTORY_CHARS]
        if quoted:
            block = escape_source_text(_plain(quoted)[:MAX_HISTORY_CHARS])
            question = prompts.load("history_quoted").format(question=question, quoted=block).strip()
        messages.append(HumanMessage(question))
        messages.append(AIMessage(_plain(prose)[:MAX_HISTORY_CHARS] or QUOTED_ONLY_REPLY))
    return messages


def _split_turn(turn: Turn) -> tuple[str, str]:
    """(the model's own prose, text quoted from sources) of one earlier answer."""
    if turn.mode != "llm":
        return "", turn.answer
    lines = turn.answer.split("\n")
    quoted = [line for line in lines if _DISAGREEMENT_LINE.match(line)]
    prose = [line for line in lines if not _DISAGREEMENT_LINE.match(line)]
    return "\n".join(prose).strip(), "\n".join(quoted)


def _plain(text: str) -> str:
    return strip_foreign_urls(BLANKS_AND_MARKER.sub("", text), ())


def _to_openai_messages(prompt_value: PromptValue) -> list[dict[str, str]]:
    return [
        {"role": str(m["role"]), "content": str(m["content"])}
        for m in convert_to_openai_messages(prompt_value.to_messages())
    ]


def with_note(answer: Answer, note: str) -> Answer:
    return answer.model_copy(update={"note": f"{note} {answer.note}" if answer.note else note})


class LLMAnswerer:
    """Answers from numbered sources with an LLM, keeping only citations the sources support."""

    def __init__(self, chat: ChatClient, embeddings: Embeddings, fallback: Fallback) -> None:
        self._chat = chat
        self._checker = SupportChecker(embeddings)
        self._fallback = fallback
        self.prompt = ChatPromptTemplate.from_messages(
            [
                ("system", prompts.load("answer_system")),
                MessagesPlaceholder("history"),
                ("human", prompts.load("answer_user")),
            ]
        )
        self.chain = self._build_chain()

    def _build_chain(self) -> Runnable[dict[str, Any], Answer]:
        variables = RunnableLambda(self._prompt_variables)
        to_messages = variables | self.prompt | RunnableLambda(_to_openai_messages)
        return (
            RunnablePassthrough.assign(messages=to_messages)
            | RunnablePassthrough.assign(completion=RunnableLambda(self._generate))
            | RunnableLambda(self._finish)
        )

    def answer(
        self,
        question: str,
        sources: Sequence[ScoredChunk],
        history: Sequence[Turn] = (),
        on_partial: Callable[[str], None] | None = None,
        on_usage: Callable[[Completion], None] | None = None,
        as_of: date | None = None,
    ) -> Answer:
        """`on_partial` gets each streamed delta in order; `on_usage` gets the token counts."""
        if not sources:
            return self._fallback(question, sources)
        inputs = {"question": question, "sources": list(sources), "numbering": SourceNumbering.of(sources),
                  "history": list(history), "on_partial": on_partial, "on_usage": on_usage,
                  "as_of": as_of or date.today()}
        try:
            return self.chain.invoke(inputs)
        except LLMUnavailableError as exc:
            log.warning("LLM answer failed, falling back to extractive: %s", exc)
            return with_note(self._fallback(question, sources), NOTE_LLM_UNAVAILABLE)

    # --- chain steps
    @staticmethod
    def _prompt_variables(inputs: dict[str, Any]) -> dict[str, Any]:
        return {
            "question": inputs["question"],
            "sources": format_sources_for_prompt(inputs["numbering"]),
            "history": history_messages(inputs["history"]),
            "today": inputs["as_of"].isoformat(),
            "max_sentences": MAX_ANSWER_SENTENCES,
        }

    def _generate(self, inputs: dict[str, Any]) -> Completion:
        on_partial = inputs["on_partial"]
        if on_partial is None:
            completion = self._chat.complete(inputs["messages"])
        else:
            completion = self._chat.stream(inputs["messages"], on_partial)
        if inputs["on_usage"] is not None:
            inputs["on_usage"](completion)
        return completion

    def _finish(self, inputs: dict[str, Any]) -> Answer:
        question: str = inputs["question"]
        sources: list[ScoredChunk] = inputs["sources"]
        numbering: SourceNumbering = inputs["numbering"]
        completion: Completion = inputs["completion"]
        text, used = map_citations(completion.text.strip(), numbering.citations())
        text = strip_foreign_urls(text, [c.url for c in used])
        text, used, unsupported = self._check_support(text, used, numbering)
        if not used:
            log.info("LLM answer kept no supported citation; falling back to extractive")
            return with_note(self._fallback(question, sources), NOTE_UNVERIFIED)
        note = None
        if completion.truncated:
            text, note = (text if text.endswith((".", "!", "?", "…")) else text + " …"), NOTE_TRUNCATED
        return Answer(question=question, text=text, citations=used, mode="llm",
                      unsupported=unsupported, note=note)

    # --- support check
    def _check_support(
        self, text: str, used: tuple[Citation, ...], numbering: SourceNumbering
    ) -> tuple[str, tuple[Citation, ...], tuple[str, ...]]:
        """Drop citations whose article does not support the sentence; mark sentences left with none."""
        lines = [(line[: len(line) - len(line.lstrip())], split_cited_sentences(line)) for line in text.split("\n")]
        sentences = [s for _, line_sentences in lines for s in line_sentences]
        claims = {i: (claim_of(s), list(dict.fromkeys(marker_numbers(s)))) for i, s in enumerate(sentences)
                  if checkable(s)}
        decisions = self._decide(claims, numbering)
        verdicts = {i: {n: verdict for n, (verdict, _) in by_n.items()} for i, by_n in decisions.items()}
        unsupported: list[str] = []
        rewritten = iter([_drop_unsupported(s, verdicts.get(i, {}), unsupported) for i, s in enumerate(sentences)])
        new_text = "\n".join(prefix + " ".join(next(rewritten) for _ in ss) for prefix, ss in lines)
        new_text, kept = map_citations(new_text.strip(), used)
        quotes = _best_quotes(decisions)
        kept = tuple(_quoted(c, quotes.get(c.n), numbering.article(c.n).chunks[0]) for c in kept)
        return new_text, kept, tuple(unsupported)

    def _decide(
        self, claims: dict[int, tuple[str, list[int]]], numbering: SourceNumbering
    ) -> dict[int, dict[int, tuple[Verdict, Chunk]]]:
        """Per checked sentence and cited number: the verdict of that article's best-supporting chunk."""
        cited = {i: [(n, c) for n in ns for c in numbering.article(n).chunks] for i, (_, ns) in claims.items()}
        pairs = [(claim, [Evidence(c.text, _metadata(c)) for _, c in cited[i]]) for i, (claim, _) in claims.items()]
        decisions: dict[int, dict[int, tuple[Verdict, Chunk]]] = {}
        for i, per_chunk in zip(claims, self._checker.check(pairs) if pairs else [], strict=True):
            best = decisions.setdefault(i, {})
            for (n, chunk), verdict in zip(cited[i], per_chunk, strict=True):
                if n not in best or _rank(verdict) > _rank(best[n][0]):
                    best[n] = (verdict, chunk)
        return decisions


def _rank(verdict: Verdict) -> tuple[bool, float]:
    return verdict.supported, verdict.similarity


def _metadata(chunk: Chunk) -> str:
    """Title, outlet and date as words: the prompt shows them, so a claim may cite them."""
    day = chunk.published
    when = f"{day.isoformat()} {day:%B %d} {day.day} {day.year}" if day else ""
    return f"{chunk.title} {chunk.outlet} {when}"


def _best_quotes(decisions: dict[int, dict[int, tuple[Verdict, Chunk]]]) -> dict[int, tuple[Verdict, Chunk]]:
    """Per cited number, the verdict (and so the quoted sentence and its chunk) that supports a claim best."""
    best: dict[int, tuple[Verdict, Chunk]] = {}
    for by_n in decisions.values():
        for n, (verdict, chunk) in by_n.items():
            if verdict.supported and (n not in best or verdict.similarity > best[n][0].similarity):
                best[n] = (verdict, chunk)
    return best


def _quoted(citation: Citation, best: tuple[Verdict, Chunk] | None, top: Chunk) -> Citation:
    """The citation quoting the sentence that supports it best, or else its article's top chunk's first."""
    if best is not None:
        return citation.model_copy(update={"quote": best[0].quote, "chunk_id": best[1].id})
    sentences = split_cited_sentences(top.text)
    return citation.model_copy(update={"quote": sentences[0] if sentences else ""})


def _drop_unsupported(sentence: str, verdict_by_n: dict[int, Verdict], unsupported: list[str]) -> str:
    """Remove the markers of unsupported citations; a sentence left with none gets marked."""
    if not verdict_by_n or any(v.supported for v in verdict_by_n.values()):
        return BLANKS_AND_MARKER.sub(lambda m: "" if _rejected(m, verdict_by_n) else m.group(0), sentence)
    unsupported.append(claim_of(sentence))
    marked = False

    def mark_once(match: re.Match[str]) -> str:
        nonlocal marked
        if marked:
            return ""
        marked = True
        return UNSUPPORTED_MARK

    return BLANKS_AND_MARKER.sub(mark_once, sentence)


def _rejected(match: re.Match[str], verdict_by_n: dict[int, Verdict]) -> bool:
    verdict = verdict_by_n.get(int(match.group(1)))
    return verdict is not None and not verdict.supported
