"""Feeds served by a real local server, fetched with SafeFetcher and parsed: formats, bad input, XML attacks."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from retrieval.errors import LoadError
from retrieval.ingest.feeds import ParsedFeed, guard_xml, parse_feed
from retrieval.ingest.fetch import SafeFetcher

if TYPE_CHECKING:
    from tests.support.http_server import LocalServer


_WATCHED_PATHS: set[str] = set()
_OPENED_WATCHED: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    """Records every attempt, by any code in this process, to open a watched file."""
    if event == "open" and args and str(args[0]) in _WATCHED_PATHS:
        _OPENED_WATCHED.append(str(args[0]))


sys.addaudithook(_audit)


@pytest.fixture
def secret_file(tmp_path: Path) -> Iterator[Path]:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN-4711", encoding="utf-8")
    _WATCHED_PATHS.add(str(secret))
    _OPENED_WATCHED.clear()
    yield secret
    _WATCHED_PATHS.discard(str(secret))


def fetch_and_parse(server: LocalServer, path: str, body: bytes | str, content_type: str) -> ParsedFeed:
    url = server.route(path, body, content_type=content_type)
    fetched = SafeFetcher(timeout_seconds=2.0, max_bytes=1_000_000, allow_private=True).fetch(url)
    return parse_feed(fetched.content, feed_url=url, content_type=fetched.content_type)


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>The Harbour Gazette</title><link>https://gazette.example/</link>
  <item>
    <title>Council approves the &lt;b&gt;new&lt;/b&gt; bridge</title>
    <link>https://gazette.example/news/bridge/?utm_source=rss&amp;utm_medium=feed#top</link>
    <pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate>
    <description>&lt;p&gt;The council voted 7 to 2.&lt;/p&gt;&lt;script&gt;stealCookies()&lt;/script&gt;
      &lt;style&gt;p { color: red }&lt;/style&gt;&lt;p&gt;Work starts in spring.&lt;/p&gt;</description>
  </item>
  <item>
    <title>Ferry fares rise</title><link>https://gazette.example/news/ferry</link>
    <pubDate>Mon, 23 Nov 2026 08:30:00 +0100</pubDate>
    <description>Fares rise by 5 percent from January.</description>
  </item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="text">Valley Times</title>
  <link href="https://valley.example/"/>
  <entry>
    <title>Dam inspection finds cracks</title>
    <link rel="alternate" href="/stories/dam-cracks"/>
    <id>tag:valley.example,2026:dam</id>
    <updated>2026-11-21T09:00:00Z</updated>
    <summary>Short summary.</summary>
    <content type="html">&lt;p&gt;Inspectors found &lt;em&gt;three&lt;/em&gt; cracks in the dam.&lt;/p&gt;</content>
  </entry>
</feed>"""


def test_rss2_feed_becomes_articles(local_server: LocalServer) -> None:
    feed = fetch_and_parse(local_server, "/rss.xml", RSS, "application/rss+xml; charset=utf-8")
    assert feed.title == "The Harbour Gazette" and not feed.bozo
    bridge, ferry = feed.articles
    assert bridge.title == "Council approves the new bridge"
    assert bridge.url == "https://gazette.example/news/bridge"  # tracking, fragment, slash gone
    assert bridge.published == date(2026, 11, 24)
    assert bridge.outlet == "The Harbour Gazette" and bridge.outlets == ("The Harbour Gazette",)
    assert "The council voted 7 to 2." in bridge.text and "Work starts in spring." in bridge.text
    assert "stealCookies" not in bridge.text and "color" not in bridge.text and "<" not in bridge.text
    assert bridge.origin == local_server.url("/rss.xml")
    assert ferry.published == date(2026, 11, 23)
    assert len({bridge.id, ferry.id}) == 2


def test_atom_feed_resolves_relative_links_and_prefers_content(local_server: LocalServer) -> None:
    feed = fetch_and_parse(local_server, "/atom.xml", ATOM, "application/atom+xml")
    (dam,) = feed.articles
    assert dam.url == local_server.url("/stories/dam-cracks")
    assert dam.title == "Dam inspection finds cracks"
    assert dam.text == "Inspectors found three cracks in the dam."
    assert dam.published == date(2026, 11, 21)
    assert dam.outlet == "Valley Times"


def test_article_id_is_stable_and_follows_the_canonical_url(local_server: LocalServer) -> None:
    first = fetch_and_parse(local_server, "/a.xml", RSS, "application/rss+xml")
    moved = RSS.replace("?utm_source=rss&amp;utm_medium=feed#top", "?fbclid=abc")
    second = fetch_and_parse(local_server, "/a.xml", moved, "application/rss+xml")
    assert first.articles[0].id == second.articles[0].id
    other_feed = fetch_and_parse(local_server, "/b.xml", RSS, "application/rss+xml")
    assert other_feed.articles[0].id != first.articles[0].id  # another source's copy is another article


def test_bozo_feed_with_entries_is_still_used(local_server: LocalServer) -> None:
    broken = (
        '<rss version="2.0"><channel><title>Broken & Co</title>'
        "<item><title>Storm closes port</title><link>https://broken.example/storm</link>"
        "<description>Ships wait <b>outside the harbour.</description></item>"
    )  # bare &, unclosed <b>, no closing channel/rss
    feed = fetch_and_parse(local_server, "/broken.xml", broken, "application/rss+xml")
    assert feed.bozo
    (storm,) = feed.articles
    assert storm.title == "Storm closes port" and "Ships wait" in storm.text


def test_missing_fields_are_derived_or_left_empty(local_server: LocalServer) -> None:
    sparse = """<rss version="2.0"><channel>
      <item><description>Only a body about the regional election results and turnout.</description></item>
      <item><title>Only a headline</title></item>
      <item><guid isPermaLink="false">x-1</guid></item>
    </channel></rss>"""
    url = local_server.url("/sparse.xml")
    feed = fetch_and_parse(local_server, "/sparse.xml", sparse, "application/rss+xml")
    body_only, headline_only = feed.articles
    assert body_only.title.startswith("Only a body about the regional election")
    assert body_only.url is None and body_only.published is None
    assert body_only.outlet == "127.0.0.1"  # no feed title: the host names the outlet
    assert headline_only.text == "Only a headline"
    assert feed.failures[0].origin == f"{url} entry 3" and feed.failures[0].reason == "parse error: empty entry"
    again = fetch_and_parse(local_server, "/sparse.xml", sparse, "application/rss+xml")
    assert [a.id for a in again.articles] == [a.id for a in feed.articles]


def test_html_page_given_as_a_feed_is_a_parse_error() -> None:
    with pytest.raises(LoadError, match="parse error: not a feed"):
        parse_feed(b"<html><head><title>Hi</title></head><body>x</body></html>", feed_url="https://x.example/")


def test_latin1_and_utf16_feeds_decode(local_server: LocalServer) -> None:
    latin = RSS.replace('encoding="utf-8"', 'encoding="iso-8859-1"').replace("Ferry fares", "Café prices")
    feed = fetch_and_parse(local_server, "/latin.xml", latin.encode("iso-8859-1"), "application/xml")
    assert feed.articles[1].title == "Café prices rise"
    wide = ATOM.replace('encoding="utf-8"', 'encoding="utf-16"').replace("Dam", "Dämm")
    feed = fetch_and_parse(local_server, "/wide.xml", wide.encode("utf-16"), "application/xml")
    assert feed.articles[0].title == "Dämm inspection finds cracks"


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Laughs</title>
<item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_billion_laughs_is_refused_quickly(encoding: str, local_server: LocalServer) -> None:
    body = BILLION_LAUGHS.encode(encoding)
    started = time.monotonic()
    with pytest.raises(LoadError, match="entity declarations are not allowed"):
        fetch_and_parse(local_server, "/lol.xml", body, "application/rss+xml")
    assert time.monotonic() - started < 2.0


def xxe_feed(secret: Path) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rss version="2.0"><channel><title>XXE</title>
<item><title>Leak</title><link>https://xxe.example/1</link><description>&xxe;</description></item>
</channel></rss>"""


def test_external_entity_pointing_at_a_local_file_is_not_read(
    secret_file: Path, local_server: LocalServer
) -> None:
    with pytest.raises(LoadError, match="parse error"):
        fetch_and_parse(local_server, "/xxe.xml", xxe_feed(secret_file), "application/rss+xml")
    assert _OPENED_WATCHED == []


def test_audit_hook_would_see_the_secret_being_read(secret_file: Path) -> None:
    """Shows the no-read check above can fail: reading the file is recorded."""
    assert secret_file.read_text(encoding="utf-8").startswith("TOP-SECRET")
    assert [str(secret_file)] == _OPENED_WATCHED


def test_external_dtd_is_dropped_and_never_fetched(secret_file: Path, local_server: LocalServer) -> None:
    with_dtd = RSS.replace("<rss ", f'<!DOCTYPE rss SYSTEM "file://{secret_file}">\n<rss ', 1)
    feed = fetch_and_parse(local_server, "/dtd.xml", with_dtd, "application/rss+xml")
    assert [a.title for a in feed.articles] == ["Council approves the new bridge", "Ferry fares rise"]
    assert _OPENED_WATCHED == []


def test_a_body_that_names_a_local_file_is_not_opened(secret_file: Path, local_server: LocalServer) -> None:
    """feedparser opens a *string* that names a file; we hand it a stream, so it never does."""
    with pytest.raises(LoadError, match="parse error"):
        fetch_and_parse(local_server, "/path.xml", str(secret_file), "application/rss+xml")
    assert _OPENED_WATCHED == []


def test_guard_keeps_documents_without_a_doctype_byte_for_byte() -> None:
    body = RSS.encode("utf-8")
    assert guard_xml(body) is body
    netscape = b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "x.dtd">\n<rss/>'
    assert guard_xml(netscape) == b'<?xml version="1.0"?>\n\n<rss/>'


def test_doctype_and_entity_text_inside_cdata_is_only_text(local_server: LocalServer) -> None:
    embedded = "<![CDATA[<!DOCTYPE html><p>Why <!ENTITY> tricks matter in XML.</p>]]>"
    feed_text = RSS.replace('<?xml version="1.0" encoding="utf-8"?>', '<?xml version="1.0" encoding="utf-16"?>')
    feed_text = feed_text.replace("<rss ", '<!DOCTYPE rss SYSTEM "rss.dtd">\n<rss ', 1)
    feed_text = feed_text.replace("Fares rise by 5 percent from January.", embedded)
    feed = fetch_and_parse(local_server, "/cdata.xml", feed_text.encode("utf-16"), "application/rss+xml")
    assert feed.articles[1].text == "Why <!ENTITY> tricks matter in XML."
