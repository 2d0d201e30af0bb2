"""The warehouse load and build: the processed zone into a target, then the dbt project over it.

On the embedded DuckDB target the build is write-audit-publish: the warehouse file is copied, loaded and built
(models and every test) aside, and only a build that passes replaces the live file, so a failed build leaves the
previous marts in place. PostgreSQL and Redshift build in place: each table swaps atomically, and a failing test
stops the models downstream of it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

from foundation.lake import Lake
from foundation.warehouse.contract import PROJECT_DIR, source_tables
from foundation.warehouse.dbt_runner import dbt_command, dbt_environment, run_dbt
from foundation.warehouse.options import WarehouseOptions
from foundation.warehouse.processed_zone import TableFiles, check_redshift_widths, check_table

log = logging.getLogger(__name__)


class BuildFailedError(RuntimeError):
    """dbt build failed; the message lists each failing model or test."""


def check_processed_zone(lake: Lake, sources: tuple[str, ...] | None = None) -> list[TableFiles]:
    """The tables of the named dbt sources (every source when None), checked against the contract."""
    tables = source_tables()
    unknown = set(sources or ()) - {t.source for t in tables}
    if unknown:
        raise ValueError(f"no source(s) {', '.join(sorted(unknown))} in the dbt source definitions")
    checked = [check_table(lake, table) for table in tables if sources is None or table.source in sources]
    for table in checked:
        log.info(
            "processed/%s: %d files, %d rows match the contract",
            table.table.processed_path,
            len(table.files),
            table.rows,
        )
    return checked


def load(
    lake: Lake, options: WarehouseOptions, duckdb_path: Path | None = None, sources: tuple[str, ...] | None = None
) -> list[TableFiles]:
    """Checks the processed zone and makes it the target's processed schema: the tables of `sources` (dbt source
    names, every source when None); the others are left as they are."""
    checked = check_processed_zone(lake, sources)
    if options.target == "local":
        from foundation.warehouse.load_duckdb import load_duckdb

        load_duckdb(duckdb_path or options.duckdb_path, lake, checked, options.source_schema)
    elif options.target == "postgres":
        from foundation.warehouse.load_postgres import load_postgres, postgres_dsn

        load_postgres(postgres_dsn(), lake, checked, options.source_schema)
    else:
        check_redshift_widths(lake, checked)
        _load_redshift(lake, options, [t.table.name for t in checked if t.files])
    return checked


def _load_redshift(lake: Lake, options: WarehouseOptions, tables: list[str]) -> None:
    processed_uri = options.processed_uri or (f"{lake.root}/processed" if not lake.is_local else None)
    if not processed_uri or not options.iam_role:
        raise ValueError(
            "Redshift loads with COPY from S3: set SUPPLYCHAIN_REDSHIFT_PROCESSED_URI (or use an s3:// lake root) "
            "and SUPPLYCHAIN_REDSHIFT_IAM_ROLE"
        )
    arguments = json.dumps({"processed_uri": processed_uri, "iam_role": options.iam_role, "tables": tables})
    result = run_dbt(["run-operation", "load_processed_zone", "--args", arguments], "redshift")
    if not result.ok:
        raise BuildFailedError(
            "loading Redshift failed:\n  " + "\n  ".join(result.failures or ["see dbt output above"])
        )


def redshift_load_sql(processed_uri: str, iam_role: str, tables: list[str] | None = None) -> str:
    """The Redshift load as a SQL script, rendered by the same macro with no server (offline compile)."""
    inline = (
        "{% for statement in supplychain.processed_zone_load_sql("
        f"{json.dumps(processed_uri)}, {json.dumps(iam_role)}, {json.dumps(tables) if tables else 'none'}"
        ") %}{{ statement }};\n{% endfor %}"
    )
    command = dbt_command(
        ["--no-populate-cache", "--quiet", "compile", "--vars", "{offline_compile: true}", "--inline", inline],
        "redshift",
        target_path=str(PROJECT_DIR / "target" / "redshift"),
    )
    completed = subprocess.run(command, env=dbt_environment(), cwd=PROJECT_DIR, capture_output=True, text=True)
    if completed.returncode:
        raise BuildFailedError(f"rendering the Redshift load SQL failed:\n{completed.stdout}{completed.stderr}")
    return completed.stdout.strip() + "\n"


def build(lake: Lake, options: WarehouseOptions, dbt_args: list[str] | None = None) -> float:
    """Load, then `dbt build` (seeds, models, snapshots, tests); returns the seconds taken."""
    return run_dbt_step(lake, options, ["build", *(dbt_args or [])])


def run_dbt_step(lake: Lake, options: WarehouseOptions, args: list[str], load_first: bool = True) -> float:
    """Load (unless the caller has: the pipeline loads as its own step), then one dbt command (`build ...`,
    `snapshot`); on DuckDB write-audit-publish. Returns seconds."""
    started = time.perf_counter()
    if options.target != "local":
        if load_first:
            load(lake, options)
        _raise_on_failure(run_dbt(args, options.target))
        return time.perf_counter() - started
    live = options.duckdb_path
    work = work_copy(live)
    start_work_copy(live, work)
    if load_first:
        load(lake, options, duckdb_path=work)
    failed = live.with_name(live.stem + ".failed.duckdb")
    try:
        run_dbt_in_place(work, args)
    except BuildFailedError as failure:
        _remove_database(failed)
        os.replace(work, failed)
        raise BuildFailedError(f"{failure}\nthe live warehouse {live} is unchanged; the failed build is kept in "
                               f"{failed}") from failure  # fmt: skip
    publish_work_copy(work, live)
    _remove_database(failed)
    return time.perf_counter() - started


def work_copy(live: Path) -> Path:
    """Where a DuckDB warehouse is built aside before it replaces the live file."""
    return live.with_name(live.stem + ".building.duckdb")


def start_work_copy(live: Path, work: Path) -> None:
    """A fresh copy of the live file to build on (none when there is no live file yet): incremental models and
    snapshots carry on from the live state."""
    _check_writable(live.parent)
    # A build killed mid-way leaves its work file and DuckDB's write-ahead log; a WAL left beside a fresh copy
    # would be replayed into it (and fail), so both go before the copy.
    _remove_database(work)
    if live.exists():
        shutil.copyfile(live, work)


def run_dbt_in_place(database: Path, args: list[str]) -> None:
    """One dbt command on this DuckDB file itself (a work copy its caller publishes)."""
    _raise_on_failure(run_dbt(args, "local", env={"SUPPLYCHAIN_DUCKDB_PATH": str(database)}))


def publish_work_copy(work: Path, live: Path) -> None:
    """The built copy becomes the live file in one rename (dbt closed it, its log checkpointed into it)."""
    Path(f"{live}.wal").unlink(missing_ok=True)  # only a killed writer leaves one; it belongs to the old file
    os.replace(work, live)
    log.info("published %s", live)


def discard_work_copy(work: Path) -> None:
    _remove_database(work)


class WarehouseNotWritableError(PermissionError):
    """The warehouse folder cannot be written by this user."""


def _check_writable(folder: Path) -> None:
    with contextlib.suppress(PermissionError):  # judged just below, in one sentence
        folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WarehouseNotWritableError(
            f"cannot write the warehouse in {folder}: permission denied for this user; fix the folder's permissions "
            "or point SUPPLYCHAIN_DUCKDB_PATH at a writable place"
        )


def _remove_database(path: Path) -> None:
    """A DuckDB file and its write-ahead log, if any."""
    path.unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)


def _raise_on_failure(result, note: str = "") -> None:
    if result.ok:
        return
    lines = result.failures or ["see the dbt output above"]
    message = "dbt build failed:\n  " + "\n  ".join(lines)
    raise BuildFailedError(message + (f"\n{note}" if note else ""))
