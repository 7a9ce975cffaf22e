"""Issue 13, item 3: follow-ups are answered from the thread's own sources as well as fresh retrieval.

The real bot under SimCord on the real service (extractive answers, real embedder). A thread about a
state law gets three follow-ups: two the first answer's article answers (one by @mention, one by a plain
reply to the bot's answer), and one that neither that article nor anything else indexed answers.
The assertions are on what a reader sees in the thread.
"""

from __future__ import annotations

from pathlib import Path

import simcord

from retrieval.answer.extractive import REFUSAL_TEXT
from tests.support.discord_env import AskRecorder, make_world

LAW_URL = "https://state-herald.example/tarnow-commandments-law"
LAW = f"""Title: Tarnow requires classrooms to display the Ten Commandments
Source: State Herald
URL: {LAW_URL}
Date: 2024-06-20

The new Tarnow state law requires every public school classroom to display a poster of the Ten Commandments.
The posters must be printed in a large, easily readable font and hung in every classroom from kindergarten to
university. Governor Elena Marsh signed the bill into law on Wednesday at a ceremony in the state capital.
The requirement takes effect on January 1, 2025, giving schools six months to put up the posters.
Civil liberties groups said they would sue to block the law, calling it a breach of the separation of
church and state. Supporters in the legislature said the commandments are part of the state's history.
"""
QUESTION = "What does the new Tarnow law require schools to display?"


def _indexed_law(service: AskRecorder, tmp_path: Path) -> None:
    folder = tmp_path / "law"
    folder.mkdir()
    (folder / "2024-06-20-tarnow-law.txt").write_text(LAW, encoding="utf-8")
    report = service.index([folder])
    assert report.added == 1 and not report.failures


def _answer_text(message: object) -> str:
    embeds = getattr(message, "embeds", None) or []
    return "\n".join(e.description or "" for e in embeds)


def _source_text(message: object) -> str:
    embeds = getattr(message, "embeds", None) or []
    return "\n".join(f"{e.description or ''} {' '.join(f.value for f in e.fields)}" for e in embeds)


async def test_follow_ups_in_a_thread_use_the_first_answers_sources_and_refuse_only_what_none_holds(
    simcord_env: simcord.Env, bot_service: AskRecorder, tmp_path: Path
) -> None:
    _indexed_law(bot_service, tmp_path)
    world = make_world(simcord_env)
    first = await world.alice.slash(world.channel, "ask", question=QUESTION)
    assert first.response is not None
    assert "Ten Commandments" in _answer_text(first.response)
    (thread,) = world.channel.threads

    await world.alice.send(thread, f"{world.me.mention} When does it take effect, and who signed it?")
    by_mention = thread.last_message
    assert by_mention is not None and by_mention.author.id == world.me.id
    shown = _answer_text(by_mention)
    assert "January 1, 2025" in shown and "[1]" in shown, shown
    assert REFUSAL_TEXT not in shown
    assert LAW_URL in _source_text(by_mention)

    await world.alice.send(thread, "Which groups said they would sue?", reply_to=by_mention)
    by_reply = thread.last_message
    assert by_reply is not None and by_reply.author.id == world.me.id and by_reply.id != by_mention.id
    shown = _answer_text(by_reply)
    assert "Civil liberties groups" in shown and "[1]" in shown, shown
    assert LAW_URL in _source_text(by_reply)

    await world.alice.send(thread, f"{world.me.mention} What did the football coach say about the weather?")
    refused = thread.last_message
    assert refused is not None and refused.author.id == world.me.id and refused.id != by_reply.id
    assert REFUSAL_TEXT in _answer_text(refused)
    assert LAW_URL not in _source_text(refused)

    follow_ups = bot_service.asks[1:]
    assert [len(call.history) for call in follow_ups] == [1, 2, 3]
    assert all(call.history[0].question == QUESTION for call in follow_ups)
