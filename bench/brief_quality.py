"""Benchmark: how the briefs read, over every day of the realtimeqa-dev corpus, before and after a change.

    python bench/brief_quality.py [--corpus PATH] [--before TREE] [--after TREE] [--days N]

Each tree (a checkout of this project, e.g. `git worktree add /tmp/brief-head HEAD` for the one before)
builds the extractive brief of every day that has articles (the 24 hours before its end), in its own
process; this process scores both with one judge and prints them side by side:
stories per brief, key points per story, the share of key points that are boilerplate (a sentence its
outlet writes in 3 or more articles of the whole corpus), near-duplicates (cosine >= 0.9 to the summary or
another point) or under 6 words, the share of summaries opening with an intro (an episode intro, an
editor's note, a byline) or boilerplate, and the share of coverage lines that state the story's real
article count. Embeddings are cached on disk so both trees embed each text once.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import subprocess
import sys
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT / ".." / "shared" / "eval" / "realtimeqa-dev" / "articles.jsonl"
CACHE = Path("/tmp/brief_quality_vectors.pkl")
NEAR_DUPLICATE_COSINE = 0.9
MIN_POINT_WORDS = 6
_COUNT = re.compile(r"(\d+) articles?\b|(\d+) outlets\b|single source")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--before", type=Path, default=Path("/tmp/brief-head"))
    parser.add_argument("--after", type=Path, default=ROOT)
    parser.add_argument("--days", type=int, default=0, help="only the first N days (0: every day)")
    parser.add_argument("--reuse-before", action="store_true", help="score the last run's 'before' briefs again")
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)  # child mode: write the briefs here
    args = parser.parse_args(argv)
    if args.dump:
        return _dump(args.corpus, args.dump, args.days)
    results = {}
    for name, tree in (("before", args.before), ("after", args.after)):
        out = Path(f"/tmp/brief_quality_{name}.json")
        if name == "before" and args.reuse_before and out.exists():
            results[name] = _score(json.loads(out.read_text()), args.corpus)
            continue
        env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
        subprocess.run([sys.executable, __file__, "--corpus", str(args.corpus), "--dump", str(out),
                        "--days", str(args.days)], check=True, env=env, cwd=tree)
        results[name] = _score(json.loads(out.read_text()), args.corpus)
    print(f"{'figure':<52} {'before':>10} {'after':>10}")
    for key in results["before"]:
        print(f"{key:<52} {results['before'][key]:>10.3f} {results['after'][key]:>10.3f}")
    return 0


# --- child: one tree's briefs ------------------------------------------------------------------------
class _DiskCachedEmbeddings:
    """The real embedder, each text embedded once across both trees' runs."""

    def __init__(self) -> None:
        from retrieval.index.embeddings import LocalMiniLMEmbeddings

        self.inner = LocalMiniLMEmbeddings()
        self.cache: dict[str, list[float]] = pickle.loads(CACHE.read_bytes()) if CACHE.exists() else {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.inner.embed_documents(missing), strict=True))
        return [self.cache[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def save(self) -> None:
        CACHE.write_bytes(pickle.dumps(self.cache))


def _dump(corpus: Path, out: Path, max_days: int) -> int:
    import inspect

    from bot.render import brief as render
    from retrieval.brief.build import build_brief
    from retrieval.ingest.loaders import load_path

    articles, _ = load_path(corpus)
    embeddings = _DiskCachedEmbeddings()
    days = sorted({a.published for a in articles if a.published})[: max_days or None]
    takes_boilerplate = "boilerplate" in inspect.signature(build_brief).parameters
    samples: dict[int, Any] | None = {} if takes_boilerplate else None  # per bucket, like the service's cache
    coverage = getattr(render, "coverage_line", None) or render._coverage  # type: ignore[attr-defined]
    briefs = []
    for day in days:
        as_of = datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
        extra: dict[str, Any] = {}
        if samples is not None:
            from retrieval.brief.boilerplate import SAMPLE_BUCKET_DAYS, learnt_from
            from retrieval.brief.build import in_window

            window = in_window(articles, as_of, 24)
            bucket = max(a.published.toordinal() for a in window if a.published) // SAMPLE_BUCKET_DAYS
            if bucket not in samples:
                samples[bucket] = _store_like_sample(articles, bucket)
            extra["boilerplate"] = learnt_from(window).merged(samples[bucket])  # as `from_store`
        brief = build_brief(articles, as_of=as_of, window_hours=24, embeddings=embeddings, **extra)  # type: ignore[arg-type]
        briefs.append([{
            "summary": story.summary, "points": [p.text for p in story.key_points],
            "outlets": sorted({c.outlet for c in story.citations()}), "articles": len(story.article_ids),
            "coverage": coverage(story),
        } for story in brief.stories])
    embeddings.save()
    out.write_text(json.dumps(briefs))
    return 0


def _store_like_sample(articles: list[Any], bucket: int) -> Any:
    """What the index lends per outlet (`boilerplate.from_store`): its chunks of the sampled days, as many
    as the service takes."""
    from retrieval.brief.boilerplate import SAMPLE_CHUNKS_PER_OUTLET, learnt_from, sample_days
    from retrieval.index.chunking import chunk_article

    first, last = sample_days(bucket)
    taken: dict[str, int] = {}
    samples = []
    for article in (a for a in articles if a.published and first <= a.published.toordinal() <= last):
        for chunk in chunk_article(article):
            if taken.get(article.outlet, 0) < SAMPLE_CHUNKS_PER_OUTLET:
                taken[article.outlet] = taken.get(article.outlet, 0) + 1
                samples.append((article.outlet, article.id, chunk.text))
    return learnt_from([], samples)


# --- the judge (this tree's, the same for both) --------------------------------------------------
def _score(briefs: list[list[dict[str, Any]]], corpus: Path) -> dict[str, float]:
    import numpy as np

    from retrieval.brief.boilerplate import learnt_from
    from retrieval.ingest.loaders import load_path
    from retrieval.text.cues import is_intro

    judge = learnt_from(load_path(corpus)[0])  # the whole corpus: what each outlet really repeats
    embeddings = _DiskCachedEmbeddings()
    stories = [s for b in briefs for s in b]
    points = bad = 0
    intros = matched = 0
    for story in stories:
        texts = [story["summary"], *story["points"]]
        vectors = np.asarray(embeddings.embed_documents(texts))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
        similar = vectors @ vectors.T
        for i, point in enumerate(story["points"], 1):
            points += 1
            furniture = any(judge.is_boilerplate(o, point) for o in story["outlets"])
            duplicate = bool((similar[i, :i] >= NEAR_DUPLICATE_COSINE).any())
            bad += furniture or duplicate or len(point.split()) < MIN_POINT_WORDS
        intros += is_intro(story["summary"]) or any(judge.is_boilerplate(o, story["summary"]) for o in story["outlets"])
        matched += _stated_count(story["coverage"]) == story["articles"]
    embeddings.save()
    return {
        "briefs (days with articles)": float(len(briefs)),
        "stories per brief": len(stories) / max(1, len(briefs)),
        "key points per story": points / max(1, len(stories)),
        "key points boilerplate/near-duplicate/<6 words": bad / max(1, points),
        "summaries opening with an intro or boilerplate": intros / max(1, len(stories)),
        "coverage lines stating the real article count": matched / max(1, len(stories)),
    }


def _stated_count(line: str) -> int | None:
    """The article count a coverage line claims ("single source" claims one)."""
    match = _COUNT.search(line)
    if not match:
        return None
    if match.group(1):
        return int(match.group(1))
    return int(match.group(2)) if match.group(2) else 1


if __name__ == "__main__":
    sys.exit(main())
