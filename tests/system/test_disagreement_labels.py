"""bench/disagreements/pairs.jsonl: enough labelled real-news pairs, each a pointer (never article text) with
a label and a reason; and bench/disagreement_precision.py scores a pair set it is given."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

from tests.conftest import REPO_ROOT

PAIRS = REPO_ROOT / "bench" / "disagreements" / "pairs.jsonl"
POINTER_KEYS = {"id", "question_id", "a", "a_pos", "a_sha", "b", "b_pos", "b_sha", "real", "reason"}


def test_the_labelled_set_holds_60_pointers_with_a_label_and_a_reason() -> None:
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    assert len(pairs) >= 60 and len({p["id"] for p in pairs}) == len(pairs)
    for pair in pairs:
        assert set(pair) == POINTER_KEYS  # no text: the articles stay in ../shared
        assert isinstance(pair["real"], bool) and 5 <= len(pair["reason"]) <= 100
    assert any(p["real"] for p in pairs) and (REPO_ROOT / "bench" / "disagreements" / "README.md").is_file()


def test_the_bench_counts_a_flagged_false_pair_against_precision(tmp_path: Path, embeddings) -> None:
    spec = importlib.util.spec_from_file_location("disagreement_precision", REPO_ROOT / "bench" /
                                                  "disagreement_precision.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    left = "The fire at the warehouse in Lyon killed 12 people on Monday, officials said."
    right = "The fire at the warehouse in Lyon killed 15 people on Monday, officials said."
    articles = [{"id": i, "text": text, "published": "2024-05-01"} for i, text in (("x", left), ("y", right))]
    (tmp_path / "articles.jsonl").write_text("\n".join(json.dumps(a) for a in articles))
    (tmp_path / "questions.jsonl").write_text("")

    def sha(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()[:10]

    pair = {"id": "t", "question_id": None, "a": "x", "a_pos": 0, "a_sha": sha(left), "b": "y", "b_pos": 0,
            "b_sha": sha(right), "real": False, "reason": "labelled false on purpose"}
    result = bench.score([pair, pair | {"id": "u", "real": True}], tmp_path, embeddings)
    assert result["flagged"] == 2 and result["precision"] == 0.5 and result["recall"] == 1.0
