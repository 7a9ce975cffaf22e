"""Issue 6, item 4: queries keep being answered while a full rebuild of ~5,000 chunks runs.

An old index (edition A, `--old` articles) is built first. Then a full rebuild
(`service.indexer.index(articles, rebuild=True)`) writes `--new` articles of edition B (same ids,
new text, `--chunks-per-article` chunks each: 5,000 chunks by default) into a staging generation,
while another thread searches continuously through the service. Each answer is classified by the
edition of its chunks: only A before the switch, only B after it, never empty, never "collection
does not exist".

    python bench/rebuild_under_queries.py [--old 200] [--new 1000] [--chunks-per-article 5]

`tests/test_rebuild_under_queries.py` runs the same code on 100 chunks.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from retrieval.models import Article  # noqa: E402

_PLACES = ["harbour", "airport", "bridge", "library", "stadium", "railway", "museum", "hospital", "market", "port"]
_ACTIONS = ["reopened", "closed", "expanded", "was repaired", "was sold", "got new funding", "was flooded"]
_CITIES = ["Hollis", "Marrow", "Kestrel", "Dunmore", "Alton", "Briar", "Calder", "Fenwick", "Garrow", "Ivel"]
QUERIES_AFTER_SWITCH = 10


def _paragraph(i: int, part: int, city: str, place: str, edition: str) -> str:
    """About 950 characters, so an article of k paragraphs makes about k chunks."""
    sentences = [f"Part {part} of the {city} {place} {i} report, edition {edition}."]
    while len(" ".join(sentences)) < 900:
        n = len(sentences)
        sentences.append(f"Inspectors counted {i + n * part} workers on site {n} near the {place} in {city}.")
    return " ".join(sentences)


def edition_articles(count: int, edition: str, chunks_per_article: int = 1) -> list[Article]:
    """`count` articles of `chunks_per_article` chunks each; the same ids in every edition, and every
    title names its edition."""
    articles = []
    for i in range(count):
        place, action = _PLACES[i % len(_PLACES)], _ACTIONS[(i // 10) % len(_ACTIONS)]
        city = _CITIES[(i // 70) % len(_CITIES)]
        text = (f"The {city} {place} number {i} {action} this week, officials said in edition {edition}. "
                f"Residents of {city} were told the {place} works would take several months.")
        if chunks_per_article > 1:
            text = "\n\n".join(_paragraph(i, part, city, place, edition) for part in range(chunks_per_article))
        articles.append(Article(
            id=f"story{i:05d}", title=f"{city} {place} {i} (edition {edition})", url=None,
            published=date(2024, 6, 1), outlet="Bench Wire", text=text, outlets=("Bench Wire",),
            origin=f"bench/{i}",
        ))
    return articles


def _question(rng: random.Random) -> str:
    return f"What happened to the {rng.choice(_CITIES)} {rng.choice(_PLACES)}?"


@dataclass
class QueryLog:
    """What the query thread saw: one entry per answered query, plus every failure."""

    editions: list[tuple[float, frozenset[str]]] = field(default_factory=list)
    empty: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, edition_set: frozenset[str]) -> int:
        return sum(1 for _, seen in self.editions if seen == edition_set)


def _query_forever(service: Any, stop: threading.Event, log: QueryLog) -> None:
    rng = random.Random(7)
    while not stop.is_set():
        try:
            found = service.retrieve(_question(rng), k=5)
        except Exception as exc:  # the benchmark reports every failure, whatever its kind
            log.errors.append(f"{type(exc).__name__}: {exc}")
            continue
        if not found:
            log.empty += 1
            continue
        log.editions.append((time.perf_counter(), frozenset(s.chunk.title[-2] for s in found)))


@dataclass
class RebuildResult:
    log: QueryLog
    switched_at: float
    rebuild_seconds: float
    chunks_embedded: int


def rebuild_under_queries(service: Any, old: list[Article], new: list[Article]) -> RebuildResult:
    """Index `old`, then rebuild with `new` while a thread queries; stops a few queries after the switch."""
    service.indexer.index(old)
    log, stop = QueryLog(), threading.Event()
    reader = threading.Thread(target=_query_forever, args=(service, stop, log), daemon=True)
    reader.start()
    started = time.perf_counter()
    try:
        report = service.indexer.index(new, rebuild=True)
        switched_at = time.perf_counter()
        seen_after = len(log.editions)
        deadline = time.monotonic() + 60
        while len(log.editions) < seen_after + QUERIES_AFTER_SWITCH and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        reader.join(timeout=60)
    return RebuildResult(log, switched_at, switched_at - started, report.chunks_embedded)


def check(result: RebuildResult) -> list[str]:
    """The promises: never empty, never an error, edition A only before the switch, B only after."""
    problems = []
    log = result.log
    if log.empty:
        problems.append(f"{log.empty} empty answers")
    if log.errors:
        problems.append(f"{len(log.errors)} errors, first: {log.errors[0]}")
    old_after = [t for t, seen in log.editions if t > result.switched_at + 1.0 and "A" in seen]
    if old_after:
        problems.append(f"{len(old_after)} answers from the old index more than 1 s after the switch")
    first_new = min((t for t, seen in log.editions if "B" in seen), default=None)
    if first_new is not None and any(t > first_new and "A" in seen for t, seen in log.editions):
        problems.append("an answer from the old index came after one from the new index")
    if not log.count(frozenset("B")):
        problems.append("no answer from the new index after the switch")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=int, default=200, help="articles in the old index")
    parser.add_argument("--new", type=int, default=1000, help="articles in the rebuilt index")
    parser.add_argument("--chunks-per-article", type=int, default=5)
    args = parser.parse_args()

    from retrieval.index.embeddings import LocalMiniLMEmbeddings
    from tests.conftest import make_settings
    from tests.support.discord_env import make_service

    with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as workdir:
        service = make_service(make_settings(Path(workdir) / "data"), LocalMiniLMEmbeddings())
        old = edition_articles(args.old, "A", args.chunks_per_article)
        result = rebuild_under_queries(service, old, edition_articles(args.new, "B", args.chunks_per_article))
    log = result.log
    during = sum(1 for t, _ in log.editions if t <= result.switched_at)
    print(f"rebuild: {result.chunks_embedded} chunks embedded in {result.rebuild_seconds:.1f} s")
    print(f"queries answered: {len(log.editions)} ({during} during the rebuild); "
          f"old index only: {log.count(frozenset('A'))}, new index only: {log.count(frozenset('B'))}, "
          f"mixed: {len(log.editions) - log.count(frozenset('A')) - log.count(frozenset('B'))}; "
          f"empty: {log.empty}, errors: {len(log.errors)}")
    problems = check(result)
    for problem in problems:
        print("FAIL:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
