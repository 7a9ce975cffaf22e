"""Issue 6, item 1: 50 concurrent `/ask` with a 20 s LLM and 5 s retrieval, each acknowledged ≤ 1 s.

`bench/ack_latency.py` times the acknowledgement with a slow LLM only. This adds slow retrieval (the
service's searcher wrapped in a class that sleeps before every search, in the worker thread, as a
slow Chroma server would) and checks that every interaction got exactly one final answer or one
short error, with no 10062 (unknown interaction) or 40060 (already acknowledged) error logged.

    python bench/ack_under_load.py [--count 50] [--llm-seconds 20] [--retrieval-seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from ack_latency import TARGET_ACK_SECONDS, _install_callback_timer, _percentile, fire_asks  # noqa: E402

DISCORD_INTERACTION_ERRORS = ("10062", "40060")


class DelayedSearcher:
    """The real searcher, after a fixed sleep: what a slow vector store looks like to the bot."""

    def __init__(self, searcher: Any, delay_seconds: float) -> None:
        self._searcher = searcher
        self._delay_seconds = delay_seconds

    def search(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(self._delay_seconds)
        return self._searcher.search(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._searcher, name)


class LogTally(logging.Handler):
    """Counts error records, and those naming a Discord interaction error code."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.errors: list[str] = []
        self.interaction_errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        if any(code in text for code in DISCORD_INTERACTION_ERRORS):
            self.interaction_errors.append(text)
        if record.levelno >= logging.ERROR:
            self.errors.append(text)


def _final_messages(env: Any, channel: Any) -> tuple[int, int]:
    """(answers with embeds, short error messages) in the channel once everything settled."""
    history = list(channel.history())
    answers = sum(1 for m in history if m.embeds)
    errors = sum(1 for m in history if not m.embeds and (m.content or "").startswith("⚠️"))
    return answers, errors


async def _run(args: argparse.Namespace, workdir: Path) -> int:
    import simcord
    from pydantic import SecretStr

    from bot import create_bot
    from retrieval.index.embeddings import LocalMiniLMEmbeddings
    from tests.conftest import make_settings
    from tests.support.discord_env import make_service, write_corpus
    from tests.support.openai_server import Behaviour, FakeOpenAIServer

    tally = LogTally()
    logging.getLogger().addHandler(tally)
    server = FakeOpenAIServer().start()
    server.default = Behaviour("delay", delay_seconds=args.llm_seconds)
    try:
        corpus = write_corpus(workdir / "corpus")
        settings = make_settings(
            workdir / "data", seeds_dir=corpus, openai_base_url=server.base_url,
            openai_api_key=SecretStr("bench-key"), llm_timeout_seconds=args.llm_seconds + 30,
            user_cooldown_seconds=0.0, answer_deadline_seconds=args.llm_seconds + args.retrieval_seconds + 60,
        )
        service = make_service(settings, LocalMiniLMEmbeddings())
        service.index([corpus])
        service.answerer.searcher = DelayedSearcher(service.answerer.searcher, args.retrieval_seconds)
        acked: dict[int, float] = {}
        _install_callback_timer(acked)
        async with simcord.run(create_bot(settings, service), settle_timeout=3600) as env:
            channel, fired = fire_asks(env, args.count)
            started = time.perf_counter()
            await env.settle(timeout=3600)
            total = time.perf_counter() - started
            answers, error_messages = _final_messages(env, channel)
    finally:
        server.stop()
        logging.getLogger().removeHandler(tally)
    latencies = [acked[i] - t for i, t in fired.items() if i in acked]
    print(f"interactions: {args.count}, acknowledged: {len(latencies)}, LLM {args.llm_seconds:.0f} s, "
          f"retrieval {args.retrieval_seconds:.0f} s, max concurrent answers: {settings.max_concurrent_answers}")
    if latencies:
        print(f"ack latency: max {max(latencies) * 1000:.0f} ms, p95 {_percentile(latencies, 0.95) * 1000:.0f} ms, "
              f"median {statistics.median(latencies) * 1000:.0f} ms (target ≤ {TARGET_ACK_SECONDS * 1000:.0f} ms)")
    print(f"final messages: {answers} answers, {error_messages} error notices, after {total:.0f} s; "
          f"10062/40060 errors logged: {len(tally.interaction_errors)}, error log records: {len(tally.errors)}")
    ok = (len(latencies) == args.count and max(latencies) <= TARGET_ACK_SECONDS
          and answers == args.count and not tally.interaction_errors)
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--llm-seconds", type=float, default=20.0, help="seconds the fake LLM takes per answer")
    parser.add_argument("--retrieval-seconds", type=float, default=5.0, help="sleep before every search")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as workdir:
        return asyncio.run(_run(args, Path(workdir)))


if __name__ == "__main__":
    raise SystemExit(main())
