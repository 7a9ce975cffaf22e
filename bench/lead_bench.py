"""Fast loop for the offline answer's lead: retrieve once, then re-score only the answer.

`briefbot eval` re-runs retrieval for every question (minutes); the lead sentence only depends on the
retrieved chunks and the embedder. This bench retrieves every realtimeqa-dev question once (as `briefbot
eval` does: `as_of_for`, `RETRIEVAL_DEPTH`, the first `top_k` answer) and caches the lists and the
sentence vectors under --cache, so a change to retrieval/answer/ is scored in seconds. Figures come from
`retrieval.eval.realtimeqa.summarise` (and `weekly_report` with --folds), the same code as `briefbot eval`.

    .venv/bin/python bench/lead_bench.py --data-dir /tmp/lead-data --dev ../shared/eval/realtimeqa-dev \
        --cache /tmp/lead-cache [--folds] [--misses misses.jsonl]

The cache holds what retrieval returned when it was made: delete it after a retrieval change.
--misses writes, for each answered question whose lead lacks the gold answer, the answer and whether a
candidate sentence held it (for reading misses, never for tuning on single questions).
"""

from __future__ import annotations

import argparse
import json
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from retrieval.answer.extractive import answer_and_evidence, score_sentences
from retrieval.eval.realtimeqa import (
    RETRIEVAL_DEPTH,
    Outcome,
    as_of_for,
    contains_answer,
    lead_sentence,
    read_jsonl,
    summarise,
)
from retrieval.eval.weekly import weekly_report
from retrieval.models import ScoredChunk
from retrieval.settings import Settings

HEADLINE = ("lead_accuracy", "answer_accuracy", "recall@1", "refusal_rate", "false_refusal_rate")


class CachedEmbeddings(Embeddings):
    """The real embedder behind a dict that is saved with the cache: the same sentences come back."""

    def __init__(self, inner: Embeddings, vectors: dict[tuple[str, str], list[float]]) -> None:
        self.inner, self.vectors = inner, vectors
        self.model_id = f"bench-{getattr(inner, 'model_id', type(inner).__qualname__)}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if ("d", t) not in self.vectors]
        if missing:
            fresh = self.inner.embed_documents(missing)
            self.vectors.update({("d", t): v for t, v in zip(missing, fresh, strict=True)})
        return [self.vectors[("d", t)] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        if ("q", text) not in self.vectors:
            self.vectors[("q", text)] = self.inner.embed_query(text)
        return self.vectors[("q", text)]


def retrieved_lists(settings: Settings, questions: Sequence[dict[str, Any]], cache: Path) -> list[list[ScoredChunk]]:
    """Every question's retrieved list, as `briefbot eval` gets it; from the cache when there is one."""
    path = cache / "retrieved.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    from retrieval.service import BriefbotService

    service = BriefbotService.from_settings(settings)
    lists = [service.retrieve(q["question"], as_of=as_of_for(q["question_date"]), k=RETRIEVAL_DEPTH)
             for q in questions]
    path.write_bytes(pickle.dumps(lists))
    return lists


def outcome(question: dict[str, Any], retrieved: list[ScoredChunk], top_k: int, embeddings: Embeddings) -> Outcome:
    answer, evidence = answer_and_evidence(question["question"], retrieved[:top_k], embeddings)
    return Outcome(question=question, chunk_texts=tuple(s.chunk.text for s in retrieved),
                   answer_text="" if answer.refused else answer.text, evidence=evidence, latency_ms=0.0)


def miss_row(o: Outcome, retrieved: list[ScoredChunk], top_k: int, embeddings: Embeddings) -> dict[str, Any]:
    """A lead miss, with the best-scored candidate sentence that holds the gold answer (if any)."""
    gold = o.question["answer"]
    candidates = score_sentences(o.question["question"], retrieved[:top_k], embeddings)
    holding = [c for c in candidates if contains_answer(c.sentence, gold)]
    best = max(holding, key=lambda c: c.score(top_k), default=None)
    return {"id": o.question["id"], "question": o.question["question"], "gold": gold,
            "in_answer": contains_answer(o.answer_text, gold), "answer": o.answer_text,
            "gold_sentence": best and {"sentence": best.sentence, "source": best.source,
                                       "similarity": round(best.similarity, 3), "coverage": round(best.coverage, 3),
                                       "answer_type": best.answer_type, "score": round(best.score(top_k), 3)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--dev", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--folds", action="store_true")
    parser.add_argument("--misses", type=Path)
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    args.cache.mkdir(parents=True, exist_ok=True)
    answerable, unanswerable = read_jsonl(args.dev / "questions.jsonl"), read_jsonl(args.dev / "unanswerable.jsonl")
    everything = answerable + unanswerable
    lists = retrieved_lists(settings, everything, args.cache)
    vectors_path = args.cache / "vectors.pickle"
    vectors = pickle.loads(vectors_path.read_bytes()) if vectors_path.exists() else {}
    from retrieval.index.embeddings import embeddings_from_settings

    embeddings = CachedEmbeddings(embeddings_from_settings(settings), vectors)
    outcomes = [outcome(q, r, settings.top_k, embeddings) for q, r in zip(everything, lists, strict=True)]
    vectors_path.write_bytes(pickle.dumps(vectors))
    answered, unanswered = outcomes[: len(answerable)], outcomes[len(answerable):]
    figures = summarise(answered, unanswered, settings.refusal_threshold, [])
    print(json.dumps({k: figures[k] for k in HEADLINE}))
    if args.folds:
        weeks = weekly_report(answered, unanswered, settings.refusal_threshold, [settings.refusal_threshold],
                              lambda a, u, t: summarise(a, u, t, []))
        print(json.dumps({m: weeks["summary"][m] for m in ("lead_accuracy", "answer_accuracy")}))
    if args.misses:
        with args.misses.open("w", encoding="utf-8") as out:
            for o, r in zip(answered, lists, strict=False):
                if o.evidence >= settings.refusal_threshold and not contains_answer(
                        lead_sentence(o.answer_text), o.question["answer"]):
                    out.write(json.dumps(miss_row(o, r, settings.top_k, embeddings)) + "\n")


if __name__ == "__main__":
    main()
