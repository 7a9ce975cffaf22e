"""Collecting articles from every configured source (see `configured_sources`): folders, feeds, single URLs.

One bad source never stops the others: each becomes a `Failure` with a short reason. Feeds and
pages are fetched conditionally (ETag / Last-Modified kept as JSON in the state dir); a 304 origin
is reported so the indexer keeps its previous articles instead of removing them.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.errors import BriefbotError
from retrieval.files import write_atomically
from retrieval.ingest.configured_sources import SourcesConfig
from retrieval.ingest.dedupe import drop_link_conflicts, merge_duplicates
from retrieval.ingest.feeds import parse_feed
from retrieval.ingest.fetch import SafeFetcher
from retrieval.ingest.local_files import kept_source
from retrieval.ingest.pages import extract_page
from retrieval.models import Article, Failure, Frozen

if TYPE_CHECKING:
    from retrieval.settings import Settings

STATE_FILE_NAME = "fetch_state.json"
PENDING_STATE_FILE_NAME = "fetch_state.pending.json"
MAX_PARALLEL_FETCHES = 4
FULL_TEXT_BELOW_CHARS = 800  # feed entries shorter than this get their page fetched (if enabled)
MAX_PAGES_PER_FEED = 30
FULL_TEXT_BUDGET_SECONDS = 60.0  # per feed, for all its page fetches together

LoadFolder = Callable[[Path], tuple[list[Article], list[Failure]]]
Progress = Callable[[str], None]




class CollectResult(Frozen):
    articles: tuple[Article, ...] = ()
    failures: tuple[Failure, ...] = ()
    merged_duplicates: int = 0
    not_modified_origins: tuple[str, ...] = ()  # 304: keep the articles indexed from these origins

    @property
    def keep_origins(self) -> tuple[str, ...]:
        """Origins whose indexed articles stay: unchanged (304), or failed this time (not gone);
        never a refused one (a link out of its folder, a file given as a folder)."""
        failed = {k for k in map(kept_source, self.failures) if k is not None}
        return self.not_modified_origins + tuple(sorted(failed - set(self.not_modified_origins)))


# --- collecting


@dataclass
class _Collected:
    origin: str
    articles: list[Article] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    not_modified: bool = False
    validators: dict[str, str] | None = None  # ETag / Last-Modified to remember, when fetched


def collect_articles(
    config: SourcesConfig,
    fetcher: SafeFetcher,
    load_folder: LoadFolder,
    state_dir: Path,
    *,
    commit_state: bool = True,
    progress: Progress | None = None,
) -> CollectResult:
    """Articles from every source, near-duplicates merged. With commit_state=False the new ETags wait
    in a pending file until `commit_fetch_state` (call it once the articles are safely indexed)."""
    state = _load_state(state_dir)
    collected: list[_Collected] = []
    for folder in config.folders:
        collected.append(_guard(str(folder), partial(_collect_folder, folder, load_folder)))
        _report(progress, collected[-1])
    with ThreadPoolExecutor(max_workers=MAX_PARALLEL_FETCHES) as pool:
        feeds = [
            pool.submit(_guard, url, partial(_collect_feed, url, fetcher, state.get(url), config))
            for url in config.feeds
        ]
        pages = [
            pool.submit(_guard, url, partial(_collect_page, url, fetcher, state.get(url)))
            for url in config.urls
        ]
        for future in feeds + pages:
            collected.append(future.result())
            _report(progress, collected[-1])
    merged_articles, merged = merge_duplicates([a for c in collected for a in c.articles])
    articles, conflicts = drop_link_conflicts(merged_articles)
    _save_state(state_dir, _next_state(state, collected, config), pending=not commit_state)
    return CollectResult(
        articles=tuple(articles),
        failures=(*(f for c in collected for f in c.failures), *conflicts),
        merged_duplicates=merged,
        not_modified_origins=tuple(c.origin for c in collected if c.not_modified),
    )


def state_dir_for(settings: Settings) -> Path:
    return settings.data_dir


def collect_articles_from_settings(
    config: SourcesConfig, settings: Settings, *, commit_state: bool = True, progress: Progress | None = None
) -> CollectResult:
    """`collect_articles` with the real fetcher, the folder loader and the data dir for ETag state."""
    from retrieval.ingest.loaders import load_folder

    fetcher = SafeFetcher.from_settings(settings)
    return collect_articles(
        config, fetcher, load_folder, state_dir_for(settings), commit_state=commit_state, progress=progress
    )


def _report(progress: Progress | None, item: _Collected) -> None:
    if progress is not None:
        progress(item.origin)


def _guard(origin: str, collect: Callable[[], _Collected]) -> _Collected:
    """Turn any error of one source into a Failure, so the other sources still count."""
    try:
        return collect()
    except BriefbotError as exc:
        return _Collected(origin, failures=[Failure(origin=origin, reason=str(exc) or type(exc).__name__)])
    except Exception as exc:  # a bug or a library surprise in one source must not stop the rest
        return _Collected(origin, failures=[Failure(origin=origin, reason=f"error: {type(exc).__name__}")])


def _collect_folder(folder: Path, load_folder: LoadFolder) -> _Collected:
    articles, failures = load_folder(folder)
    return _Collected(str(folder), list(articles), list(failures))


def _collect_feed(
    url: str, fetcher: SafeFetcher, known: dict[str, str] | None, config: SourcesConfig
) -> _Collected:
    result = fetcher.fetch(url, **(known or {}))
    if result.not_modified:
        return _Collected(url, not_modified=True, validators=known)
    feed = parse_feed(result.content, feed_url=url, content_type=result.content_type, base_url=result.url)
    collected = _Collected(url, list(feed.articles), list(feed.failures), validators=_validators(result))
    if config.fetch_full_text:
        _add_full_texts(collected, fetcher)
    return collected


def _collect_page(url: str, fetcher: SafeFetcher, known: dict[str, str] | None) -> _Collected:
    result = fetcher.fetch(url, **(known or {}))
    if result.not_modified:
        return _Collected(url, not_modified=True, validators=known)
    article = extract_page(result.content, result.url, content_type=result.content_type, origin=url)
    return _Collected(url, [article], validators=_validators(result))


def _add_full_texts(collected: _Collected, fetcher: SafeFetcher) -> None:
    """Replace short feed summaries by their page's main text; a page that fails keeps its summary."""
    deadline = time.monotonic() + FULL_TEXT_BUDGET_SECONDS
    short = [i for i, a in enumerate(collected.articles) if a.url and len(a.text) < FULL_TEXT_BELOW_CHARS]
    for index in short[:MAX_PAGES_PER_FEED]:
        article = collected.articles[index]
        if time.monotonic() > deadline or article.url is None:
            break
        try:
            fetched = fetcher.fetch(article.url)
            page = extract_page(fetched.content, fetched.url, content_type=fetched.content_type)
        except BriefbotError as exc:
            collected.failures.append(Failure(origin=article.url, reason=f"full text: {exc}"))
            continue
        if len(page.text) > len(article.text):
            collected.articles[index] = article.model_copy(
                update={"text": page.text, "published": article.published or page.published}
            )


def _validators(result: object) -> dict[str, str] | None:
    found = {"etag": getattr(result, "etag", None), "last_modified": getattr(result, "last_modified", None)}
    kept = {key: value for key, value in found.items() if value}
    return kept or None


# --- ETag / Last-Modified state


def _state_path(state_dir: Path, pending: bool = False) -> Path:
    return state_dir / (PENDING_STATE_FILE_NAME if pending else STATE_FILE_NAME)


def _load_state(state_dir: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(_state_path(state_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    validators = data.get("validators") if isinstance(data, dict) else None
    if not isinstance(validators, dict):
        return {}
    return {
        url: {k: v for k, v in value.items() if k in ("etag", "last_modified") and isinstance(v, str)}
        for url, value in validators.items()
        if isinstance(url, str) and isinstance(value, dict)
    }


def _next_state(
    state: dict[str, dict[str, str]], collected: list[_Collected], config: SourcesConfig
) -> dict[str, dict[str, str]]:
    """Validators of sources fetched now; failed sources keep their old ones; removed sources are dropped."""
    configured = set(config.feeds) | set(config.urls)
    updated = {url: value for url, value in state.items() if url in configured}
    for item in collected:
        if item.origin not in configured:
            continue
        if item.validators:
            updated[item.origin] = item.validators
        elif not item.failures and not item.not_modified:
            updated.pop(item.origin, None)  # fetched fine but without validators: nothing to send next time
    return updated


def _save_state(state_dir: Path, state: dict[str, dict[str, str]], *, pending: bool) -> None:
    text = json.dumps({"version": 1, "validators": state}, indent=2, sort_keys=True)
    write_atomically(_state_path(state_dir, pending), text + "\n")


def commit_fetch_state(state_dir: Path) -> None:
    """Make the pending ETags current; call after the collected articles are safely indexed."""
    pending = _state_path(state_dir, pending=True)
    if pending.exists():
        os.replace(pending, _state_path(state_dir))
