"""Titles and outlet names as a reader sees them in a source list (retrieval/text/titles.py)."""

from __future__ import annotations

import pytest

from retrieval.text.titles import clean_title, derived_title, domain_name, outlet_name, title_site_name

CNN = "https://www.cnn.com/2022/09/01/politics/story/index.html"
WEEK = "https://www.theweek.co.uk/news/world-news/958000/story"
USA = "https://www.usatoday.com/story/news/2024/06/19/story/74150000007/"


@pytest.mark.parametrize(("raw", "url", "clean"), [
    ("Red states are building a nation within a nation | CNN Politics", CNN,
     "Red states are building a nation within a nation"),
    ("Photos this week: August 25-September 1, 2022 | CNN", CNN, "Photos this week: August 25-September 1, 2022"),
    ("Pros and cons of gene-editing babies | The Week", WEEK, "Pros and cons of gene-editing babies"),
    ("Storm hits the coast - The Week", WEEK, "Storm hits the coast"),
    ("Queen funeral plans | The ...", WEEK, "Queen funeral plans"),  # a cut-off site name
    ("Snubs from key leaders reveal Biden's ...", USA, "Snubs from key leaders reveal Biden's"),
    ("King Charles leaves hospital…", USA, "King Charles leaves hospital"),
    # A dash, a bar or a section that is not the site's name is part of the title.
    ("Biden - Xi meeting ends without a deal", CNN, "Biden - Xi meeting ends without a deal"),
    ("False claim about schools | Fact check", USA, "False claim about schools | Fact check"),
    ("Bitcoin hit $100,000 | The Motley Fool", USA, "Bitcoin hit $100,000 | The Motley Fool"),
    ("CNN", CNN, "CNN"),  # never emptied
])
def test_titles_lose_ellipses_and_their_own_site_suffix_only(raw: str, url: str, clean: str) -> None:
    assert clean_title(raw, url=url) == clean


def test_a_suffix_naming_the_site_is_cut_even_when_the_domain_spells_it_differently() -> None:
    title = clean_title("Fed holds rates - Money Daily", site="Money Daily", url="https://md.example/x")
    assert title == "Fed holds rates"


@pytest.mark.parametrize(("claimed", "url", "outlet"), [
    ("USA TODAY - Top Stories", "https://rssfeeds.usatoday.com/UsatodaycomNation-TopStories", "USA TODAY"),
    ("CNN.com - RSS Channel - World", "http://rss.cnn.com/rss/edition_world.rss", "CNN"),
    ("The New York Times", "https://www.nytimes.com/", "The New York Times"),  # its own name, kept
    ("The Harbour Gazette", "http://127.0.0.1:8000/feed.xml", "The Harbour Gazette"),
    (None, USA, "usatoday.com"),  # no name given: the domain, never an invented one
    (None, "https://college.usatoday.com/2024/story", "usatoday.com"),
    (None, "http://127.0.0.1:8000/feed.xml", "127.0.0.1"),
    (None, None, "unknown"),
])
def test_outlets_are_the_sites_own_name_else_its_domain(claimed: str | None, url: str | None, outlet: str) -> None:
    assert outlet_name(claimed, url) == outlet


def test_a_title_suffix_names_the_site_only_when_it_spells_the_domain() -> None:
    assert title_site_name("Ashley Biden finds her voice | CNN Politics", CNN) == "CNN Politics"
    assert title_site_name("Stocks | The Motley Fool", USA) is None
    assert domain_name(WEEK) == "theweek.co.uk"


def test_a_briefing_without_a_title_is_named_by_its_first_key_point_cut_at_a_clause() -> None:
    points = ["Putin visits North Korea to deepen strategic alliance, first visit in 24 years."]
    assert derived_title(points, "Body.", fallback="f") == (
        "Putin visits North Korea to deepen strategic alliance, first visit in 24 years")
    body = ("Russian President Vladimir Putin’s landmark visit to North Korea, his first in 24 years, is poised "
            "to solidify the burgeoning strategic partnership between the two nations. More follows.")
    title = derived_title([], body, fallback="f")
    assert title == "Russian President Vladimir Putin’s landmark visit to North Korea, his first in 24 years"
    long_words = "word " * 40
    cut = derived_title([], long_words, fallback="f")
    assert len(cut) <= 90 and cut.endswith("word") and not cut.endswith("…")


@pytest.mark.parametrize(("cut", "expected"), [
    ("Louisiana law requires Ten Commandments be displayed in …",
     "Louisiana law requires Ten Commandments be displayed"),
    ("Students return to classrooms under the...", "Students return to classrooms"),
    ("The end of an era…", "The end of an era"),
])
def test_a_title_the_search_engine_cut_does_not_end_on_a_dangling_word(cut: str, expected: str) -> None:
    assert clean_title(cut) == expected


def test_a_whole_title_keeps_its_last_word_even_if_it_is_a_preposition() -> None:
    assert clean_title("What the new law is about") == "What the new law is about"
