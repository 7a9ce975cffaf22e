"""Reads of the article table beside the lexical index: a brief's window, stats, autocomplete.

Each read goes by an index (published day) or by the per-outlet counts the table's triggers keep,
so its cost follows the window or the number of outlets, never the whole history.
"""

from __future__ import annotations

import json
from typing import Any

from retrieval.index.lexical import LexicalStore
from retrieval.index.lexical_sqlite import tenant_clause

Parts = list[tuple[int, str, str]]  # (n, kind, text) of an article's chunks


def window(lexical: LexicalStore, first_day: int | None, last_day: int | None,
           tenants: frozenset[str] | None = None) -> list[tuple[dict[str, Any], Parts]]:
    """Records and chunk texts of the articles published in [first_day, last_day] (ordinals; None:
    open). Undated articles count as before any day: in a window only when it has no first day."""
    low = first_day if first_day is not None else -(2**62)
    high = last_day if last_day is not None else 2**62
    tenant_sql, tenant_params = tenant_clause(tenants, "a.tenant")
    db = lexical.connection()
    records: dict[str, dict[str, Any]] = {}
    sql = f"SELECT a.id, a.meta FROM articles a WHERE a.day BETWEEN ? AND ?{tenant_sql} ORDER BY a.id"
    for article_id, meta in db.execute(sql, [low, high, *tenant_params]):
        records[article_id] = {"id": article_id, **json.loads(meta)}
    parts: dict[str, Parts] = {i: [] for i in records}
    sql = ("SELECT c.article_id, c.n, c.kind, c.text FROM articles a JOIN chunks c ON c.article_id = a.id"
           f" WHERE a.day BETWEEN ? AND ?{tenant_sql}")
    for article_id, n, kind, text in db.execute(sql, [low, high, *tenant_params]):
        parts[article_id].append((n, kind, text))
    return [(record, sorted(parts[i])) for i, record in records.items()]


def totals(lexical: LexicalStore, tenants: frozenset[str] | None = None) -> tuple[int, int, list[tuple[str, int]]]:
    """(articles, chunks, (outlet, articles) most first) from the maintained per-outlet counts."""
    tenant_sql, params = tenant_clause(tenants, "tenant")
    rows = lexical.connection().execute(
        f"SELECT outlet, sum(articles), sum(chunks) FROM outlet_counts WHERE 1 = 1{tenant_sql}"
        " GROUP BY outlet ORDER BY sum(articles) DESC, outlet", params).fetchall()
    return sum(r[1] for r in rows), sum(r[2] for r in rows), [(str(r[0]), int(r[1])) for r in rows]


def newest(lexical: LexicalStore, limit: int, tenants: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """The `limit` most recently published articles' records (by the day index)."""
    tenant_sql, params = tenant_clause(tenants, "tenant")
    rows = lexical.connection().execute(
        f"SELECT id, meta FROM articles WHERE 1 = 1{tenant_sql} ORDER BY day DESC, id DESC LIMIT ?", [*params, limit])
    return [{"id": article_id, **json.loads(meta)} for article_id, meta in rows]


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def containing(lexical: LexicalStore, typed: tuple[str, ...],
               tenants: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """Records whose stored fields contain every typed word somewhere (SQLite does the scan of the article
    table, never Chroma's records), newest first: a superset that `listing.matching_records` narrows."""
    if not typed:
        return []
    ascii_words = [w for w in typed if w.isascii()]  # the stored JSON escapes other letters; Python checks those
    tenant_sql, params = tenant_clause(tenants, "tenant")
    words_sql = "".join(" AND lower(meta) LIKE ? ESCAPE '\\'" for _ in ascii_words)
    rows = lexical.connection().execute(
        f"SELECT id, meta FROM articles WHERE 1 = 1{tenant_sql}{words_sql} ORDER BY day DESC, id DESC",
        [*params, *(_like(w) for w in ascii_words)])
    return [{"id": article_id, **json.loads(meta)} for article_id, meta in rows]
