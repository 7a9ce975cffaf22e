"""How fast is every `/ask` acknowledged when 50 arrive at once and the LLM is slow?

Discord drops an interaction that is not acknowledged within 3 seconds. The bot defers before any
work, so acknowledgement should not depend on the LLM or on the concurrency limit. This runs the
real bot under SimCord with a real index (the seeds plus two articles) and the OpenAI-compatible
test server answering every chat request after `--llm-delay` seconds, fires `--count` `/ask`
interactions from different members at once, and reports the time from each INTERACTION_CREATE to
its interaction callback (the defer).

    python bench/ack_latency.py [--count 50] [--llm-delay 2.0]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

TARGET_ACK_SECONDS = 1.0


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _install_callback_timer(acked: dict[int, float]) -> None:
    """Record when each interaction callback reaches SimCord's REST router."""
    from simcord.http import router

    original = router.dispatch

    def timed(backend: Any, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        if method == "POST" and path.startswith("/interactions/") and path.endswith("/callback"):
            acked.setdefault(int(path.split("/")[2]), time.perf_counter())
        return original(backend, method, path, *args, **kwargs)

    router.dispatch = timed


def fire_asks(env: Any, count: int) -> tuple[Any, dict[int, float]]:
    """`count` members fire /ask at once in one channel: (the channel, interaction id → when it fired)."""
    from tests.support.discord_env import fire_slash

    guild = env.create_guild("Bench")
    channel = guild.create_text_channel("general")
    members = [guild.add_member(env.create_user(f"user{i}")) for i in range(count)]
    fired: dict[int, float] = {}
    for i, member in enumerate(members):
        result = fire_slash(env, member, channel, "ask", question=f"Why did Putin visit North Korea? ({i})")
        fired[result._interaction.id] = time.perf_counter()
    return channel, fired


async def _run(count: int, llm_delay: float, workdir: Path) -> int:
    import simcord
    from pydantic import SecretStr

    from bot import create_bot
    from retrieval.index.embeddings import LocalMiniLMEmbeddings
    from tests.conftest import make_settings
    from tests.support.discord_env import make_service, write_corpus
    from tests.support.openai_server import Behaviour, FakeOpenAIServer

    server = FakeOpenAIServer().start()
    server.default = Behaviour("delay", delay_seconds=llm_delay)
    try:
        corpus = write_corpus(workdir / "corpus")
        settings = make_settings(
            workdir / "data",
            seeds_dir=corpus,
            openai_base_url=server.base_url,
            openai_api_key=SecretStr("bench-key"),
            llm_timeout_seconds=llm_delay + 30,
        )
        service = make_service(settings, LocalMiniLMEmbeddings())
        service.index([corpus])
        acked: dict[int, float] = {}
        _install_callback_timer(acked)
        async with simcord.run(create_bot(settings, service), settle_timeout=600) as env:
            channel, fired = fire_asks(env, count)
            started = time.perf_counter()
            await env.settle(timeout=600)
            total = time.perf_counter() - started
            answers = [m for m in channel.history() if m.embeds]
            answered = len(answers)
            by_llm = sum(1 for m in answers if "LLM answer" in (m.embeds[-1].footer.text or ""))
    finally:
        server.stop()
    latencies = [acked[i] - t for i, t in fired.items() if i in acked]
    print(
        f"interactions: {count}, acknowledged: {len(latencies)}, answered: {answered}, "
        f"LLM delay per call: {llm_delay:.1f} s, max concurrent answers: {settings.max_concurrent_answers}"
    )
    if latencies:
        print(
            f"ack latency: max {max(latencies) * 1000:.0f} ms, p95 {_percentile(latencies, 0.95) * 1000:.0f} ms, "
            f"median {statistics.median(latencies) * 1000:.0f} ms (target ≤ {TARGET_ACK_SECONDS * 1000:.0f} ms)"
        )
    print(f"all answers delivered after {total:.1f} s ({by_llm} written by the LLM, the rest extractive)")
    ok = len(latencies) == count and max(latencies) <= TARGET_ACK_SECONDS
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--llm-delay", type=float, default=2.0, help="seconds the fake LLM takes per answer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as workdir:
        return asyncio.run(_run(args.count, args.llm_delay, Path(workdir)))


if __name__ == "__main__":
    raise SystemExit(main())
