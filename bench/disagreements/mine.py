"""Mine candidate disagreement pairs from the dev corpus, for labelling (a one-off helper, kept to rerun).

For every dev question, the top-k retrieved sources go through the detector's stages; every aligned pair of
statements from different articles that `clashes_between` reports is a candidate, with whether the whole
detector (question focus and grouping included) shows it. Writes a JSONL *with the sentences* to --out
(outside the repository, for reading only); the labelled set keeps article ids and sentence positions.

    .venv/bin/python bench/disagreements/mine.py --data-dir /tmp/claims-data --out /tmp/claims-cands.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from retrieval.claims.alignment import aligned_by_embedding, candidate_pairs, statements_of
from retrieval.claims.clashes import clashes_between
from retrieval.claims.disagreements import find_disagreements
from retrieval.eval.realtimeqa import as_of_for, read_jsonl
from retrieval.service import BriefbotService
from retrieval.settings import Settings
from retrieval.text.sentences import split_sentences

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "realtimeqa-dev"


def position(sentences: list[str], sentence: str) -> int:
    """Index of `sentence` among its article's sentences (-1 if a chunk boundary changed it)."""
    if sentence in sentences:
        return sentences.index(sentence)
    return next((i for i, s in enumerate(sentences) if sentence in s or s in sentence), -1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    service = BriefbotService.from_settings(Settings(data_dir=args.data_dir))  # type: ignore[call-arg]
    corpus = read_jsonl(args.dev / "articles.jsonl")
    articles = {a["id"]: split_sentences(a["text"]) for a in corpus}
    dev_id = {a["url"]: a["id"] for a in corpus}
    questions = read_jsonl(args.dev / "questions.jsonl")
    with args.out.open("w", encoding="utf-8") as out:
        for q in questions:
            sources = service.retrieve(q["question"], as_of=as_of_for(q["question_date"]))
            texts = [(s.chunk.text, dev_id.get(s.chunk.url or "", s.chunk.article_id)) for s in sources]
            statements = [s for i, (t, g) in enumerate(texts, 1) for s in statements_of(i, g, t)]
            pairs = candidate_pairs(statements)
            shown = find_disagreements(q["question"], sources, service.embeddings) if pairs else ()
            shown_surfaces = {says for d in shown for says, _ in d.sides}
            for a, b, cosine in aligned_by_embedding(statements, pairs, service.embeddings) if pairs else []:
                for clash in clashes_between(statements[a], statements[b], cosine):
                    left, right = statements[a], statements[b]
                    out.write(json.dumps({
                        "question_id": q.get("id") or q.get("question_id"), "question": q["question"],
                        "a": left.group, "a_pos": position(articles.get(left.group, []), left.text),
                        "b": right.group, "b_pos": position(articles.get(right.group, []), right.text),
                        "kind": clash.kind, "left": clash.left[1], "right": clash.right[1],
                        "shown": clash.left[1] in shown_surfaces or clash.right[1] in shown_surfaces,
                        "a_text": left.text, "b_text": right.text, "cosine": round(cosine, 3),
                    }) + "\n")


if __name__ == "__main__":
    main()


def mine_stories(dev: Path, out_path: Path, min_title_cosine: float = 0.6, max_sentences: int = 40) -> None:
    """Candidates from pairs of articles about one story (close titles, same quiz week): a brief's case."""
    import numpy as np

    from retrieval.index.embeddings import LocalMiniLMEmbeddings

    embeddings = LocalMiniLMEmbeddings()
    corpus = read_jsonl(dev / "articles.jsonl")
    vectors = np.asarray(embeddings.embed_documents([a["title"] for a in corpus]), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    with out_path.open("w", encoding="utf-8") as out:
        for i, left_article in enumerate(corpus):
            for j in range(i + 1, len(corpus)):
                right_article = corpus[j]
                if left_article["source_week"] != right_article["source_week"]:
                    continue
                if float(vectors[i] @ vectors[j]) < min_title_cosine:
                    continue
                texts = [(" ".join(split_sentences(a["text"])[:max_sentences]), a["id"])
                         for a in (left_article, right_article)]
                statements = [s for n, (t, g) in enumerate(texts, 1) for s in statements_of(n, g, t)]
                pairs = candidate_pairs(statements)
                if not pairs:
                    continue
                for a, b, cosine in aligned_by_embedding(statements, pairs, embeddings):
                    for clash in clashes_between(statements[a], statements[b], cosine):
                        left, right = statements[a], statements[b]
                        sentences = {x["id"]: split_sentences(x["text"]) for x in (left_article, right_article)}
                        out.write(json.dumps({
                            "title_a": left_article["title"], "title_b": right_article["title"],
                            "a": left.group, "a_pos": position(sentences[left.group], left.text),
                            "b": right.group, "b_pos": position(sentences[right.group], right.text),
                            "kind": clash.kind, "left": clash.left[1], "right": clash.right[1],
                            "a_text": left.text, "b_text": right.text, "cosine": round(cosine, 3),
                        }) + "\n")
