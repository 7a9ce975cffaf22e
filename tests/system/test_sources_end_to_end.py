"""An admin adds a feed, re-indexes, and the feed's articles are answered with citations; the next
refresh (304) keeps them, and an item dropped from the feed is removed from the index."""

from __future__ import annotations

from pathlib import Path

from retrieval.index.store import ChromaStore
from retrieval.ingest import configured_sources
from retrieval.search.hybrid import HybridSearcher
from retrieval.service import BriefbotService
from tests.conftest import make_settings
from tests.support.http_server import LocalServer

BRIDGE = ("Harbour bridge approved", "https://gazette.example/bridge",
          "The regional council voted seven to two on Tuesday to approve a new bridge across the harbour, "
          "ending a decade of disputes between the two towns over tolls.")
DAM = ("Cracks found in the northern dam", "https://gazette.example/dam",
       "Inspectors found three hairline cracks in the spillway of the northern dam during a routine survey; "
       "engineers said repairs are needed before the winter rains begin.")


def _rss(*items: tuple[str, str, str]) -> str:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
        "<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate></item>" for t, link, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title>{body}</channel></rss>'


def _service(tmp_path: Path, embeddings) -> BriefbotService:
    (tmp_path / "empty-seeds").mkdir()
    settings = make_settings(tmp_path / "data", allow_private_urls=True, seeds_dir=tmp_path / "empty-seeds")
    store = ChromaStore.from_settings(settings, embeddings)
    return BriefbotService(settings, embeddings, store, HybridSearcher(store, embeddings))


def test_a_feed_added_by_an_admin_is_indexed_and_answered_with_citations(
    tmp_path: Path, embeddings, local_server: LocalServer
) -> None:
    service = _service(tmp_path, embeddings)
    feed_url = local_server.route("/feed.xml", _rss(BRIDGE, DAM), content_type="application/rss+xml",
                                  etag='"v1"')
    configured_sources.add_source(service.settings, "feed", feed_url)

    first = service.index()
    assert first.added == 2
    assert [f.reason for f in first.failures] == ["no article files in it"]  # the empty seeds folder: a warning
    answer = service.ask("How many cracks did inspectors find in the northern dam?")
    assert not answer.refused
    assert answer.citations[0].url == "https://gazette.example/dam" and "three hairline cracks" in answer.text

    unchanged = service.index()  # the server answers 304 to the stored ETag: nothing is lost
    assert (unchanged.added, unchanged.removed, service.stats().articles) == (0, 0, 2)

    local_server.route("/feed.xml", _rss(BRIDGE), content_type="application/rss+xml", etag='"v2"')
    changed = service.index()
    assert changed.removed == 1 and service.stats().articles == 1
    assert all(s.chunk.url != "https://gazette.example/dam" for s in service.retrieve("northern dam cracks"))
