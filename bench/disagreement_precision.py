"""Precision and recall of disagreement detection on real news: the labelled pairs of bench/disagreements/.

Each labelled pair is two sentences of the dev corpus (article id + sentence position, checked by hash),
given to the detector as two sources with their publication dates and, when mined from a question, that
question. A pair counts as flagged when the detector reports a disagreement between its two sentences (one
side citing each; for a one-sentence pair, any disagreement). See
bench/disagreements/README.md for how the pairs were found and labelled.

    .venv/bin/python bench/disagreement_precision.py [--dev ../shared/eval/realtimeqa-dev] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from retrieval.claims.disagreements import find_disagreements_in_texts
from retrieval.models import Disagreement
from retrieval.text.sentences import split_sentences

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "bench" / "disagreements" / "pairs.jsonl"
DEV = ROOT.parent / "shared" / "eval" / "realtimeqa-dev"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _sentence(article: dict[str, Any], position: int, sha: str) -> str:
    sentence = split_sentences(article["text"])[position]
    if hashlib.sha1(sentence.encode()).hexdigest()[:10] != sha:
        raise SystemExit(f"{article['id']}#{position}: the sentence changed (sentence splitting changed?)")
    return sentence


def _between_the_two(disagreement: Disagreement, sources: int) -> bool:
    """The pair's claim is that its two sentences disagree: one side cites each (a one-sentence pair, the
    two sides an article itself reports, cites its one source twice). A disagreement inside one of two
    sentences is not the pair's."""
    cited = [set(numbers) for _, numbers in disagreement.sides]
    return sources == 1 or any(1 in x and 2 in y for x in cited for y in cited)


def score(pairs: list[dict[str, Any]], dev: Path, embeddings: Embeddings) -> dict[str, Any]:
    articles = {a["id"]: a for a in _jsonl(dev / "articles.jsonl")}
    questions = {q["id"]: q["question"] for q in _jsonl(dev / "questions.jsonl")}
    tp = fp = fn = tn = 0
    wrong: list[str] = []
    for pair in pairs:
        left, right = articles[pair["a"]], articles[pair["b"]]
        texts = [(_sentence(left, pair["a_pos"], pair["a_sha"]), left["id"])]
        if (pair["a"], pair["a_pos"]) != (pair["b"], pair["b_pos"]):
            texts.append((_sentence(right, pair["b_pos"], pair["b_sha"]), right["id"]))
        days = [date.fromisoformat(a["published"]) if a.get("published") else None for a in (left, right)]
        question = questions.get(pair["question_id"] or "")
        found = find_disagreements_in_texts(question, texts, embeddings, days[: len(texts)])
        flagged = any(_between_the_two(d, len(texts)) for d in found)
        tp, fp = tp + (flagged and pair["real"]), fp + (flagged and not pair["real"])
        fn, tn = fn + (not flagged and pair["real"]), tn + (not flagged and not pair["real"])
        if flagged != pair["real"]:
            wrong.append(f"{pair['id']} ({'missed' if pair['real'] else 'false alarm'}: {pair['reason']})")
    return {
        "pairs": len(pairs), "real": tp + fn, "flagged": tp + fp,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "false_alarm_rate": round(fp / (fp + tn), 3) if fp + tn else None,
        "wrong": wrong,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from retrieval.index.embeddings import LocalMiniLMEmbeddings

    result = score(_jsonl(args.pairs), args.dev, LocalMiniLMEmbeddings())
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"pairs {result['pairs']} (real {result['real']}), flagged {result['flagged']}: "
          f"precision {result['precision']}  recall {result['recall']}  false alarms {result['false_alarm_rate']}")
    for line in result["wrong"]:
        print("  ", line)


if __name__ == "__main__":
    main()
