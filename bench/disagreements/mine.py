"""Mine the pairs the disagreement detector flags in the dev corpus, for labelling (kept so it can be rerun).

Two sources of pairs, as a reader meets them:

- `questions`: the top-k sources of every dev question (as `briefbot eval` retrieves them), through the whole
  detector (`detected_clashes`: question focus, alignment, token swaps, reworded slots, attributed sides);
- `stories`: pairs of articles of one quiz week whose titles are close (MiniLM cosine >= 0.6), their first 40
  sentences (one a paragraph, so the detector sees the sentences the pointers name) and publication dates through
  the detector with no question, as a brief compares a story's articles.

A flagged statement that is not exactly one sentence of its article (a chunk boundary cut it) is skipped: its
pointer would make the bench score another text.

Every flagged pair of sentences is written to --out as JSONL *with the sentences* (outside the repository,
for reading only); the labelled set (pairs.jsonl) keeps article ids, sentence positions and hashes. With
--labelled, pairs already in that file are marked `known`.

    .venv/bin/python bench/disagreements/mine.py questions --data-dir /tmp/claims-data --out /tmp/q.jsonl
    .venv/bin/python bench/disagreements/mine.py stories --out /tmp/s.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.claims.disagreements import detected_clashes
from retrieval.eval.realtimeqa import as_of_for, read_jsonl
from retrieval.text.sentences import split_sentences

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "eval" / "realtimeqa-dev"
PAIRS = ROOT / "bench" / "disagreements" / "pairs.jsonl"
MIN_TITLE_COSINE = 0.6
MAX_STORY_SENTENCES = 40


def position(sentences: list[str], sentence: str) -> int:
    """Index of `sentence` among its article's sentences (-1 if a chunk boundary changed it)."""
    if sentence in sentences:
        return sentences.index(sentence)
    return next((i for i, s in enumerate(sentences) if sentence in s or s in sentence), -1)


def sha(sentence: str) -> str:
    return hashlib.sha1(sentence.encode()).hexdigest()[:10]


def flagged(question: str | None, texts: list[tuple[str, str]], days: list[date | None], embeddings: Embeddings,
            sentences: dict[str, list[str]]) -> Iterator[dict[str, Any]]:
    """One record per flagged pair of sentences: pointers, then the text for the labeller."""
    for clash, left, right in detected_clashes(question, texts, embeddings, days):
        a_pos, b_pos = position(sentences[left.group], left.text), position(sentences[right.group], right.text)
        if a_pos < 0 or b_pos < 0 or (sentences[left.group][a_pos], sentences[right.group][b_pos]) != (
                left.text, right.text):
            continue  # a chunk boundary cut the sentence: its pointer would score another text
        a_text, b_text = sentences[left.group][a_pos], sentences[right.group][b_pos]
        yield {"a": left.group, "a_pos": a_pos, "a_sha": sha(a_text), "b": right.group, "b_pos": b_pos,
               "b_sha": sha(b_text), "kind": clash.kind, "left": clash.left[1], "right": clash.right[1],
               "topic": clash.topic, "a_text": a_text, "b_text": b_text}


def mine_questions(data_dir: Path, dev: Path) -> Iterator[dict[str, Any]]:
    from retrieval.service import BriefbotService
    from retrieval.settings import Settings

    service = BriefbotService.from_settings(Settings(data_dir=data_dir))  # type: ignore[call-arg]
    corpus = read_jsonl(dev / "articles.jsonl")
    sentences = {a["id"]: split_sentences(a["text"]) for a in corpus}
    dev_id = {a["url"]: a["id"] for a in corpus}
    for q in read_jsonl(dev / "questions.jsonl"):
        sources = service.retrieve(q["question"], as_of=as_of_for(q["question_date"]))[: service.settings.top_k]
        texts = [(s.chunk.text, dev_id.get(s.chunk.url or "", s.chunk.article_id)) for s in sources]
        known = [(t, g) for t, g in texts if g in sentences]
        days = [s.chunk.published for s, (_, g) in zip(sources, texts, strict=True) if g in sentences]
        for record in flagged(q["question"], known, days, service.embeddings, sentences):
            yield {"question_id": q["id"], "question": q["question"]} | record


def mine_stories(dev: Path, embeddings: Embeddings, min_title_cosine: float = MIN_TITLE_COSINE,
                 max_sentences: int = MAX_STORY_SENTENCES) -> Iterator[dict[str, Any]]:
    corpus = read_jsonl(dev / "articles.jsonl")
    sentences = {a["id"]: split_sentences(a["text"]) for a in corpus}
    vectors = np.asarray(embeddings.embed_documents([a["title"] for a in corpus]), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    for i, left in enumerate(corpus):
        for j in range(i + 1, len(corpus)):
            right = corpus[j]
            if left["source_week"] != right["source_week"] or float(vectors[i] @ vectors[j]) < min_title_cosine:
                continue
            texts = [("\n\n".join(sentences[a["id"]][:max_sentences]), a["id"]) for a in (left, right)]
            days = [date.fromisoformat(a["published"]) if a.get("published") else None for a in (left, right)]
            for record in flagged(None, texts, days, embeddings, sentences):
                yield {"question_id": None, "title_a": left["title"], "title_b": right["title"]} | record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("questions", "stories"))
    parser.add_argument("--data-dir", type=Path, help="a copy of the built dev index (questions mode)")
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--labelled", type=Path, default=PAIRS)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--min-title-cosine", type=float, default=MIN_TITLE_COSINE, help="stories mode")
    parser.add_argument("--max-sentences", type=int, default=MAX_STORY_SENTENCES, help="stories mode")
    args = parser.parse_args()
    labelled = {(p["a"], p["a_pos"], p["b"], p["b_pos"]) for p in read_jsonl(args.labelled)}
    if args.mode == "questions":
        if args.data_dir is None:
            parser.error("questions needs --data-dir")
        records = mine_questions(args.data_dir, args.dev)
    else:
        from retrieval.index.embeddings import LocalMiniLMEmbeddings

        records = mine_stories(args.dev, LocalMiniLMEmbeddings(), args.min_title_cosine, args.max_sentences)
    seen: set[tuple[str, int, str, int]] = set()
    with args.out.open("w", encoding="utf-8") as out:
        for record in records:
            key = (record["a"], record["a_pos"], record["b"], record["b_pos"])
            if key in seen or key[2:] + key[:2] in seen:
                continue
            seen.add(key)
            known = key in labelled or key[2:] + key[:2] in labelled  # type: ignore[operator]
            out.write(json.dumps(record | {"known": known}) + "\n")


if __name__ == "__main__":
    main()
