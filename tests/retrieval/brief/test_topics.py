"""A server's brief topics: include and exclude words or outlets, applied before stories are built."""

from __future__ import annotations

from datetime import UTC, date, datetime

from retrieval.brief.topics import TopicFilter
from retrieval.models import Article


def _article(title: str, text: str, outlet: str) -> Article:
    return Article(id=title, title=title, text=text, outlet=outlet, published=date(2026, 1, 1), outlets=(outlet,))


HARBOUR = _article("Harbour barrier opens", "The flood barrier opened in the harbour.", "Coast Courier")
MATCH = _article("Cup final tonight", "The football final kicks off at eight.", "Sports Desk")
MINE = _article("Mine to close", "The copper mine closes in spring; the harbourmaster said nothing.", "Valley Times")


def test_include_keeps_articles_naming_a_word_or_from_an_outlet_and_exclude_wins() -> None:
    assert TopicFilter().apply([HARBOUR, MATCH, MINE]) == [HARBOUR, MATCH, MINE]
    assert TopicFilter(include=("harbour",)).apply([HARBOUR, MATCH, MINE]) == [HARBOUR]  # a whole word only
    assert TopicFilter(include=("sports desk", "copper")).apply([HARBOUR, MATCH, MINE]) == [MATCH, MINE]
    assert TopicFilter(exclude=("Sports Desk",)).apply([HARBOUR, MATCH, MINE]) == [HARBOUR, MINE]
    assert TopicFilter(include=("harbour", "copper"), exclude=("mine",)).apply([HARBOUR, MATCH, MINE]) == [HARBOUR]


def test_a_servers_brief_leaves_out_what_its_topics_exclude(service, tmp_path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for name, article in (("a", HARBOUR), ("b", MATCH)):
        (folder / f"{name}.txt").write_text(f"Title: {article.title}\nSource: {article.outlet}\nDate: 2026-01-01\n\n"
                                            f"{article.text} " * 3, encoding="utf-8")
    service.index([folder])
    as_of = datetime(2026, 1, 1, 20, tzinfo=UTC)
    everything = service.brief(as_of=as_of)
    narrowed = service.brief(as_of=as_of, topics=TopicFilter(exclude=("football",)))
    assert len(everything.stories) == 2
    assert [s.headline for s in narrowed.stories] and all("Cup" not in s.headline for s in narrowed.stories)
    assert len(narrowed.stories) == 1
