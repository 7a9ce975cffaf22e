"""Offline answers state the asked fact, and both sides of a disputed one, each cited.

Real service, real Chroma in a temp dir, real local embedder. The seed-format articles carry their own
`Contradictions` section; the plain ones do not. The questions use other words than the articles
("went on strike" / "walked out", "open" / "doors opened"), so matching goes through the embedder.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from retrieval.models import Answer, Article

STRIKE = """Title: Steelworkers strike at Ferrox plant
URL: https://midland-post.example/ferrox-strike
Date: 2024-03-05
Source: Midland Post

Workers at the Ferrox steel plant in Dunmore went on strike on Monday, the biggest walkout at the site in a \
decade. Picket lines formed at all three gates before dawn, and production of rolled steel stopped. Union leaders \
said about 12,000 employees had joined the stoppage across the site. Ferrox management disputed that, saying only \
4,500 staff stayed away from their shifts. The dispute centres on a pay offer the union calls an insult to its \
members. Ferrox said it remained open to talks and had offered a 3% rise.
Key points
- Steelworkers at Ferrox in Dunmore went on strike on Monday over pay.
- Production of rolled steel stopped.
Contradictions
- The union and Ferrox management give very different figures for how many workers took part.
"""
MUSEUM = """Title: The Halden museum finally opens
URL: https://arts-weekly.example/halden-museum
Date: 2024-04-10
Source: Arts Weekly

The new Halden Maritime Museum has welcomed its first visitors, years behind schedule. The city council's website \
gives the opening date as March 12, 2024, but the museum's director insists the doors opened to the public on \
March 19, 2024. The building houses the restored schooner Marta and a collection of ship models. Ticket prices \
start at 15 euros.
Contradictions
- The council and the museum director give different opening dates.
"""
PRIZE = """Title: Dispute over the Orla design prize
URL: https://design-review.example/orla-prize
Date: 2024-05-02
Source: Design Review

The Orla design prize, awarded every two years for public architecture, ended in confusion this week. The jury \
announced that the prize went to the architect Ines Calder for her library in Vesk. The prize's sponsor, however, \
named Tomas Brevik as the winner in its own press release. Both architects have been shortlisted before. The \
ceremony was held in a converted warehouse by the river.
Contradictions
- The jury and the sponsor named different winners.
"""
HARBOUR = Article(
    id="harbour-strike", title="Dockers walk out at Ellsmere", url="https://harbour-times.example/strike",
    published=date(2024, 3, 5), outlet="Harbour Times",
    text=(
        "Dock workers at the Port of Ellsmere stopped work on Monday in a dispute over pay and shift patterns. "
        "The stoppage halted container traffic for most of the day, and ships queued outside the harbour. "
        "The union says 12,000 workers walked out, while the company puts the figure at 4,500. "
        "Talks between the two sides are due to resume on Thursday."
    ),
)
FILLER = Article(
    id="rail", title="Rail line reopens after floods", url="https://valley-courier.example/rail",
    published=date(2024, 3, 5), outlet="Valley Courier",
    text=("The coastal rail line reopened on Tuesday after engineers repaired a washed-out embankment near Corran. "
          "Trains will run at reduced speed for two weeks while the track settles, the operator said."),
)


def _wire(key: str, outlet: str, text: str) -> Article:
    return Article(id=key, title=f"{outlet} report", url=f"https://{key}.example/story", published=date(2024, 6, 12),
                   outlet=outlet, text=text)


@pytest.fixture
def briefings(service, tmp_path: Path):
    folder = tmp_path / "briefings"
    folder.mkdir()
    for name, text in {"strike.txt": STRIKE, "museum.txt": MUSEUM, "prize.txt": PRIZE}.items():
        (folder / name).write_text(text, encoding="utf-8")
    report = service.index(paths=[folder])
    assert report.added == 3 and not report.failures
    service.indexer.index([HARBOUR, FILLER])
    return service


def _sentences(answer: Answer) -> list[tuple[str, list[int]]]:
    """The answer's sentences with the citation numbers that follow each."""
    parts = re.findall(r"(.+?[.!?])((?:\s*\[\d+\])+)", answer.text)
    return [(text.strip(), [int(n) for n in re.findall(r"\d+", markers)]) for text, markers in parts]


def _cited_to(answer: Answer, value: str, url: str) -> None:
    """The answer states `value`, and the first citation markers after it cite the article at `url`."""
    by_n = {c.n: c for c in answer.citations}
    found = re.finditer(re.escape(value), answer.text)
    following = [re.search(r"(?:\s*\[\d+\])+", answer.text[m.end():]) for m in found]
    assert following, f"{value!r} is not in the answer: {answer.text}"
    cited = {by_n[int(n)].url for markers in following if markers for n in re.findall(r"\d+", markers.group())}
    assert url in cited, answer.text


@pytest.mark.parametrize(
    ("question", "values", "dispute", "url"),
    [
        pytest.param("How many workers went on strike at Ferrox?", ("12,000", "4,500"),
                     "very different figures", "https://midland-post.example/ferrox-strike", id="count"),
        pytest.param("When did the Halden Maritime Museum open?", ("March 12, 2024", "March 19, 2024"),
                     "different opening dates", "https://arts-weekly.example/halden-museum", id="date"),
        pytest.param("Who won the Orla design prize?", ("Ines Calder", "Tomas Brevik"),
                     "named different winners", "https://design-review.example/orla-prize", id="name"),
    ],
)
def test_one_article_with_two_sides_gives_both_and_names_the_dispute(
    briefings, question: str, values: tuple[str, str], dispute: str, url: str
) -> None:
    answer = briefings.ask(question)

    assert not answer.refused and answer.mode == "extractive"
    lead, _ = _sentences(answer)[0]
    assert any(v in lead for v in values), f"the answer does not lead with the asked fact: {answer.text}"
    for value in values:
        _cited_to(answer, value, url)
    assert any(dispute in text for text, _ in _sentences(answer)), answer.text


def test_a_plain_article_with_both_figures_in_one_sentence_leads_with_it(briefings) -> None:
    answer = briefings.ask("How many dock workers walked out at Ellsmere?")

    lead, numbers = _sentences(answer)[0]
    assert "12,000" in lead and "4,500" in lead, answer.text
    assert {c.url for c in answer.citations if c.n in numbers} == {HARBOUR.url}


@pytest.mark.parametrize(
    ("question", "left", "right", "left_value", "right_value"),
    [
        pytest.param(
            "How many people joined the march in Corvale?",
            "Organisers said 40,000 people joined the march in Corvale on Saturday to protest the new motorway.",
            "Police said 15,000 people joined the march in Corvale on Saturday to protest the new motorway.",
            "40,000", "15,000", id="count"),
        pytest.param(
            "When did the Corvale bridge reopen to traffic?",
            "The Corvale bridge reopened to traffic on June 3, 2024, after a year of repairs to its cables.",
            "The Corvale bridge reopened to traffic on June 10, 2024, after a year of repairs to its cables.",
            "June 3, 2024", "June 10, 2024", id="date"),
        pytest.param(
            "Who did the Tarrow council elect as mayor?",
            "The Tarrow city council elected Mara Voss as mayor on Tuesday after a close vote.",
            "The Tarrow city council elected Jonas Pell as mayor on Tuesday after a close vote.",
            "Mara Voss", "Jonas Pell", id="name"),
    ],
)
def test_two_articles_that_disagree_are_both_given_each_cited(
    service, question: str, left: str, right: str, left_value: str, right_value: str
) -> None:
    service.indexer.index([_wire("wire-left", "Left Wire", left), _wire("wire-right", "Right Wire", right), FILLER])

    answer = service.ask(question)

    assert not answer.refused, answer.text
    _cited_to(answer, left_value, "https://wire-left.example/story")
    _cited_to(answer, right_value, "https://wire-right.example/story")
