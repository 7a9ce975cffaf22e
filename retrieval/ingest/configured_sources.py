"""`sources.toml`: the folders, feeds and single URLs that are indexed, read, edited and written back.

Folders are the operator's (the command line and this file); a Discord server admin can add and remove
only feeds and URLs (`REMOTE_KINDS`), so nothing said in Discord names a path on the bot's host.
URLs are checked against the SSRF rules when they are added, so a refused address fails at once with a
clear message instead of at the next re-index.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from retrieval.errors import SourceError
from retrieval.files import write_atomically
from retrieval.ingest.url_safety import check_url
from retrieval.models import Frozen
from retrieval.text.sanitise import safe_url

if TYPE_CHECKING:
    from retrieval.settings import Settings

SourceKind = Literal["folder", "feed", "url"]
RemoteSourceKind = Literal["feed", "url"]  # what a server admin may add or remove from Discord
REMOTE_KINDS: frozenset[str] = frozenset({"feed", "url"})
T = TypeVar("T")


class SourcesConfig(Frozen):
    folders: tuple[Path, ...] = ()
    feeds: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    fetch_full_text: bool = False  # fetch each short feed entry's page for its full text


def load_sources(settings: Settings) -> SourcesConfig:
    """The configured sources; without a sources.toml, the seeds folder alone."""
    path = settings.sources_file
    if not path.exists():
        return SourcesConfig(folders=(settings.seeds_dir,))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return SourcesConfig.model_validate(data)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError) as exc:
        raise SourceError(f"{path.name}: parse error: {str(exc).splitlines()[0][:120]}") from exc


def save_sources(settings: Settings, config: SourcesConfig) -> None:
    lines = ["# briefbot sources. Edit by hand or with `briefbot sources add|remove|list`."]
    for name in ("folders", "feeds", "urls"):
        values = [str(value) for value in getattr(config, name)]
        items = "".join(f"\n    {toml_string(value)}," for value in values)
        lines.append(f"{name} = [{items}\n]" if values else f"{name} = []")
    lines.append(f"fetch_full_text = {'true' if config.fetch_full_text else 'false'}")
    write_atomically(settings.sources_file, "\n".join(lines) + "\n")


def toml_string(value: str) -> str:
    """A TOML basic string: backslash, quote and control characters escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in escaped) + '"'


def list_sources(settings: Settings) -> SourcesConfig:
    return load_sources(settings)


def add_source(settings: Settings, kind: str, value: str) -> SourcesConfig:
    """Add a folder, feed or URL (URLs are checked against the SSRF rules now); adding twice is a no-op."""
    config = load_sources(settings)
    if kind == "folder":  # the command line only: the message may name the path
        folder = Path(value.strip()).expanduser()
        if not folder.exists():
            raise SourceError(f"no such folder: {folder}")
        if not folder.is_dir():
            raise SourceError(f"not a folder: {folder} (a folder source must be a folder, not a single file)")
        updated = config.model_copy(update={"folders": _appended(config.folders, folder)})
    elif kind in ("feed", "url"):
        url = checked_remote_url(settings, value)
        field_name = "feeds" if kind == "feed" else "urls"
        updated = config.model_copy(update={field_name: _appended(getattr(config, field_name), url)})
    else:
        raise SourceError(f"unknown source kind {kind!r}: use folder, feed or url")
    save_sources(settings, updated)
    return updated


def checked_remote_url(settings: Settings, value: str) -> str:
    """A feed's or page's URL, trimmed, once it passes the SSRF rules and can be shown safely."""
    url = value.strip()
    check_url(url, allow_private=settings.allow_private_urls)  # raises UnsafeURLError / FetchError
    if safe_url(url) is None:  # it could not be shown (wrapped in <…>) without breaking out
        raise SourceError("That is not a usable web address (http or https, no spaces, quotes or <>).")
    return url


def remove_source(settings: Settings, kind: str, value: str) -> SourcesConfig:
    config = load_sources(settings)
    field_name = {"folder": "folders", "feed": "feeds", "url": "urls"}.get(kind)
    if field_name is None:
        raise SourceError(f"unknown source kind {kind!r}: use folder, feed or url")
    wanted: Path | str = Path(value.strip()).expanduser() if kind == "folder" else value.strip()
    current = getattr(config, field_name)
    if wanted not in current:
        raise SourceError(f"not a configured {kind}: {value.strip()}")
    updated = config.model_copy(update={field_name: tuple(v for v in current if v != wanted)})
    save_sources(settings, updated)
    return updated


def _appended(values: tuple[T, ...], value: T) -> tuple[T, ...]:
    return values if value in values else (*values, value)
