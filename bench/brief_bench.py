"""Benchmark: an extractive brief over one week of the realtimeqa-dev corpus.

    python bench/brief_bench.py [--corpus PATH] [--as-of 2024-01-19] [--days 7]

Prints the build time (seconds) and the citation invariant: every key point is cited and every
citation's quote is a sentence of the cited article. Exits 1 if the invariant fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.render.markdown import render_brief_markdown
from retrieval.brief.build import build_brief
from retrieval.brief.models import check_quotes
from retrieval.ingest.loaders import load_path

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval" / "realtimeqa-dev" / "articles.jsonl"
TARGET_SECONDS = 30.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--as-of", default="2024-01-19", help="a date in 2024 (the brief's last day)")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--show", action="store_true", help="print the brief too")
    args = parser.parse_args(argv)
    from retrieval.index.embeddings import LocalMiniLMEmbeddings

    articles, failures = load_path(args.corpus)
    embeddings = LocalMiniLMEmbeddings()
    embeddings.embed_documents(["warm-up"])  # load the model outside the timed part
    as_of = datetime.fromisoformat(args.as_of).replace(hour=23, minute=59, tzinfo=UTC)
    started = time.perf_counter()
    brief = build_brief(articles, as_of=as_of, window_hours=24 * args.days, embeddings=embeddings)
    seconds = time.perf_counter() - started
    by_id = {a.id: a for a in articles}
    points = [p for s in brief.stories for p in s.key_points]
    uncited = [p for p in points if not p.citations]
    broken = check_quotes(brief, by_id)
    window = sum(1 for s in brief.stories for _ in s.article_ids)
    if args.show:
        print(render_brief_markdown(brief))
    print(f"corpus {len(articles)} articles ({len(failures)} failures); window {args.days} days to {args.as_of}: "
          f"{window} articles in {len(brief.stories)} stories shown")
    print(f"brief built in {seconds:.1f} s (target <= {TARGET_SECONDS:.0f} s)")
    print(f"key points {len(points)}, uncited {len(uncited)}; citations {sum(1 for _ in brief.citations())}, "
          f"quote not in cited article {len(broken)}")
    ok = not uncited and not broken and seconds <= TARGET_SECONDS
    print("invariant OK" if not uncited and not broken else "invariant BROKEN")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
