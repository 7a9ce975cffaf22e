"""bench/index_vs_tutorial.py without the optional `bench` extra: one line saying how to get it, status 2.

The extra's modules are made unimportable in the child (stub packages that raise ImportError, first
on PYTHONPATH), so the test holds whether or not the extra happens to be installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_without_the_bench_extra_the_benchmark_says_how_to_install_it_and_exits_2(tmp_path: Path) -> None:
    stubs = tmp_path / "stubs"
    for name in ("sentence_transformers", "langchain_huggingface"):
        (stubs / name).mkdir(parents=True)
        (stubs / name / "__init__.py").write_text("raise ImportError('made unimportable by the test')\n")
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(stubs), str(REPO_ROOT)])}

    done = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "index_vs_tutorial.py"), "--data",
                           str(tmp_path / "no-data-needed")], capture_output=True, text=True, env=env, timeout=60,
                          check=False)

    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "pip install -e '.[bench]'" in lines[0]
    assert "sentence_transformers" in lines[0]
