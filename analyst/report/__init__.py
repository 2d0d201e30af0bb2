"""The planning report: `build_report(connection or DuckDB path, output path)` writes one self-contained HTML file."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from pathlib import Path

from analyst.report.data import read_planning_data
from analyst.report.page import render_page
from analyst.report.sections import planning_sections
from foundation.warehouse.dbt_runner import target_folder
from foundation.warehouse.io import open_duckdb

log = logging.getLogger(__name__)


def build_report(connection_or_path, output_path: str | Path, docs_index: str | Path | None = None) -> Path:
    """Reads the marts (a DB-API connection, or the path of a DuckDB warehouse) and writes the report.

    The report links to the dbt docs site, `docs_index` (default: index.html in dbt's target folder), by a path
    relative to the report, so the link holds wherever the project folder is copied.
    """
    output = Path(output_path)
    with _connection(connection_or_path) as connection:
        data = read_planning_data(connection)
    docs = Path(docs_index) if docs_index else Path(target_folder()) / "index.html"
    docs_href = os.path.relpath(docs.resolve(), output.parent.resolve())
    page = render_page(planning_sections(data), docs_href, dt.datetime.now(dt.timezone.utc))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    log.info("wrote the planning report to %s (%.1f MB)", output, output.stat().st_size / 1e6)
    return output


@contextlib.contextmanager
def _connection(connection_or_path):
    if isinstance(connection_or_path, str | Path):
        with open_duckdb(Path(connection_or_path)) as connection:
            yield connection
    else:
        yield connection_or_path
