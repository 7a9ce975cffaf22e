"""Issue 6, item 4 (scaled down): queries run continuously during a full rebuild and are answered
from the old index before the switch and from the new one after; never empty, never an error.

Runs `bench/rebuild_under_queries.py` on 100 one-chunk articles (the benchmark does 5,000 chunks).
"""

from __future__ import annotations

from typing import Any

from tests.system.test_loop_lag import load_bench

OLD_ARTICLES = 20
NEW_ARTICLES = 100


def test_queries_during_a_full_rebuild_see_old_then_new_never_empty_or_failing(service: Any) -> None:
    bench = load_bench("rebuild_under_queries")
    result = bench.rebuild_under_queries(
        service, bench.edition_articles(OLD_ARTICLES, "A"), bench.edition_articles(NEW_ARTICLES, "B")
    )

    assert bench.check(result) == []
    log = result.log
    assert result.chunks_embedded == NEW_ARTICLES
    during = [seen for t, seen in log.editions if t <= result.switched_at]
    assert len(during) >= 5  # queries really overlapped the rebuild
    assert frozenset("A") in during  # ... and were answered from the old index meanwhile
    assert service.store.count_chunks() == NEW_ARTICLES
