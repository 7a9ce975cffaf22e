"""Issue 13, item 2: the offline answer leads with the sentence that answers, and never says a thing twice.

Real service, real Chroma in a temp dir, real local embedder.
"""

from __future__ import annotations

from pathlib import Path

from retrieval.text.markers import strip_markers
from retrieval.text.sentences import split_cited_sentences

FERRY = """Title: Island ferry service cut
URL: https://coast-news.example/ferry-cut
Date: 2024-03-05
Source: Coast News

The island ferry operator said on Monday it would cut the winter timetable to two crossings a day. \
The operator blamed a shortage of trained crew for the cut to the Brannock ferry service. \
Islanders said the change would make it hard to reach the hospital on the mainland. \
The company said the full timetable would return in April.
Key points
- A shortage of trained crew led to the Brannock ferry cut.
- Islanders worry about reaching the mainland hospital.
"""


def test_the_answer_leads_with_the_reason_and_never_repeats_the_key_point_of_its_own_body(
    service, tmp_path: Path
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "ferry.txt").write_text(FERRY, encoding="utf-8")
    assert service.index(paths=[folder]).added == 1

    answer = service.ask("Why was the Brannock ferry service cut?")

    assert not answer.refused
    sentences = [strip_markers(s).strip() for s in split_cited_sentences(answer.text)]
    assert "shortage of trained crew" in sentences[0], answer.text
    assert sum("trained crew" in s for s in sentences) == 1, answer.text
    assert 1 <= len(sentences) <= 3
