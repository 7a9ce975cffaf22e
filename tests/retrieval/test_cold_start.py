"""A cold `briefbot ask` without an LLM must not pay for clients it never uses (issue 15: <= 3 s wall)."""

from __future__ import annotations

import subprocess
import sys

DEFERRED_MODULES = ("openai", "sqlalchemy")


def test_the_extractive_service_imports_neither_the_llm_client_nor_sqlalchemy() -> None:
    probe = (
        "import sys, retrieval.service, bot.cli; "
        f"print(','.join(m for m in {DEFERRED_MODULES!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_a_configured_llm_still_gets_its_client() -> None:
    probe = (
        "import sys; from retrieval.llm import ChatClient; from retrieval.settings import Settings; "
        "ChatClient.from_settings(Settings(_env_file=None, openai_base_url='http://127.0.0.1:9/v1')); "
        "print('openai' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
