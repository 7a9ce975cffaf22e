"""briefbot's engine: loading, indexing, retrieval and cited answers. Never imports discord."""
