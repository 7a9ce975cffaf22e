"""`briefbot eval` end to end on a tiny hand-made realtimeqa-style folder: real loader, index, search, answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.eval.realtimeqa import contains_answer, contains_answer_word, norm_match, run_eval
from tests.conftest import make_settings

ARTICLES = [
    ("a1", "Harbor City opens the Lindqvist Bridge", "2024-05-14",
     "Harbor City opened its new crossing over the Vell estuary on Tuesday after four years of work.\n\n"
     "The Lindqvist Bridge was designed by the structural engineer Marta Okonkwo. The bridge cost 212 million "
     "dollars, most of it paid by the regional government."),
    ("a2", "River Meriden bursts its banks", "2024-05-12",
     "Heavy rain over the weekend pushed the River Meriden over its banks.\n\n"
     "Officials said 3,400 people were evacuated from the Meriden valley on Sunday night. Emergency shelters "
     "opened in two schools in the town of Alder Cross."),
    ("a3", "Otters take the regional rowing title", "2024-05-11",
     "The Riverton Otters won the regional rowing championship on Saturday, beating the Selby Herons by two "
     "lengths. Coach Ilse Marchetti said the crew had trained at dawn all winter."),
    ("a4", "A bright comet returns", "2024-05-10",
     "Astronomers at the Pell Observatory say the comet will be visible to the naked eye for about a week, "
     "low in the western sky just after sunset."),
]
QUESTIONS = [
    ("q1", "Who designed the Lindqvist Bridge?", "Marta Okonkwo", True),
    ("q2", "How many people were evacuated from the Meriden valley?", "3,400", True),
    ("q3", "Which rowing crew won the regional championship?", "Riverton Otters", False),
]
UNANSWERABLE = [
    ("u1", "Which team won the Super Bowl?", "Kansas City Chiefs"),
    ("u2", "How many moons does Jupiter have?", "95"),
]
THRESHOLDS = (0.2, 0.35, 0.95)
KEYS = {
    "recall@1", "recall@3", "recall@5", "recall@10", "answer_accuracy", "refusal_rate", "false_refusal_rate",
    "supported_recall@1", "supported_recall@5", "questions", "chunks", "index_seconds", "latency_ms_p50",
    "latency_ms_p95", "refusal_tradeoff",
}


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


@pytest.fixture
def eval_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rtqa"
    folder.mkdir()
    write_jsonl(folder / "articles.jsonl", [
        {"id": i, "url": f"https://news.example/{i}", "title": title, "text": text, "published": day,
         "published_is_quiz_week": False, "source_week": "2024-05-17"}
        for i, title, day, text in ARTICLES
    ])
    write_jsonl(folder / "questions.jsonl", [
        {"id": i, "question": q, "answer": a, "question_date": "2024-05-17", "week": "2024-05-17",
         "answer_specific": True, "answer_supported": supported}
        for i, q, a, supported in QUESTIONS
    ])
    write_jsonl(folder / "unanswerable.jsonl", [
        {"id": i, "question": q, "answer": a, "question_date": "2024-05-17", "week": "2024-05-17"}
        for i, q, a in UNANSWERABLE
    ])
    return folder


def test_eval_reports_every_figure_and_reuses_its_index(eval_dir: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    first = run_eval(eval_dir, settings, thresholds=THRESHOLDS)

    assert first.keys() >= KEYS
    json.dumps(first)  # what `briefbot eval --json` prints
    assert first["questions"] == 3 and first["chunks"] >= 4
    # Four short articles fit in ten chunks, so recall@10 must be perfect; recall never falls with k.
    assert first["recall@10"] == 1.0 and first["supported_recall@5"] == 1.0
    recalls = [first[f"recall@{k}"] for k in (1, 3, 5, 10)]
    assert recalls == sorted(recalls) and first["recall@1"] >= 2 / 3
    assert first["answer_accuracy"] == 1.0
    assert first["refusal_rate"] == 1.0 and first["false_refusal_rate"] == 0.0
    assert 0 <= first["latency_ms_p50"] <= first["latency_ms_p95"] and first["index_seconds"] > 0
    assert first["index_added"] == 4

    tradeoff = first["refusal_tradeoff"]
    assert [row["threshold"] for row in tradeoff] == list(THRESHOLDS)
    refusals = [row["refusal_rate"] for row in tradeoff]
    false_refusals = [row["false_refusal_rate"] for row in tradeoff]
    assert refusals == sorted(refusals) and false_refusals == sorted(false_refusals)
    assert tradeoff[-1]["false_refusal_rate"] == 1.0  # no sentence is that good: everything is refused

    again = run_eval(eval_dir, settings, thresholds=THRESHOLDS)
    assert again["index_added"] == 0 and again["index_unchanged"] == 4
    assert again["chunks"] == first["chunks"]
    for key in ("recall@1", "recall@10", "answer_accuracy", "refusal_rate", "false_refusal_rate"):
        assert again[key] == first[key]


def test_matching_follows_the_data_set_readme() -> None:
    assert norm_match("  Kate\u2019s  \u201cBig\u201d\n Day \u2014 ok ") == "kate's \"big\" day - ok"
    assert contains_answer("Aid for Ukraine was passed.", "UK")  # substring: the README's known artefact
    assert not contains_answer_word("Aid for Ukraine was passed.", "UK")
    assert contains_answer_word("The UK's envoy", "UK")
    assert contains_answer_word("It cost $560,000 in total", "$560,000")
    assert not contains_answer("Catherine, Princess\u00a0of Wales", "Prince Edward")
