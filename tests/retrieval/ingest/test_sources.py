"""sources.toml, collecting from folders, feeds and pages served on 127.0.0.1, and page extraction."""

from __future__ import annotations

import json
import time
import tomllib
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.errors import LoadError, SourceError, UnsafeURLError
from retrieval.ingest.collect import collect_articles, commit_fetch_state
from retrieval.ingest.configured_sources import (
    SourcesConfig,
    add_source,
    list_sources,
    load_sources,
    remove_source,
    save_sources,
    toml_string,
)
from retrieval.ingest.fetch import SafeFetcher
from retrieval.ingest.loaders import load_folder
from retrieval.ingest.pages import extract_page
from tests.conftest import make_settings

if TYPE_CHECKING:
    from tests.support.http_server import LocalServer


DEADLINE_SECONDS = 1.0


def local_fetcher(max_bytes: int = 1_000_000) -> SafeFetcher:
    return SafeFetcher(timeout_seconds=DEADLINE_SECONDS, max_bytes=max_bytes, allow_private=True)


def rss(title: str, *items: tuple[str, str, str]) -> str:
    """An RSS 2.0 document; items are (title, link, description)."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
        "<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate></item>"
        for t, link, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{body}</channel></rss>'


STORY = (
    "The regional council voted seven to two on Tuesday to approve a new bridge across the harbour, "
    "ending a decade of disputes between the two towns over funding, tolls and the design of the crossing."
)

DAM_STORY = (
    "Inspectors examining the northern dam found three hairline cracks in the spillway during a routine "
    "survey last week; engineers said repairs are needed before the winter rains begin."
)


def page(body: str, *, title: str = "Bridge vote", head: str = "", charset_meta: str = "") -> str:
    return (
        f"<html><head>{charset_meta}<title>{title}</title>{head}</head><body><nav>Home | World | Sport</nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Copyright 2026</footer></body></html>"
    )


# --- sources.toml


def test_without_a_sources_file_the_seeds_folder_is_the_only_source(tmp_path: Path) -> None:
    settings_ = make_settings(tmp_path)
    assert load_sources(settings_) == SourcesConfig(folders=(settings_.seeds_dir,))
    assert not settings_.sources_file.exists()


def test_sources_file_round_trips_and_is_valid_toml(tmp_path: Path) -> None:
    settings_ = make_settings(tmp_path)
    config = SourcesConfig(
        folders=(Path("seeds"), Path('/data/odd "name"\\dir')),
        feeds=("https://news.example/rss?a=1&b=2",),
        urls=(),
        fetch_full_text=True,
    )
    save_sources(settings_, config)
    assert load_sources(settings_) == config
    assert tomllib.loads(settings_.sources_file.read_text(encoding="utf-8"))["urls"] == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_toml_strings_round_trip_through_tomllib(value: str) -> None:
    assert tomllib.loads(f"x = {toml_string(value)}")["x"] == value


def test_add_list_and_remove_sources(tmp_path: Path, local_server: LocalServer) -> None:
    settings_ = make_settings(tmp_path, allow_private_urls=True)
    feed = local_server.url("/feed.xml")
    add_source(settings_, "feed", feed)
    add_source(settings_, "feed", feed)  # twice: still once
    add_source(settings_, "url", local_server.url("/story"))
    add_source(settings_, "folder", str(tmp_path))
    listed = list_sources(settings_)
    assert listed.feeds == (feed,) and listed.urls == (local_server.url("/story"),)
    assert listed.folders == (settings_.seeds_dir, tmp_path)
    remove_source(settings_, "feed", feed)
    remove_source(settings_, "folder", str(settings_.seeds_dir))
    assert list_sources(settings_) == SourcesConfig(folders=(tmp_path,), urls=(local_server.url("/story"),))
    assert local_server.requests == []  # adding checks addresses; it fetches nothing


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/feed", "http://169.254.169.254/latest", "file:///etc/passwd", "http://[::1]/"]
)
def test_adding_an_unsafe_url_is_refused_at_once(url: str, tmp_path: Path) -> None:
    settings_ = make_settings(tmp_path)  # the default: private addresses refused
    with pytest.raises(UnsafeURLError):
        add_source(settings_, "feed", url)
    assert not settings_.sources_file.exists()


def test_bad_source_commands_explain_themselves(tmp_path: Path) -> None:
    settings_ = make_settings(tmp_path)
    with pytest.raises(SourceError, match="no such folder"):
        add_source(settings_, "folder", str(tmp_path / "missing"))
    with pytest.raises(SourceError, match="unknown source kind"):
        add_source(settings_, "podcast", "x")
    with pytest.raises(SourceError, match="not a configured feed"):
        remove_source(settings_, "feed", "https://news.example/rss")
    settings_.sources_file.write_text("feeds = [unclosed", encoding="utf-8")
    with pytest.raises(SourceError, match="parse error"):
        load_sources(settings_)


# --- collecting


def test_every_good_source_is_collected_and_each_bad_one_reported(tmp_path: Path, local_server: LocalServer) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    ferry = "Title: Ferry fares rise\n\n" + STORY.replace("bridge", "ferry")
    (folder / "2026-11-20-ferry.txt").write_text(ferry, encoding="utf-8")
    good_feed = local_server.route("/good.xml", rss("Gazette", ("Bridge", "https://g.example/b", STORY)))
    good_page = local_server.route("/story", page(f"<p>{DAM_STORY}</p>"), content_type="text/html")
    local_server.redirect("/loop-a", "/loop-b")
    local_server.redirect("/loop-b", "/loop-a")
    bad = {
        local_server.hang("/hang.xml"): "timeout",
        local_server.trickle("/trickle.xml", b"<rss>" + b" " * 200, interval_seconds=0.2): "timeout",
        local_server.url("/missing.xml"): "HTTP 404",
        local_server.gzip_bomb("/bomb.xml", decoded_bytes=20_000_000): "too large",
        local_server.route("/lol.xml", "<!DOCTYPE r [<!ENTITY a 'b'>]><rss/>"): (
            "parse error: entity declarations are not allowed"
        ),
        local_server.url("/loop-a"): "too many redirects",
        "http://169.254.169.254/latest/meta-data/": "refused address",
        "ftp://127.0.0.1/feed": "refused scheme",
        str(tmp_path / "gone"): "not found",
    }
    config = SourcesConfig(
        folders=(folder, tmp_path / "gone"),
        feeds=(good_feed, *[url for url in bad if url.startswith(("http", "ftp")) and "/story" not in url]),
        urls=(good_page,),
    )
    started = time.monotonic()
    result = collect_articles(config, local_fetcher(), load_folder, tmp_path / "state")
    elapsed = time.monotonic() - started
    assert {a.title for a in result.articles} == {"Ferry fares rise", "Bridge", "Bridge vote"}
    assert {f.origin: f.reason for f in result.failures} == bad
    assert elapsed < 2 * DEADLINE_SECONDS + 2.0  # slow sources run side by side, each cut at its deadline


def test_one_story_from_three_feeds_is_collected_once_with_three_outlets(
    tmp_path: Path, local_server: LocalServer
) -> None:
    feeds = tuple(
        local_server.route(f"/{name}.xml", rss(name, ("Bridge approved", link, STORY)))
        for name, link in [
            ("Gazette", "https://wire.example/bridge?utm_source=gazette&amp;utm_medium=rss"),
            ("Times", "https://wire.example/bridge/?fbclid=XYZ"),
            ("Herald", "https://WIRE.example:443/bridge#comments"),
        ]
    )
    result = collect_articles(SourcesConfig(feeds=feeds), local_fetcher(), load_folder, tmp_path)
    (story,) = result.articles
    assert story.url == "https://wire.example/bridge"
    assert story.outlets == ("Gazette", "Times", "Herald")
    assert result.merged_duplicates == 2 and result.failures == ()


def test_unchanged_feed_answers_304_and_is_reported_not_modified(tmp_path: Path, local_server: LocalServer) -> None:
    feed = local_server.route("/feed.xml", rss("Gazette", ("Bridge", "https://g.example/b", STORY)), etag='"v7"')
    modified = "Tue, 24 Nov 2026 10:00:00 GMT"
    page_url = local_server.route(
        "/story", page(f"<p>{DAM_STORY}</p>"), content_type="text/html", last_modified=modified
    )
    config = SourcesConfig(feeds=(feed,), urls=(page_url,))
    first = collect_articles(config, local_fetcher(), load_folder, tmp_path)
    assert len(first.articles) == 2 and first.not_modified_origins == ()
    state = json.loads((tmp_path / "fetch_state.json").read_text())
    assert state["validators"][feed] == {"etag": '"v7"'}

    second = collect_articles(config, local_fetcher(), load_folder, tmp_path)
    assert second.articles == () and second.failures == ()
    assert second.not_modified_origins == (feed, page_url)
    feed_again, page_again = (
        next(r for r in local_server.requests[2:] if r.path == path) for path in ("/feed.xml", "/story")
    )
    assert feed_again.headers["if-none-match"] == '"v7"'
    assert page_again.headers["if-modified-since"] == modified


def test_validators_wait_in_a_pending_file_until_committed(tmp_path: Path, local_server: LocalServer) -> None:
    feed = local_server.route("/feed.xml", rss("Gazette", ("Bridge", "https://g.example/b", STORY)), etag='"v1"')
    config = SourcesConfig(feeds=(feed,))
    collect_articles(config, local_fetcher(), load_folder, tmp_path, commit_state=False)
    assert not (tmp_path / "fetch_state.json").exists()
    again = collect_articles(config, local_fetcher(), load_folder, tmp_path, commit_state=False)
    assert len(again.articles) == 1  # not committed: fetched in full again
    commit_fetch_state(tmp_path)
    third = collect_articles(config, local_fetcher(), load_folder, tmp_path)
    assert third.not_modified_origins == (feed,)
    assert [r.headers.get("if-none-match") for r in local_server.requests] == [None, None, '"v1"']


def test_a_moved_feed_keeps_its_configured_origin_and_resolves_links_at_its_new_home(
    tmp_path: Path, local_server: LocalServer
) -> None:
    local_server.route("/new/feed.xml", rss("Gazette", ("Bridge", "stories/bridge", STORY)))
    old = local_server.redirect("/old.xml", "/new/feed.xml", status=301)
    (article,) = collect_articles(SourcesConfig(feeds=(old,)), local_fetcher(), load_folder, tmp_path).articles
    assert article.url == local_server.url("/new/stories/bridge") and article.origin == old


def test_progress_names_each_source_once(tmp_path: Path, local_server: LocalServer) -> None:
    feed = local_server.route("/f.xml", rss("Gazette", ("Bridge", "https://g.example/b", STORY)))
    seen: list[str] = []
    config = SourcesConfig(folders=(tmp_path,), feeds=(feed, local_server.url("/404")))
    collect_articles(config, local_fetcher(), load_folder, tmp_path / "state", progress=seen.append)
    assert seen == [str(tmp_path), feed, local_server.url("/404")]


def test_short_feed_entries_get_their_page_text_when_enabled(tmp_path: Path, local_server: LocalServer) -> None:
    full_text = page(f"<p>{STORY}</p><p>Tolls will be capped at two euros.</p>")
    story_url = local_server.route("/bridge", full_text, content_type="text/html")
    feed = local_server.route("/f.xml", rss("Gazette", ("Bridge", story_url, "Council backs bridge.")))
    config = SourcesConfig(feeds=(feed,), fetch_full_text=True)
    (article,) = collect_articles(config, local_fetcher(), load_folder, tmp_path).articles
    assert "Tolls will be capped at two euros." in article.text and article.title == "Bridge"
    without = SourcesConfig(feeds=(feed,))
    (summary_only,) = collect_articles(without, local_fetcher(), load_folder, tmp_path / "b").articles
    assert summary_only.text == "Council backs bridge." and summary_only.id == article.id


# --- pages


def test_page_yields_main_text_and_metadata_without_scripts_or_styles(local_server: LocalServer) -> None:
    head = (
        '<link rel="canonical" href="https://www.gazette.example/news/bridge/?utm_source=tw">'
        '<meta property="og:site_name" content="The Harbour Gazette">'
        '<meta property="article:published_time" content="2026-11-24T10:00:00Z">'
        "<style>.ad { display: none } /* STYLE-MARKER */</style><script>var SCRIPT_MARKER = 1;</script>"
    )
    body = (
        f"<p>{STORY}</p><script>document.write('SCRIPT_MARKER_2')</script>"
        "<style>p{}</style><p>Work starts in spring.</p>"
    )
    url = local_server.route("/story", page(body, head=head), content_type="text/html")
    fetched = local_fetcher().fetch(url)
    article = extract_page(fetched.content, fetched.url, content_type=fetched.content_type)
    assert article.title == "Bridge vote"
    assert article.outlet == "The Harbour Gazette" and article.outlets == ("The Harbour Gazette",)
    assert article.published == date(2026, 11, 24)
    assert article.url == "https://www.gazette.example/news/bridge"
    assert "approve a new bridge" in article.text and "Work starts in spring." in article.text
    assert "MARKER" not in article.text and "display" not in article.text and "Copyright" not in article.text


CAFE = "Le café du port rouvre après trois ans de travaux et propose une carte élargie."


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (page(f"<p>{CAFE}</p><p>{STORY}</p>").encode("iso-8859-1"), "text/html"),  # undeclared Latin-1
        (page(f"<p>{CAFE}</p><p>{STORY}</p>").encode("iso-8859-1"), "text/html; charset=ISO-8859-1"),
        (
            page(f"<p>{CAFE}</p><p>{STORY}</p>", charset_meta='<meta charset="windows-1252">').encode("cp1252"),
            "text/html",
        ),
        (page(f"<p>{CAFE}</p><p>{STORY}</p>").encode("utf-16"), "text/html"),  # with BOM
        (b"\xef\xbb\xbf" + page(f"<p>{CAFE}</p><p>{STORY}</p>").encode("utf-8"), "text/html; charset=latin-1"),
    ],
    ids=["latin1-undeclared", "latin1-header", "cp1252-meta", "utf16-bom", "utf8-bom-beats-header"],
)
def test_page_encodings_are_decoded(content: bytes, content_type: str, local_server: LocalServer) -> None:
    url = local_server.route("/p", content, content_type=content_type)
    fetched = local_fetcher().fetch(url)
    article = extract_page(fetched.content, fetched.url, content_type=fetched.content_type)
    assert CAFE in article.text and "approve a new bridge" in article.text


def test_invalid_utf8_and_nul_bytes_do_not_stop_extraction(local_server: LocalServer) -> None:
    broken = page(f"<p>{STORY}</p><p>Second paragraph stays.</p>").encode("utf-8")
    broken = broken.replace(b"regional", b"regi\xff\xfeonal").replace(b"Second", b"Sec\x00ond\x00")
    url = local_server.route("/broken", broken, content_type="text/html; charset=utf-8")
    fetched = local_fetcher().fetch(url)
    article = extract_page(fetched.content, fetched.url, content_type=fetched.content_type)
    assert "Second paragraph stays." in article.text and "\x00" not in article.text
    assert "regi\ufffd\ufffdonal" in article.text  # invalid bytes become replacement characters


def test_a_one_megabyte_single_line_page_is_handled(local_server: LocalServer) -> None:
    line = ("The harbour bridge debate went on and on. " * 25_000)[:1_000_000]
    content = page(f"<p>{line}</p>").replace("\n", " ").encode("utf-8")
    url = local_server.route("/long", content, content_type="text/html")
    fetched = local_fetcher(max_bytes=2_000_000).fetch(url)
    started = time.monotonic()
    article = extract_page(fetched.content, fetched.url, content_type=fetched.content_type)
    assert len(article.text) > 900_000
    assert time.monotonic() - started < 15.0


def test_a_canonical_link_to_the_front_page_is_ignored() -> None:
    head = '<link rel="canonical" href="https://gazette.example/">'
    article = extract_page(page(f"<p>{STORY}</p>", head=head).encode(), "https://gazette.example/news/bridge")
    assert article.url == "https://gazette.example/news/bridge"


def test_a_page_without_a_stated_date_gets_none_not_a_guess() -> None:
    undated = extract_page(page(f"<p>{STORY}</p>").encode(), "https://x.example/story")  # footer: 2026
    dated = extract_page(page(f"<p>{STORY}</p>").encode(), "https://x.example/2026/11/20/story")
    assert undated.published is None and dated.published == date(2026, 11, 20)


def test_a_page_without_article_text_is_a_parse_error() -> None:
    with pytest.raises(LoadError, match="parse error: no article text"):
        extract_page(b"<html><body><script>only()</script></body></html>", "https://x.example/")
