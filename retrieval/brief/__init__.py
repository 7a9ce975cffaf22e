"""Briefs: stories grouped from a window's articles, written extractively or by the LLM."""
