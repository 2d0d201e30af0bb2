"""The planning report computes no metric itself: its figures come from the semantic layer's saved queries
(analyst/saved_queries.py), so a dashboard on the same saved query shows the same numbers. A guard over the
report's source: no aggregate in the SQL it sends, no pandas aggregation of a figure outside the few places that
only pick rows (which products to show), and every saved query it names exists in the semantic layer."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from foundation.warehouse.contract import PROJECT_DIR

REPORT = PROJECT_DIR / "analyst" / "report"
SQL_AGGREGATE = re.compile(r"\b(sum|avg|count|min|max|median|stddev\w*|percentile\w*)\s*\(", re.IGNORECASE)
# SQL the report may send: an emptiness check (count(*)) and the latest row of a table that is not a metric.
SQL_ALLOWED = ("count(*) as n", "(select max(plan_date) from")
PANDAS_AGGREGATES = {"sum", "mean", "agg", "aggregate", "median", "cumsum", "std", "var", "prod"}
# Functions that may aggregate: they only choose which rows to show, never a figure that is shown.
ROW_PICKERS = {"_top_products"}


def _strings(tree: ast.AST) -> list[str]:
    """Every string literal, f-strings joined (their placeholders as {})."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.append("".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
    return found


def _aggregations(tree: ast.AST) -> list[tuple[str, int, str]]:
    """(function, line, method) of every .sum() / .mean() / .agg() ... call."""
    found = []
    for function in (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)):
        for call in (node for node in ast.walk(function) if isinstance(node, ast.Call)):
            if isinstance(call.func, ast.Attribute) and call.func.attr in PANDAS_AGGREGATES:
                found.append((function.name, call.lineno, call.func.attr))
    return found


def _sources() -> list[Path]:
    return sorted(REPORT.glob("*.py"))


def test_the_report_sends_no_aggregate_sql():
    offending = []
    for source in _sources():
        for text in _strings(ast.parse(source.read_text())):
            # Docstrings say what a figure is (1 - WAPE ...): only SQL-looking text is judged.
            if not re.search(r"\b(select|from)\b", text, re.IGNORECASE):
                continue
            stripped = text
            for allowed in SQL_ALLOWED:
                stripped = stripped.replace(allowed, "")
            if SQL_AGGREGATE.search(stripped):
                offending.append(f"{source.name}: {text.strip()[:100]!r}")
    assert not offending, "the report aggregates in SQL; read a saved query instead:\n" + "\n".join(offending)


def test_the_report_aggregates_no_figure_in_pandas():
    offending = [
        f"{source.name}:{line} {function}() calls .{method}()"
        for source in _sources()
        for function, line, method in _aggregations(ast.parse(source.read_text()))
        if function not in ROW_PICKERS
    ]
    assert not offending, "the report aggregates figures itself; read a saved query instead:\n" + "\n".join(offending)


def test_every_saved_query_the_report_reads_is_in_the_semantic_layer():
    from analyst.report.data import SAVED_QUERIES

    defined = set()
    for path in (PROJECT_DIR / "models").rglob("*.yml"):
        defined |= {query["name"] for query in (yaml.safe_load(path.read_text()) or {}).get("saved_queries", [])}
    assert set(SAVED_QUERIES) <= defined, set(SAVED_QUERIES) - defined
    # The names the report passes with its SavedQueries (`queries`) are the ones listed, all of them.
    read = {
        argument.value
        for call in ast.walk(ast.parse((REPORT / "data.py").read_text()))
        if isinstance(call, ast.Call) and any(isinstance(a, ast.Name) and a.id == "queries" for a in call.args)
        for argument in call.args
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str)
    }
    assert read == set(SAVED_QUERIES)
