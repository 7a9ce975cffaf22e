"""Readable outlets and clean titles at load time, from real-looking feeds, pages and corpus records,
without an article's id ever changing (ids stay what they were before titles were cleaned)."""

from __future__ import annotations

import json
from pathlib import Path

from retrieval.ingest.dedupe import article_id_for_url, canonical_url, story_url
from retrieval.ingest.feeds import parse_feed
from retrieval.ingest.loaders import load_path
from retrieval.ingest.pages import extract_page
from retrieval.ingest.provenance import article_id

FEED_URL = "https://rss.cnn.com/rss/cnn_topstories.rss"
RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>CNN.com - RSS Channel - HP Hero</title>
  <link>https://www.cnn.com/index.html</link>
  <description>CNN.com delivers up-to-the-minute news and information.</description>
  <item>
    <title><![CDATA[Louisiana requires the Ten Commandments in classrooms | CNN Politics]]></title>
    <link>https://www.cnn.com/2024/06/19/politics/louisiana-ten-commandments-law/index.html</link>
    <description>Louisiana became the first state to require that the Ten Commandments be displayed in
      every public school classroom under a bill signed by Republican Gov. Jeff Landry.</description>
    <pubDate>Wed, 19 Jun 2024 21:13:52 GMT</pubDate>
  </item>
  <item>
    <title>Biden - Xi call ends without a deal on tariffs ...</title>
    <description>The two leaders spoke for nearly two hours on Tuesday but reached no agreement.</description>
    <guid isPermaLink="false">cnn-biden-xi-call-2024</guid>
  </item>
</channel>
</rss>"""

PAGE_URL = "https://www.usatoday.com/story/news/education/2024/06/19/louisiana-ten-commandments/74150000007/"
PAGE = f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Louisiana passes Ten Commandments law for schools - USA TODAY</title>
<meta property="og:title" content="Louisiana passes Ten Commandments law for schools - USA TODAY">
<meta property="og:site_name" content="USA TODAY">
<meta property="article:published_time" content="2024-06-19T18:02:00Z">
<link rel="canonical" href="{PAGE_URL}">
</head><body>
<nav><a href="/news">News</a> <a href="/sports">Sports</a></nav>
<article><h1>Louisiana passes Ten Commandments law for schools</h1>
<p>Louisiana on Wednesday became the first state to require public schools to display the Ten
Commandments in every classroom, after Gov. Jeff Landry signed the bill into law.</p>
<p>Civil liberties groups said they would sue to block the law, which takes effect next year.</p>
</article>
<footer>Play the USA TODAY Daily Crossword Puzzle.</footer>
</body></html>""".encode()


def test_a_feed_names_its_outlet_from_its_own_title_and_cleans_entry_titles() -> None:
    feed = parse_feed(RSS, feed_url=FEED_URL, content_type="application/rss+xml")
    law, call = feed.articles
    assert (law.outlet, law.outlets) == ("CNN", ("CNN",))
    assert law.title == "Louisiana requires the Ten Commandments in classrooms"
    assert call.title == "Biden - Xi call ends without a deal on tariffs"  # its own dash kept, "..." gone
    assert law.id == article_id_for_url(FEED_URL, story_url(law.url or ""))  # the feed and the story link


def test_a_linkless_entry_keeps_the_id_its_raw_title_gave_it() -> None:
    """An entry with neither link nor guid is identified by its title as published; cleaning the shown
    title must not move it (a re-index would otherwise see a new article and drop the old one)."""
    bare = RSS.replace(b'<guid isPermaLink="false">cnn-biden-xi-call-2024</guid>', b"")
    call = parse_feed(bare, feed_url=FEED_URL).articles[1]
    raw = "Biden - Xi call ends without a deal on tariffs ..."
    assert call.title == "Biden - Xi call ends without a deal on tariffs"
    assert call.id == article_id(canonical_url(FEED_URL), f"{raw}\n{call.text[:200]}")


def test_a_page_is_named_by_its_site_name_and_loses_the_site_suffix() -> None:
    article = extract_page(PAGE, PAGE_URL, content_type="text/html; charset=utf-8")
    assert article.outlet == "USA TODAY"
    assert article.title == "Louisiana passes Ten Commandments law for schools"
    assert article.id == article_id_for_url(PAGE_URL, article.url or "")


def test_corpus_records_share_the_name_their_sites_titles_carry(tmp_path: Path) -> None:
    records = [
        {"id": "a1", "url": "https://www.cnn.com/2022/09/01/world/photos/index.html",
         "title": "Photos this week: August 25-September 1, 2022 | CNN", "text": "A water shortage upended life. " * 3},
        {"id": "a2", "url": "https://www.cnn.com/2022/09/02/politics/red-states/index.html",
         "title": "Red states are building a nation within a nation | CNN Politics", "text": "States act. " * 5},
        {"id": "a3", "url": "https://edition.cnn.com/2022/09/03/world/queen/index.html",
         "title": "Where will the Queen be buried? Why the Royal Vault will not be her ...", "text": "The Queen. " * 5},
        {"id": "a4", "url": "https://www.usatoday.com/story/sports/2022/02/13/donald/6781266001/",
         "title": "Aaron Donald's Super Bowl cements Rams DT as NFL all-time great", "text": "Donald won. " * 5},
    ]
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    articles, failures = load_path(path)
    assert failures == []
    by_id = {a.id: a for a in articles}
    photos, red, queen, donald = (by_id[article_id(str(path), r["id"])] for r in records)  # ids: file + own id
    # Every CNN article is "CNN" (what most of its titles end with), also the one whose title names no site.
    assert {photos.outlet, red.outlet, queen.outlet} == {"CNN"}
    assert photos.title == "Photos this week: August 25-September 1, 2022"
    assert red.title == "Red states are building a nation within a nation"
    assert queen.title == "Where will the Queen be buried? Why the Royal Vault will not be her"
    assert donald.outlet == "usatoday.com"  # names itself nowhere: its domain, not an invented "USA Today"


def test_a_seed_briefing_reads_as_a_briefing_with_a_title_from_its_key_points(tmp_path: Path) -> None:
    (tmp_path / "2024-06-19-law.txt").write_text(
        "Louisiana's governor signed a law on Wednesday that requires every public school classroom in the "
        "state to display the Ten Commandments, a first in the nation that civil liberties groups will fight.\n"
        "Key points\n- Louisiana requires the Ten Commandments in every public school classroom; civil liberties "
        "groups vow to sue before it takes effect\n"
        "- The law takes effect in 2025\n", encoding="utf-8")
    [article], _ = load_path(tmp_path)
    assert article.outlet == "Briefing"
    assert article.title == "Louisiana requires the Ten Commandments in every public school classroom"
