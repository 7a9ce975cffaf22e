"""Posted brief stories on disk: saved for their buttons, expired after the retention period."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.utils.brief_store import SECONDS_PER_DAY, BriefStore
from retrieval.brief.models import Brief, BriefSource, Story
from retrieval.models import Citation


def one_story_brief(headline: str, day: int = 20) -> Brief:
    citation = Citation(n=1, article_id="a1", chunk_id="a1:0", title="Flood warning", outlet="Outlet",
                        quote="The river rose overnight.")
    story = Story(headline=headline, summary="The river rose overnight.", summary_citations=(citation,),
                  coverage=1, outlets=("Outlet",), single_source=True, article_ids=("a1",))
    return Brief(as_of=datetime(2024, 6, day, tzinfo=UTC), window_hours=24, stories=(story,),
                 sources=(BriefSource(n=1, article_id="a1", title="Flood warning"),))


def age(path: Path, days: float) -> None:
    stamp = time.time() - days * SECONDS_PER_DAY
    os.utime(path, (stamp, stamp))


def test_a_saved_story_loads_back_by_its_key(tmp_path: Path) -> None:
    store = BriefStore(tmp_path / "briefs", retention_days=30)
    (key,) = store.save(one_story_brief("River floods"))
    stored = store.load(key)
    assert stored is not None and stored.story.headline == "River floods"
    assert stored.sources[0].title == "Flood warning"


def test_saving_a_brief_deletes_stories_older_than_the_retention(tmp_path: Path) -> None:
    store = BriefStore(tmp_path / "briefs", retention_days=30)
    (old,) = store.save(one_story_brief("Last month's flood", day=1))
    (recent,) = store.save(one_story_brief("Last week's flood", day=13))
    age(store.folder / f"{old}.json", days=31)
    age(store.folder / f"{recent}.json", days=7)

    (today,) = store.save(one_story_brief("Today's flood"))

    assert store.load(old) is None  # its buttons now say the brief is gone
    assert store.load(recent) is not None and store.load(today) is not None


def test_zero_retention_keeps_every_story(tmp_path: Path) -> None:
    store = BriefStore(tmp_path / "briefs", retention_days=0)
    (old,) = store.save(one_story_brief("A flood years ago", day=1))
    age(store.folder / f"{old}.json", days=3650)
    store.save(one_story_brief("Today's flood"))
    assert store.prune() == 0 and store.load(old) is not None


@pytest.mark.parametrize("key", ["../secret", "0123456789abcdef/../../secret", "0123456789ABCDEF", "0123456789abcdef\n",
                                 "..%2f..%2fsecret", "/etc/passwd", "0123456789abcde", "0123456789abcdef0", ""])
def test_a_crafted_key_never_names_a_file(tmp_path: Path, key: str) -> None:
    """A button's custom_id is user input: only a 16-hex key ever becomes a file name."""
    store = BriefStore(tmp_path / "briefs", retention_days=30)
    (real,) = store.save(one_story_brief("River floods"))
    (tmp_path / "secret.json").write_text(store._path(real).read_text(), encoding="utf-8")
    assert store.load(key) is None
    with pytest.raises(ValueError):
        store._path(key)
    assert sorted(p.name for p in (tmp_path / "briefs").iterdir()) == [f"{real}.json"]
