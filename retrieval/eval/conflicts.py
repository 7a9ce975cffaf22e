"""`briefbot eval-conflicts DIR`: does the extractive detector notice swapped facts (RGB counterfactuals)?

The answer strings of each case are used only here, for scoring; detection sees the question and
the passages, nothing else.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from retrieval.claims.disagreements import find_disagreements
from retrieval.models import Chunk, Disagreement, ScoredChunk

CASES_FILE = "cases.jsonl"


def evaluate_conflicts(cases_path: Path, embeddings: Embeddings) -> dict[str, Any]:
    """Detection rate (true + swapped passages) and false-alarm rate (true passages only)."""
    if cases_path.is_dir():
        cases_path = cases_path / CASES_FILE
    cases = [json.loads(line) for line in cases_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    started = time.perf_counter()
    detected, alarms, misses, false_alarms = 0, 0, [], []
    for case in cases:
        truths, fakes = case["passages_true"], case["passages_false"]
        mixed = _interleave(truths, fakes)
        found = find_disagreements(case["query"], _sources(mixed), embeddings)
        if _detects(found, case, mixed):
            detected += 1
        else:
            misses.append(case["id"])
        if find_disagreements(case["query"], _sources(truths), embeddings):
            alarms += 1
            false_alarms.append(case["id"])
    total = max(len(cases), 1)
    return {
        "cases": len(cases),
        "detection_rate": round(detected / total, 3),
        "false_alarm_rate": round(alarms / total, 3),
        "missed": misses,
        "false_alarms": false_alarms,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _interleave(truths: Sequence[str], fakes: Sequence[str]) -> list[tuple[str, bool]]:
    """True and swapped passages alternate (a fixed shuffle), so neither side is always cited first."""
    mixed: list[tuple[str, bool]] = []
    for index in range(max(len(truths), len(fakes))):
        pair = [(truths[index], True)] if index < len(truths) else []
        if index < len(fakes):
            pair.append((fakes[index], False))
        mixed.extend(reversed(pair) if index % 2 else pair)
    return mixed


def _sources(passages: Sequence[str] | Sequence[tuple[str, bool]]) -> list[ScoredChunk]:
    texts = [p if isinstance(p, str) else p[0] for p in passages]
    return [
        ScoredChunk(
            chunk=Chunk(id=f"p{n}:0", article_id=f"p{n}", n=0, text=text, title=f"passage {n}"),
            score=1.0,
        )
        for n, text in enumerate(texts, 1)
    ]


def _detects(found: Sequence[Disagreement], case: dict[str, Any], mixed: list[tuple[str, bool]]) -> bool:
    """One disagreement with a side naming the answer (citing true passages only) and one naming the fake."""
    answers = [a.lower() for a in case.get("answer_aliases") or [case["answer"]]]
    fake = case["fakeanswer"].lower()
    for disagreement in found:
        true_side = fake_side = False
        for says, numbers in disagreement.sides:
            said = says.lower()
            cited = [mixed[n - 1][0].lower() for n in numbers if 0 < n <= len(mixed)]
            if any(a in said for a in answers) and cited and all(any(a in c for a in answers) for c in cited):
                true_side = True
            elif fake in said and cited and all(fake in c for c in cited):
                fake_side = True
        if true_side and fake_side:
            return True
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m retrieval.eval.conflicts DIR [--json]` with the local MiniLM embedder."""
    parser = argparse.ArgumentParser(prog="briefbot eval-conflicts")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from retrieval.index.embeddings import LocalMiniLMEmbeddings

    result = evaluate_conflicts(args.directory, LocalMiniLMEmbeddings())
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"detection_rate {result['detection_rate']:.3f}  false_alarm_rate {result['false_alarm_rate']:.3f}"
              f"  ({result['cases']} cases, {result['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
