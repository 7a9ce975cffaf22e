"""Getting articles in: files, feeds and pages fetched safely, configured sources, near-duplicates."""
