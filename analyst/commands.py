"""The analysts' subcommands, `supplychain docs` and `supplychain report`, added to the main CLI in one call."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("supplychain")
DEFAULT_REPORT = Path("reports") / "planning_report.html"


def add_analyst_commands(commands: argparse._SubParsersAction) -> dict[str, Callable]:
    """Adds `docs` and `report` to the CLI's subcommands; returns their handlers by name."""
    docs = commands.add_parser("docs", help="generate the dbt docs site and serve it on 127.0.0.1")
    _target_flag(docs)
    docs.add_argument("--port", type=int, default=8080, help="port to serve on (default %(default)s; 0 = any free)")
    docs.add_argument("--no-serve", action="store_true", help="only generate target/index.html and its data")

    report = commands.add_parser("report", help="write the self-contained HTML planning report")
    _target_flag(report)
    report.add_argument(
        "--output", type=Path, default=DEFAULT_REPORT, help="where to write the report (default %(default)s)"
    )
    return {"docs": docs_command, "report": report_command}


def _target_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        choices=("local", "postgres", "redshift"),
        default=None,
        help="dbt target (default: SUPPLYCHAIN_TARGET or local, the embedded DuckDB)",
    )


def docs_command(args, settings=None) -> int:
    from analyst.docs_site import generate_docs, site_url, start_server
    from foundation.warehouse.build import WarehouseOptions

    warehouse = WarehouseOptions.from_env(args.target)
    folder = generate_docs(warehouse.target, warehouse.duckdb_path)
    log.info("docs site generated in %s", folder)
    if args.no_serve:
        return 0
    try:
        server = start_server(folder, args.port)
    except OSError as failure:
        message = f"cannot serve on 127.0.0.1:{args.port} ({failure}) — pass --port N, 0 for any free one"
        raise RuntimeError(message) from None
    print(f"dbt docs site: {site_url(server)}  (Ctrl+C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
    return 0


def report_command(args, settings=None) -> int:
    from foundation.warehouse.build import WarehouseOptions

    write_planning_report(WarehouseOptions.from_env(args.target), args.output)
    return 0


def write_planning_report(warehouse, output):
    """The planning report from the marts of `warehouse` (a WarehouseOptions); the CLI and the pipeline call it."""
    from analyst.report import build_report
    from foundation.warehouse.io import connect

    with connect(warehouse) as connection:
        written = build_report(connection, output)
    print(f"planning report: {written.resolve()}", flush=True)
    return written
