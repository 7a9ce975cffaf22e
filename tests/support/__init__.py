"""Real local helpers for tests (HTTP servers on 127.0.0.1), shared by every test module."""
