"""Canonical URLs and near-duplicate merging (MinHash LSH), with the outlets of merged stories kept."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.ingest.dedupe import LINK_TAKEN, canonical_url, drop_link_conflicts, merge_duplicates
from retrieval.models import Article

STORY = (
    "The regional council voted seven to two on Tuesday to approve a new bridge across the harbour, "
    "ending a decade of disputes between the two towns over funding, tolls and the design of the "
    "crossing. Construction is expected to begin next spring and take three years, officials said, "
    "and ferry services will continue until the bridge opens to traffic in late 2029."
)
OTHER_STORY = (
    "Inspectors examining the northern dam found three hairline cracks in the spillway during a "
    "routine survey last week. Engineers said the structure was safe for now but repairs would be "
    "needed before the winter rains, and the water authority has asked the state for emergency funds "
    "to cover the work, which could cost as much as forty million."
)


def article(
    key: str, text: str, *, url: str | None = None, outlet: str = "unknown", published: date | None = None
) -> Article:
    return Article(id=key, title=key, url=url, text=text, outlet=outlet, published=published)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTPS://News.Example.COM:443/a/b/?utm_source=x&utm_medium=y", "https://news.example.com/a/b"),
        ("http://news.example.com:80/a?fbclid=1&gclid=2&ref=home#comments", "http://news.example.com/a"),
        ("http://news.example.com:8080/a/", "http://news.example.com:8080/a"),
        ("https://news.example.com", "https://news.example.com/"),
        ("https://news.example.com/?b=2&a=1&UTM_Campaign=z", "https://news.example.com/?a=1&b=2"),
        ("https://user:pw@news.example.com/a", "https://news.example.com/a"),
        ("https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"),
        ("  https://news.example.com/a?id=7  ", "https://news.example.com/a?id=7"),
        ("mailto:desk@news.example.com", "mailto:desk@news.example.com"),
    ],
)
def test_canonical_url(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical


@settings(max_examples=150, deadline=None)
@given(
    host=st.from_regex(r"[a-z][a-z0-9-]{0,10}\.[a-z]{2,5}", fullmatch=True),
    path=st.lists(st.from_regex(r"[A-Za-z0-9_.~-]{1,8}", fullmatch=True), max_size=4),
    query=st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), st.text(max_size=5), max_size=3),
)
def test_canonical_url_is_idempotent_and_ignores_tracking(host: str, path: list[str], query: dict[str, str]) -> None:
    from urllib.parse import urlencode

    base = f"https://{host}/{'/'.join(path)}?{urlencode(query)}"
    once = canonical_url(base)
    assert canonical_url(once) == once
    assert canonical_url(f"{base}&utm_source=feed&fbclid=xyz#frag") == once


def test_same_story_with_tracking_parameters_is_kept_once_with_every_outlet() -> None:
    copies = [
        article("a", STORY, url="https://wire.example/bridge?utm_source=one", outlet="One"),
        article("b", STORY, url="https://wire.example/bridge/?fbclid=2", outlet="Two"),
        article("c", STORY, url="https://WIRE.example/bridge#x", outlet="Three"),
        article("d", OTHER_STORY, url="https://wire.example/dam", outlet="One"),
    ]
    merged, count = merge_duplicates(copies)
    assert count == 2
    assert [a.id for a in merged] == ["a", "d"]
    assert merged[0].outlets == ("One", "Two", "Three")
    assert merged[1].outlets == ("One",)


def test_near_identical_text_at_different_urls_is_merged() -> None:
    syndicated = "HARBOUR CITY (Wire) — " + STORY.replace("officials said", "officials told reporters")
    copies = [
        article("x1", STORY, url="https://harbour.example/1", outlet="Harbour Gazette"),
        article("x2", syndicated, url="https://valley.example/99", outlet="Valley Times"),
        article("x3", OTHER_STORY, url="https://valley.example/100", outlet="Valley Times"),
    ]
    merged, count = merge_duplicates(copies)
    assert count == 1
    (bridge,) = [a for a in merged if "bridge" in a.text]
    assert bridge.id == "x1"  # the first outlet's words represent the story; the copy's words are in them
    assert bridge.outlets == ("Harbour Gazette", "Valley Times")


def test_follow_up_days_later_is_not_merged_however_similar() -> None:
    update = STORY.replace("Tuesday", "Friday") + " The vote was confirmed."
    merged, count = merge_duplicates(
        [
            article("old", STORY, url="https://a.example/1", published=date(2026, 11, 2)),
            article("new", update, url="https://a.example/2", published=date(2026, 11, 20)),
        ]
    )
    assert count == 0 and len(merged) == 2


def test_related_but_different_texts_are_not_merged() -> None:
    half = " ".join(STORY.split()[:30]) + " " + " ".join(OTHER_STORY.split()[30:])
    merged, count = merge_duplicates(
        [article("s", STORY, url="https://a.example/s"), article("h", half, url="https://b.example/h")]
    )
    assert count == 0 and [a.id for a in merged] == ["s", "h"]


def test_short_texts_only_merge_by_url() -> None:
    merged, count = merge_duplicates(
        [
            article("p", "Markets closed higher today.", url="https://a.example/p", outlet="A"),
            article("q", "Markets closed higher today.", url="https://b.example/q", outlet="B"),
        ]
    )
    assert count == 0 and [a.outlets for a in merged] == [("A",), ("B",)]


def test_of_equal_copies_the_first_seen_represents_the_story() -> None:
    """A later copy of the same words never displaces the earlier outlet (its name and link stay first)."""
    copies = [
        article("k2", STORY, url="https://wire.example/bridge?ref=a", outlet="One"),
        article("k1", STORY, url="https://wire.example/bridge", outlet="Two"),
    ]
    forward, _ = merge_duplicates(copies)
    backward, _ = merge_duplicates(list(reversed(copies)))
    assert (forward[0].id, forward[0].outlets) == ("k2", ("One", "Two"))
    assert (backward[0].id, backward[0].outlets) == ("k1", ("Two", "One"))


def test_unknown_outlet_is_dropped_when_known_ones_exist_but_kept_for_the_keeper() -> None:
    merged, _ = merge_duplicates(
        [
            article("z1", STORY + " More words here.", url="https://w.example/s", outlet="unknown"),
            article("z2", STORY, url="https://w.example/s?utm_source=x", outlet="Known"),
        ]
    )
    assert merged[0].outlet == "unknown" and merged[0].outlets == ("unknown", "Known")
    merged, _ = merge_duplicates(
        [
            article("z1", STORY, url="https://w.example/s", outlet="Known"),
            article("z2", STORY, url="https://w.example/s?utm_source=x", outlet="unknown"),
        ]
    )
    assert merged[0].outlets == ("Known",)


def test_articles_without_duplicates_get_their_outlet_recorded() -> None:
    merged, count = merge_duplicates([article("solo", STORY, outlet="Solo")])
    assert count == 0 and merged[0].outlets == ("Solo",)


def test_front_page_links_do_not_merge_different_stories() -> None:
    """Some feeds link every entry to the site's front page; those entries are not one story."""
    merged, count = merge_duplicates(
        [
            article("f1", STORY, url="https://live.example/?utm_source=rss", outlet="Live"),
            article("f2", OTHER_STORY, url="https://live.example/", outlet="Live"),
        ]
    )
    assert count == 0 and [a.id for a in merged] == ["f1", "f2"]


def test_equal_ids_always_come_out_once() -> None:
    merged, count = merge_duplicates([article("same", STORY, outlet="A"), article("same", OTHER_STORY, outlet="B")])
    assert count == 1 and [a.id for a in merged] == ["same"]


# --- provenance: a later copy never takes over another outlet's story -------------------------------

FORGED = (
    "The regional council has abandoned the bridge after a fraud inquiry, a spokesman said, and every "
    "councillor resigned on Tuesday night; residents are told to send their toll refunds by wire today "
    "to the account listed below, and to ignore the official notices, which were written by the fraudsters."
)


def fed(key: str, text: str, url: str, origin: str, outlet: str = "Gazette") -> Article:
    return Article(id=key, title="Bridge", url=url, text=text, outlet=outlet, origin=origin)


@pytest.mark.parametrize("forged", [FORGED, FORGED + " " + STORY, "Bridge cancelled, councillors arrested."])
def test_the_same_link_with_other_words_is_not_merged_and_loses_the_link(forged: str) -> None:
    legit = fed("g", STORY, "https://gazette.example/bridge", "https://gazette.example/rss")
    copy = fed("m", forged, "https://gazette.example/bridge?utm_source=x", "https://mirror.example/feed")
    for order in ([legit, copy], [copy, legit]):
        merged, _ = merge_duplicates(order)
        kept, dropped = drop_link_conflicts(merged)
        assert [(a.id, a.text) for a in kept] == [("g", STORY)]  # the link's owner keeps its own words
        reported = [(f.origin, f.reason.split(" (")[0]) for f in dropped]
        assert reported == [("https://gazette.example/bridge", LINK_TAKEN)]


def test_without_an_owner_the_first_seen_keeps_the_link_and_its_words() -> None:
    first = fed("a", STORY, "https://wire.example/bridge", "https://one.example/rss", outlet="One")
    later = fed("b", FORGED + " " + STORY, "https://wire.example/bridge", "https://two.example/rss", outlet="Two")
    merged, _ = merge_duplicates([first, later])
    kept, dropped = drop_link_conflicts(merged)
    assert [(a.id, a.text, a.outlets) for a in kept] == [("a", STORY, ("One",))]
    assert len(dropped) == 1


def test_a_shorter_copy_of_the_same_words_still_merges_with_its_outlet_recorded() -> None:
    full = fed("full", STORY, "https://wire.example/bridge", "https://wire.example/rss", outlet="Wire")
    summary = fed("sum", " ".join(STORY.split()[:30]), "https://wire.example/bridge", "https://b.example/rss", "B")
    headline = fed("head", "Council approves harbour bridge", "https://wire.example/bridge", "https://c.example/x", "C")
    merged, count = merge_duplicates([summary, headline, full])
    assert count == 2 and drop_link_conflicts(merged)[1] == []
    (story,) = merged
    assert (story.id, story.text, story.outlets) == ("full", STORY, ("Wire", "B", "C"))


def test_a_representative_without_a_link_never_borrows_another_outlets_link() -> None:
    merged, _ = merge_duplicates([article("nolink", STORY, outlet="A"), article("l", STORY, url="https://b.example/s")])
    assert merged[0].id == "nolink" and merged[0].url is None
