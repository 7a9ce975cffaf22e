"""Files → Articles. Bad input becomes a `Failure` naming the file and line; it never stops the rest.

Which files a folder holds (never through a link out of it), and what a failure keeps, is
`retrieval.ingest.local_files`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from retrieval.ingest.local_files import (
    EMPTY_FILE,
    EMPTY_FOLDER,
    JSONL_SUFFIXES,
    NOT_A_FOLDER,
    NOT_FOUND,
    SUPPORTED_SUFFIXES,
    folder_files,
)

__all__ = ["SUPPORTED_SUFFIXES", "article_from_record", "load_folder", "load_path", "load_paths", "parse_briefing"]
from retrieval.ingest.provenance import article_id, file_source
from retrieval.models import Article, Failure
from retrieval.text.titles import (
    BRIEFING_OUTLET,
    clean_title,
    derived_title,
    domain_name,
    outlet_name,
    title_site_name,
)

MAX_FILE_BYTES = 10_000_000  # one article file; a larger one is refused with a clear message
MAX_JSONL_LINE_BYTES = 5_000_000  # one record of a JSONL corpus (the corpus itself is streamed)
MIN_TEXT_CHARS = 20

_KEY_POINTS = re.compile(r"^\s*#*\s*\**key points\**\s*:?\s*$", re.IGNORECASE | re.MULTILINE)
_CONTRADICTIONS = re.compile(
    r"^\s*#*\s*\**contradictions\**(?=\s*$|\s*:|[^\w\s])", re.IGNORECASE | re.MULTILINE
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_FRONT = re.compile(r"^(title|url|link|date|published|source|outlet)\s*:\s*(.+)$", re.IGNORECASE)
_MD_TITLE = re.compile(r"^#\s+(.+)$")
_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def load_path(path: Path) -> tuple[list[Article], list[Failure]]:
    """What `briefbot index PATH` reads: one file, or every supported file under a folder."""
    if path.is_dir():
        return load_folder(path)
    if not path.exists():
        return [], [Failure(origin=str(path), reason=NOT_FOUND)]
    return _load_many([path])


def load_folder(folder: Path) -> tuple[list[Article], list[Failure]]:
    """A folder source: every supported file under it (sorted, so ids and order are stable)."""
    if not folder.exists():
        return [], [Failure(origin=str(folder), reason=NOT_FOUND)]
    if not folder.is_dir():
        return [], [Failure(origin=str(folder), reason=NOT_A_FOLDER)]
    files, failures = folder_files(folder)
    articles, failed = _load_many(files)
    if not files and not failures:
        failed.append(Failure(origin=str(folder), reason=EMPTY_FOLDER))
    return articles, failures + failed


def load_paths(paths: Iterable[Path]) -> tuple[list[Article], list[Failure]]:
    articles: list[Article] = []
    failures: list[Failure] = []
    for path in paths:
        found, failed = load_path(path)
        articles.extend(found)
        failures.extend(failed)
    return articles, failures


def _load_many(files: list[Path]) -> tuple[list[Article], list[Failure]]:
    articles: list[Article] = []
    failures: list[Failure] = []
    for file in files:
        try:
            found, failed = _load_file(file)
        except OSError as exc:
            found, failed = [], [Failure(origin=str(file), reason=f"unreadable: {exc.strerror or exc}")]
        articles.extend(found)
        failures.extend(failed)
    return articles, failures


def _load_file(file: Path) -> tuple[list[Article], list[Failure]]:
    if file.suffix.lower() in JSONL_SUFFIXES:
        return _parse_jsonl(file)
    size = file.stat().st_size
    if size > MAX_FILE_BYTES:
        return [], [Failure(origin=str(file), reason=f"too large ({size // 1_000_000} MB)")]
    raw = file.read_bytes()
    if not raw.strip():
        return [], [Failure(origin=str(file), reason=EMPTY_FILE)]
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return [], [Failure(origin=str(file), reason="binary data, not text")]
    text = decode_text(raw)
    try:
        article = parse_briefing(
            text, origin=str(file), fallback_date=_date_from_name(file.name), source=file_source(file)
        )
        return [article], []
    except ValueError as exc:
        return [], [Failure(origin=str(file), reason=str(exc))]


def decode_text(raw: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Latin-1 (which never fails)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_briefing(
    text: str, *, origin: str, fallback_date: date | None = None, source: str | None = None
) -> Article:
    """The seed format: an article body, then `Key points` (bullets), then `Contradictions`.

    One file is one article, so its id is its source (the file) alone."""
    text = text.replace("\x00", "").replace("\r\n", "\n")
    meta, body = _front_matter(text)
    body, key_points, contradictions = split_briefing_sections(body)
    body = body.strip()
    if len(body) < MIN_TEXT_CHARS and not key_points:
        raise ValueError("no article text")
    url = meta.get("url") or meta.get("link")
    claimed = meta.get("source") or meta.get("outlet")
    outlet = outlet_name(claimed, url) if claimed or url else BRIEFING_OUTLET
    title = clean_title(meta["title"], site=outlet, url=url) if meta.get("title") else derived_title(
        key_points, body, fallback=Path(origin).stem)
    published = _parse_date(meta.get("date") or meta.get("published")) or fallback_date
    return Article(
        id=article_id(source if source is not None else origin, ""),
        title=title,
        url=url,
        published=published,
        outlet=outlet,
        text=body,
        key_points=tuple(key_points),
        contradictions=tuple(contradictions),
        outlets=(outlet,),
        origin=origin,
    )


def split_briefing_sections(text: str) -> tuple[str, list[str], list[str]]:
    """Separate body, key points and contradictions so none is indexed twice."""
    contradictions: list[str] = []
    match = _CONTRADICTIONS.search(text)
    if match:
        tail = text[match.end():]
        text = text[: match.start()]
        contradictions = _items(tail.lstrip(" :\t👾-—"))
    key_points: list[str] = []
    match = _KEY_POINTS.search(text)
    if match:
        key_points = _items(text[match.end():])
        text = text[: match.start()]
    return text, key_points, contradictions


def _items(block: str) -> list[str]:
    lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
    if not lines:
        return []
    items = [_BULLET.sub("", line).strip() for line in lines]
    return [item for item in items if item]


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Optional `Title: …`, `URL: …`, `Date: …`, `Source: …` lines (or a `# Heading`) at the top."""
    meta: dict[str, str] = {}
    lines = text.lstrip("\n").split("\n")
    consumed = 0
    for line in lines[:8]:
        front = _FRONT.match(line.strip())
        heading = _MD_TITLE.match(line.strip())
        if front:
            meta[front.group(1).lower()] = front.group(2).strip()
        elif heading and "title" not in meta:
            meta["title"] = heading.group(1).strip()
        elif line.strip() == "---" or not line.strip():
            pass
        else:
            break
        consumed += 1
    return meta, "\n".join(lines[consumed:])


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _date_from_name(name: str) -> date | None:
    match = _DATE_IN_NAME.search(name)
    return _parse_date(match.group(0)) if match else None


def _parse_jsonl(file: Path) -> tuple[list[Article], list[Failure]]:
    """Streamed line by line, so a large corpus never sits in memory twice."""
    articles: list[Article] = []
    failures: list[Failure] = []
    site_names: dict[str, Counter[str]] = {}
    with file.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            if len(raw) > MAX_JSONL_LINE_BYTES:
                failures.append(Failure(origin=f"{file}:{number}", reason="too large (line over 5 MB)"))
                continue
            _parse_jsonl_line(raw, f"{file}:{number}", file, articles, failures, site_names)
    if not articles and not failures:
        failures.append(Failure(origin=str(file), reason=EMPTY_FILE))
    return _named_by_their_titles(articles, site_names), failures


def _named_by_their_titles(articles: list[Article], site_names: dict[str, Counter[str]]) -> list[Article]:
    """Records that name no outlet are named by their domain; where that site's titles end with its own
    name (" | CNN"), every article of the site gets the name most of them carry, so one outlet is never
    listed twice ("CNN" and "cnn.com")."""
    names = {domain: counts.most_common(1)[0][0] for domain, counts in site_names.items()}
    named = []
    for article in articles:
        name = names.get(article.outlet) if article.outlet == domain_name(article.url) else None
        if name:
            title = clean_title(article.title, site=name, url=article.url)
            article = article.model_copy(update={"outlet": name, "outlets": (name,), "title": title})
        named.append(article)
    return named


def _parse_jsonl_line(
    raw: bytes, where: str, file: Path, articles: list[Article], failures: list[Failure],
    site_names: dict[str, Counter[str]],
) -> None:
    try:
        record = json.loads(decode_text(raw))
        article = article_from_record(record, origin=str(file), source=file_source(file))
        articles.append(article)
        if name := title_site_name(str(record.get("title") or ""), article.url):
            site_names.setdefault(domain_name(article.url), Counter())[name] += 1
    except json.JSONDecodeError as exc:
        failures.append(Failure(origin=where, reason=f"parse error: not JSON ({exc.msg})"))
    except (ValueError, TypeError, ValidationError) as exc:
        failures.append(Failure(origin=where, reason=_short_reason(exc)))


def article_from_record(record: object, *, origin: str, source: str | None = None) -> Article:
    """One record in the realtimeqa-dev `articles.jsonl` format; its id is scoped to its file, so an
    equal `id` in another file is another article."""
    if not isinstance(record, dict):
        raise ValueError("parse error: a line is not a JSON object")
    text = str(record.get("text") or "").replace("\x00", "").strip()
    if len(text) < MIN_TEXT_CHARS:
        raise ValueError("no article text")
    url = _text_or_none(record.get("url"))
    outlet = outlet_name(_text_or_none(record.get("source")) or _text_or_none(record.get("outlet")), url)
    raw_title = _text_or_none(record.get("title"))
    return Article(
        id=article_id(source if source is not None else origin, str(record.get("id") or url or text[:200])),
        title=clean_title(raw_title, site=outlet, url=url) if raw_title else derived_title((), text, fallback=origin),
        url=url,
        published=_parse_date(_text_or_none(record.get("published"))),
        outlet=outlet,
        text=text,
        outlets=(outlet,),
        origin=origin,
    )


def _text_or_none(value: object) -> str | None:
    """JSON fields that must be text: a number or boolean there is treated as missing."""
    return value.strip() or None if isinstance(value, str) else None


def _short_reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "parse error: " + "; ".join(str(err["msg"]) for err in exc.errors()[:2])
    return str(exc)
