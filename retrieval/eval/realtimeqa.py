"""`briefbot eval DIR`: retrieval recall, extractive answer accuracy and refusal on a realtimeqa-dev folder.

Matching follows the data set's README (and `norm_match` in ../shared/eval/baseline.py) exactly, so the
figures compare with the published baselines.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from retrieval.answer.extractive import answer_and_evidence
from retrieval.claims.disagreements import find_disagreements
from retrieval.eval.weekly import weekly_report
from retrieval.index.indexer import ProgressCallback
from retrieval.models import ScoredChunk
from retrieval.service import BriefbotService
from retrieval.settings import Settings
from retrieval.text.markers import strip_markers
from retrieval.text.sentences import split_cited_sentences

RECALL_KS = (1, 3, 5, 10)
SUPPORTED_KS = (1, 5)
RETRIEVAL_DEPTH = 10
DEFAULT_TRADEOFF_THRESHOLDS = (0.25, 0.30, 0.35, 0.40, 0.45, 0.50)
QuestionProgress = Callable[[int, int], None]

_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u00a0": " "}
)


def norm_match(text: str) -> str:
    """The data set's normalisation: lower-case, curly quotes and dashes to ASCII, whitespace runs to one space."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES).lower()).strip()


def contains_answer(text: str, answer: str) -> bool:
    return norm_match(answer) in norm_match(text)


def contains_answer_word(text: str, answer: str) -> bool:
    """Whole-word match, `(?<!\\w)answer(?!\\w)` on normalised text, as for the supported subset."""
    return re.search(r"(?<!\w)" + re.escape(norm_match(answer)) + r"(?!\w)", norm_match(text)) is not None


@dataclass(frozen=True)
class Outcome:
    """What one question produced: the retrieved chunk texts, the answer text and its evidence score."""

    question: dict[str, Any]
    chunk_texts: tuple[str, ...]
    answer_text: str
    evidence: float
    latency_ms: float
    disagreed: bool = False  # the answer would show a disagreement notice


def run_eval(
    data_dir: Path,
    settings: Settings,
    *,
    progress: ProgressCallback | None = None,
    on_question: QuestionProgress | None = None,
    thresholds: Sequence[float] = DEFAULT_TRADEOFF_THRESHOLDS,
    service: BriefbotService | None = None,
    by_week: bool = False,
) -> dict[str, Any]:
    """Index DIR/articles.jsonl into `settings.data_dir` (incrementally), then ask every question as of its date.

    `service` defaults to `BriefbotService.from_settings(settings)`; pass one to evaluate other parts.
    `by_week` adds every figure per held-out week and the refusal threshold chosen across weeks (weekly.py).
    """
    service = service or BriefbotService.from_settings(settings)
    started = time.perf_counter()
    report = service.index(paths=[data_dir / "articles.jsonl"], progress=progress)
    index_seconds = time.perf_counter() - started
    answerable = read_jsonl(data_dir / "questions.jsonl")
    unanswerable = read_jsonl(data_dir / "unanswerable.jsonl")
    everything = answerable + unanswerable
    if everything:  # warm-up, untimed: the first search loads the lexical index
        service.retrieve(everything[0]["question"], as_of=as_of_for(everything[0]["question_date"]))
    outcomes: list[Outcome] = []
    for done, question in enumerate(everything, start=1):
        outcomes.append(_ask(service, question, settings))
        if on_question:
            on_question(done, len(everything))
    answered, unanswered = outcomes[: len(answerable)], outcomes[len(answerable) :]
    weeks = {"folds": weekly_report(answered, unanswered, settings.refusal_threshold, thresholds,
                                    lambda a, u, t: summarise(a, u, t, []))} if by_week else {}
    return weeks | summarise(answered, unanswered, settings.refusal_threshold, thresholds) | {
        "chunks": service.store.count_chunks(),
        "index_seconds": round(index_seconds, 2),
        "index_added": report.added + report.updated,
        "index_unchanged": report.unchanged,
        "index_failures": len(report.failures),
    }


def _ask(service: BriefbotService, question: dict[str, Any], settings: Settings) -> Outcome:
    """Retrieval is timed alone; the answer uses the first `top_k` of the same list, as `ask` would."""
    as_of = as_of_for(question["question_date"])
    started = time.perf_counter()
    retrieved: list[ScoredChunk] = service.retrieve(question["question"], as_of=as_of, k=RETRIEVAL_DEPTH)
    latency_ms = (time.perf_counter() - started) * 1000
    answer, evidence = answer_and_evidence(question["question"], retrieved[: settings.top_k], service.embeddings)
    return Outcome(
        question=question,
        chunk_texts=tuple(s.chunk.text for s in retrieved),
        answer_text="" if answer.refused else answer.text,
        evidence=evidence,
        latency_ms=latency_ms,
        disagreed=not answer.refused
        and bool(find_disagreements(question["question"], retrieved[: settings.top_k], service.embeddings)),
    )


def as_of_for(question_date: str) -> datetime:
    """The end of the question's day (UTC), so articles of that day count as already published."""
    return datetime.combine(date.fromisoformat(question_date), clock_time.max, tzinfo=UTC)


def summarise(
    answered: Sequence[Outcome], unanswered: Sequence[Outcome], default_threshold: float, thresholds: Iterable[float]
) -> dict[str, Any]:
    """The headline figures (at the default refusal threshold) and the refusal trade-off."""
    supported = [o for o in answered if o.question.get("answer_supported")]
    latencies = [o.latency_ms for o in [*answered, *unanswered]]
    result: dict[str, Any] = {f"recall@{k}": _recall(answered, k, contains_answer) for k in RECALL_KS}
    result |= {
        "answer_accuracy": _share(
            o.evidence >= default_threshold and contains_answer(o.answer_text, o.question["answer"]) for o in answered
        ),
        "refusal_rate": _share(o.evidence < default_threshold for o in unanswered),
        "false_refusal_rate": _share(o.evidence < default_threshold for o in answered),
        "refusal_threshold": default_threshold,
        "disagreement_rate": _share(o.disagreed for o in answered if o.evidence >= default_threshold),
        "lead_accuracy": _share(
            o.evidence >= default_threshold and contains_answer(lead_sentence(o.answer_text), o.question["answer"])
            for o in answered
        ),
    }
    result |= {f"supported_recall@{k}": _recall(supported, k, contains_answer_word) for k in SUPPORTED_KS}
    result |= {
        "questions": len(answered),
        "unanswerable_questions": len(unanswered),
        "supported_questions": len(supported),
        "latency_ms_p50": round(_percentile(latencies, 50), 2),
        "latency_ms_p95": round(_percentile(latencies, 95), 2),
        "refusal_tradeoff": [_tradeoff_row(answered, unanswered, t) for t in thresholds],
    }
    return result


def lead_sentence(answer_text: str) -> str:
    """The answer's first sentence without its markers: what a reader takes as the answer."""
    sentences = split_cited_sentences(answer_text)
    return strip_markers(sentences[0]) if sentences else ""


def _tradeoff_row(answered: Sequence[Outcome], unanswered: Sequence[Outcome], threshold: float) -> dict[str, float]:
    return {
        "threshold": threshold,
        "refusal_rate": _share(o.evidence < threshold for o in unanswered),
        "false_refusal_rate": _share(o.evidence < threshold for o in answered),
        "answer_accuracy": _share(
            o.evidence >= threshold and contains_answer(o.answer_text, o.question["answer"]) for o in answered
        ),
    }


def _recall(outcomes: Sequence[Outcome], k: int, match: Callable[[str, str], bool]) -> float:
    return _share(any(match(text, o.question["answer"]) for text in o.chunk_texts[:k]) for o in outcomes)


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return round(sum(values) / len(values), 4) if values else 0.0


def _percentile(values: Sequence[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """A missing file is an empty set (a folder may have no unanswerable questions)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
