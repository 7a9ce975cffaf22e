"""Fitting the BM25 index, here or in a child process (`python -m retrieval.index.bm25_fit`).

Tokenising and indexing hold the GIL for up to ~100 ms at a time on 24k chunks (measured), which the
bot's event loop would feel as lag. A child process started with `-m` (not multiprocessing's spawn,
which re-imports the parent's `__main__`) reads the pickled texts on stdin and writes the pickled
model on stdout; only this module's own output is ever unpickled.
"""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys

import bm25s
import Stemmer

# bm25s sets its own logger to DEBUG when imported; leave the level to the application's config.
logging.getLogger("bm25s").setLevel(logging.NOTSET)
logger = logging.getLogger(__name__)

CHILD_TIMEOUT_SECONDS = 600


def fit_bm25(texts: list[str]) -> bm25s.BM25 | None:
    """BM25 over `texts` with English stop words and Snowball stemming (None for no texts)."""
    if not texts:
        return None
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False)
    model = bm25s.BM25()
    model.index(tokens, show_progress=False)
    return model


def fit_bm25_in_child(texts: list[str]) -> bm25s.BM25 | None:
    """`fit_bm25` in a child process; where that fails, here (slower for the event loop, still right)."""
    try:
        done = subprocess.run([sys.executable, "-m", __name__], input=pickle.dumps(texts), capture_output=True,
                              check=True, timeout=CHILD_TIMEOUT_SECONDS)
        model: bm25s.BM25 | None = pickle.loads(done.stdout)
        return model
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError) as error:
        logger.warning("BM25 fit in a child process failed (%s); fitting in this process", type(error).__name__)
        return fit_bm25(texts)


if __name__ == "__main__":
    pickle.dump(fit_bm25(pickle.load(sys.stdin.buffer)), sys.stdout.buffer)
