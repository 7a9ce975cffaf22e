"""Posted brief stories on disk: saved for their buttons, expired after the retention period, and tidied
when the bot leaves a server (only what no other server holds)."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.utils.brief_store import SECONDS_PER_DAY, BriefStore
from retrieval.brief.models import Brief, BriefSource, Story
from retrieval.models import Citation, guild_tenant

A, B = 1111, 2222  # two servers


def one_story_brief(headline: str, day: int = 20, article_id: str = "a1") -> Brief:
    """A one-story brief; `article_id` "a1" is an operator's (global) article."""
    citation = Citation(n=1, article_id=article_id, chunk_id=f"{article_id}:0", title="Flood warning",
                        outlet="Outlet", quote="The river rose overnight.")
    story = Story(headline=headline, summary="The river rose overnight.", summary_citations=(citation,),
                  coverage=1, outlets=("Outlet",), single_source=True, article_ids=(article_id,))
    return Brief(as_of=datetime(2024, 6, day, tzinfo=UTC), window_hours=24, stories=(story,),
                 sources=(BriefSource(n=1, article_id=article_id, title="Flood warning"),))


def age(path: Path, days: float) -> None:
    stamp = time.time() - days * SECONDS_PER_DAY
    os.utime(path, (stamp, stamp))


def test_a_saved_story_loads_back_by_its_key(tmp_path: Path) -> None:
    store = BriefStore(tmp_path / "briefs", retention_days=30)
    (key,) = store.save(one_story_brief("River floods"), guild_id=1)
    stored = store.load(key)
    assert stored is not None and stored.story.headline == "River floods"
    assert stored.sources[0].title == "Flood warning"


def test_saving_a_brief_deletes_stories_older_than_the_retention(tmp_path: Path) -> None:
    store = BriefStore(tmp_path / "briefs", retention_days=30)
    (old,) = store.save(one_story_brief("Last month's flood", day=1), guild_id=1)
    (recent,) = store.save(one_story_brief("Last week's flood", day=13), guild_id=1)
    age(store.folder / f"{old}.json", days=31)
    age(store.folder / f"{recent}.json", days=7)

    (today,) = store.save(one_story_brief("Today's flood"), guild_id=1)

    assert store.load(old) is None  # its buttons now say the brief is gone
    assert store.load(recent) is not None and store.load(today) is not None


def test_zero_retention_keeps_every_story(tmp_path: Path) -> None:
    store = BriefStore(tmp_path / "briefs", retention_days=0)
    (old,) = store.save(one_story_brief("A flood years ago", day=1), guild_id=1)
    age(store.folder / f"{old}.json", days=3650)
    store.save(one_story_brief("Today's flood"), guild_id=1)
    assert store.prune() == 0 and store.load(old) is not None


@pytest.mark.parametrize("key", ["../secret", "0123456789abcdef/../../secret", "0123456789ABCDEF", "0123456789abcdef\n",
                                 "..%2f..%2fsecret", "/etc/passwd", "0123456789abcde", "0123456789abcdef0", ""])
def test_a_crafted_key_never_names_a_file(tmp_path: Path, key: str) -> None:
    """A button's custom_id is user input: only a 16-hex key ever becomes a file name."""
    store = BriefStore(tmp_path / "briefs", retention_days=30)
    (real,) = store.save(one_story_brief("River floods"), guild_id=1)
    (tmp_path / "secret.json").write_text(store._path(real).read_text(), encoding="utf-8")
    assert store.load(key) is None
    with pytest.raises(ValueError):
        store._path(key)
    assert sorted(p.name for p in (tmp_path / "briefs").iterdir()) == [f"{real}.json"]


def test_leaving_a_server_deletes_its_stories_and_keeps_one_another_server_posted_too(tmp_path: Path) -> None:
    store = BriefStore(tmp_path / "briefs", retention_days=30)
    (shared,) = store.save(one_story_brief("River floods"), guild_id=A)
    assert store.save(one_story_brief("River floods"), guild_id=B) == [shared]  # the same global brief
    (a_only,) = store.save(one_story_brief("Bridge closes", day=19), guild_id=A)
    (a_own,) = store.save(one_story_brief("Harbour fair", article_id=f"{guild_tenant(A)}/feed:x"), guild_id=A)
    (b_only,) = store.save(one_story_brief("Dam holds", day=18), guild_id=B)
    b_file = (store.folder / f"{b_only}.json").read_bytes()

    assert store.forget_guild(A) == 2

    assert store.load(a_only) is None and store.load(a_own) is None
    kept = store.load(shared)
    assert kept is not None and kept.guild_ids == (B,) and kept.story.headline == "River floods"
    assert (store.folder / f"{b_only}.json").read_bytes() == b_file  # another server's story: untouched
    assert store.forget_guild(B) == 2 and not list(store.folder.glob("*.json"))


def test_a_story_also_posted_in_a_dm_outlives_the_server_leaving(tmp_path: Path) -> None:
    store = BriefStore(tmp_path / "briefs", retention_days=30)
    (key,) = store.save(one_story_brief("River floods"), guild_id=A)
    store.save(one_story_brief("River floods"), guild_id=None)
    assert store.forget_guild(A) == 0
    kept = store.load(key)
    assert kept is not None and kept.guild_ids == () and kept.outside_servers


def test_a_file_from_before_servers_were_recorded_loads_and_goes_only_if_it_cites_the_leavers_articles(
    tmp_path: Path
) -> None:
    store = BriefStore(tmp_path / "briefs", retention_days=30)
    (global_key,) = store.save(one_story_brief("River floods"), guild_id=A)
    (own_key,) = store.save(one_story_brief("Harbour fair", article_id=f"{guild_tenant(A)}/feed:x"), guild_id=A)
    for key in (global_key, own_key):  # rewritten as an older version wrote them: no servers field
        path = store.folder / f"{key}.json"
        old = json.loads(path.read_text(encoding="utf-8"))
        del old["guild_ids"], old["outside_servers"]
        path.write_text(json.dumps(old), encoding="utf-8")
    legacy = store.load(global_key)
    assert legacy is not None and legacy.story.headline == "River floods" and legacy.outside_servers

    assert store.forget_guild(A) == 1
    assert store.load(own_key) is None  # only server A could ever see it
    assert store.load(global_key) is not None  # who posted it is unknown: the retention takes it


def test_a_leave_does_not_make_a_shared_story_outlive_the_retention(tmp_path: Path) -> None:
    store = BriefStore(tmp_path / "briefs", retention_days=30)
    (key,) = store.save(one_story_brief("River floods"), guild_id=A)
    store.save(one_story_brief("River floods"), guild_id=B)
    age(store.folder / f"{key}.json", days=31)
    store.forget_guild(A)  # rewrites the file without A
    assert store.prune() == 1 and store.load(key) is None
