"""Cited answers: the LLM chain, the extractive answerer, citations and support checks."""
