"""The process fault cases of issue 14 (2, 7, 10, 11, 12, 13): crashes mid-publish, killed builds, two runs on one
lake, unwritable folders, unreachable warehouses, a password with a space. Each runs the real `supplychain`
command (Spark, DuckDB, dbt, a real PostgreSQL server) in a folder of its own and judges what a user would see.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from orchestration.run_records import all_runs, new_record
from tests.faults.fault_case import FaultCase, FaultOutcome
from tests.faults.process_support import (
    built_lake,
    copy_built,
    copy_raw,
    environment,
    files_text,
    kill_when,
    marts_differ,
    processed_differ,
    rows_lost,
    run_cli,
    secret_in,
    without_dac_override,
)
from tests.faults.warehouse_fingerprint import mart_fingerprint

# Recognisable, with spaces (what case 13 printed a part of), and no word that a count, port, pid or timing could
# spell by chance: the check looks for each word on its own.
SECRET = "Quokka marzipan Pangolin sesame"


def _clean_stop(result, *phrases: str) -> bool:
    """A refusal the user can act on: exit 2, one of the phrases, no traceback."""
    return result.returncode == 2 and any(p in result.output for p in phrases) and not result.traceback


def _one_clean_stop(result, phrase: str) -> FaultOutcome:
    """The outcome of a fault that one command must refuse in one sentence: nothing lost, nothing wedged."""
    return FaultOutcome(
        rows_lost=0,
        wedged=False,
        raw_traceback=result.traceback or not _clean_stop(result, phrase),
        secret_printed=secret_in([result.output], SECRET),
        detail=_last_line(result.output),
    )


def second_run_on_one_lake(folder: Path) -> FaultOutcome:
    """Case 10, the stale lock and kill -9 of ingest: `ingest` B starts while A runs and is refused; A is killed -9
    as it starts ingesting; C takes the stale lock over and is killed -9 mid-publish; D completes. The processed
    zone must hold exactly what one uninterrupted ingest publishes, row for row (the marts are a function of it:
    the build cases below judge them)."""
    lake = copy_raw(folder)
    refused = {}

    def second_is_refused_then_kill(output: str) -> bool:
        if "ingesting" not in output:  # A holds the lock and has started on the drops
            return False
        if not refused:
            refused["b"] = run_cli(lake, folder, "ingest")
        return True

    kill_when(lake, folder, ("ingest",), second_is_refused_then_kill)
    second = refused["b"]
    holder = json.loads((lake / "_lake.lock").read_text())  # left behind by the killed run
    taken_over = kill_when(lake, folder, ("ingest",), lambda out: "merged and published processed/ tables" in out)
    last = run_cli(lake, folder, "ingest")
    differ = processed_differ(lake)
    refused_clearly = _clean_stop(second, "is in use by")
    return FaultOutcome(
        rows_lost=rows_lost(lake),
        wedged=last.returncode != 0
        or (lake / "_lake.lock").exists()
        or "taking over" not in taken_over.output
        or bool(differ),
        raw_traceback=second.traceback or last.traceback or not refused_clearly,
        secret_printed=False,
        detail=(
            f"second ingest exit {second.returncode} ({'refused: lake in use' if refused_clearly else 'NOT refused'})"
            f"; holder pid {holder['pid']} killed -9 as it started; the next took the lock over, was killed -9 "
            f"mid-publish; the last exited {last.returncode}; processed tables differing: {differ or 'none'}"
        ),
    )


PUBLISH_AND_DIE = textwrap.dedent(
    """
    import os, shutil, signal, sys
    from foundation.lake import Lake

    root, table, partition, die_after = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    lake = Lake(root)
    staged = lake.staging_area("crash")
    shutil.copytree(f"{root}/{table}/{partition}", f"{root}/{staged}/{partition}")
    moves, real_move = [0], lake.fs.move

    class DyingFileSystem:
        def __getattr__(self, name):
            return getattr(real_fs, name)

        def move(self, source, destination):
            real_move(source, destination)
            moves[0] += 1
            if moves[0] == die_after:
                os.kill(os.getpid(), signal.SIGKILL)

    real_fs = lake.fs
    lake.fs = DyingFileSystem()
    lake.publish(staged, table, [partition])
    """
)


def _crash_publish(lake: Path, table: str, partition: str, die_after: int) -> int:
    """A real process publishing one partition, killed -9 right after its n-th rename."""
    process = subprocess.run([sys.executable, "-c", PUBLISH_AND_DIE, str(lake), table, partition, str(die_after)])
    return process.returncode


def crash_between_renames(folder: Path) -> FaultOutcome:
    """Case 2: a publish killed after the old partition moved out (and, again, after the new one moved in)."""
    lake = copy_built(folder)
    table, partition = "processed/sales", sorted(p.name for p in (lake / "processed" / "sales").iterdir())[-1]
    # Renames: 1 the retired folder's origin note, 2 the live partition out, 3 the new partition in.
    codes = [_crash_publish(lake, table, partition, die_after=2)]
    missing_after_crash = not (lake / table / partition).exists()
    load = run_cli(lake, folder, "load")  # takes the lake lock, which puts the retired folder back first
    codes.append(_crash_publish(lake, table, partition, die_after=3))
    again = run_cli(lake, folder, "load")
    leftovers = [str(p) for p in (lake / "processed").rglob("*retired*")]
    return FaultOutcome(
        rows_lost=rows_lost(lake),
        wedged=load.returncode != 0 or again.returncode != 0 or bool(leftovers),
        raw_traceback=load.traceback or again.traceback,
        secret_printed=False,
        detail=(
            f"publish killed -9 with the live partition moved out (gone: {missing_after_crash}), then with the new "
            "one in "
            f"(exits {codes}); load after each: {load.returncode}, {again.returncode}; retired left {len(leftovers)}"
        ),
    )


def legacy_retired_folder(folder: Path) -> FaultOutcome:
    """Case 2 as the old code left it: `<partition>.retired-<id>` beside the table and the partition missing."""
    lake = copy_built(folder)
    sales = lake / "processed" / "sales"
    partition = sorted(sales.iterdir())[-1]
    partition.rename(sales / f"{partition.name}.retired-0123abcd")
    load = run_cli(lake, folder, "load")
    leftovers = list(sales.glob("*.retired-*"))
    return FaultOutcome(
        rows_lost=rows_lost(lake),
        wedged=load.returncode != 0 or bool(leftovers),
        raw_traceback=load.traceback,
        secret_printed=False,
        detail=f"load exit {load.returncode}; {partition.name} restored: {partition.exists()}",
    )


TABLE_BUILT = "OK created sql table model"


def killed_build_leaves_wal(folder: Path) -> FaultOutcome:
    """Case 7 and kill -9 of build: killed as dbt starts, then again while DuckDB's write-ahead log exists; the
    next build must publish the same marts as an uninterrupted one."""
    lake = copy_built(folder)  # with its live warehouse: the build copies it aside, and a stale WAL met the copy
    work = folder / "warehouse.building.duckdb"
    kill_when(lake, folder, ("build",), lambda out: "running build" in out)
    # Three tables in, the WAL has moved past the live file's checkpoint: replayed onto a fresh copy it fails.
    kill_when(lake, folder, ("build",), lambda out: Path(f"{work}.wal").exists() and out.count(TABLE_BUILT) >= 3)
    left_wal = Path(f"{work}.wal").exists()
    rebuild = run_cli(lake, folder, "build")
    differ = marts_differ(folder / "warehouse.duckdb")
    return FaultOutcome(
        rows_lost=0,
        wedged=rebuild.returncode != 0 or bool(differ),
        raw_traceback=rebuild.traceback,
        secret_printed=False,
        detail=f"killed as dbt started, then three tables in (WAL left: {left_wal}); rebuild exit "
        f"{rebuild.returncode}, marts differing {differ or 'none'}",
    )


RUN_STEPS = ("ingest-products,ingest-warehouses,ingest-inventory,ingest-sales,ingest-shipments,"
             "ingest-transfer-lanes,ingest-order-events,load,build-warehouse")  # fmt: skip
CORE_MARTS = {"dim_product", "dim_warehouse", "fct_sales", "fct_shipment", "fct_inventory_daily", "weekly_sales_mv"}


def run_killed_twice(folder: Path) -> FaultOutcome:
    """kill -9 of `supplychain run` during ingestion, then of its `--resume` during the warehouse build (three
    tables in), then `run --resume` to the end: every mart it built must equal the uninterrupted build's, and the
    run records must say killed, killed, succeeded (each resuming the one before, within the run's own steps)."""
    lake = copy_raw(folder)
    work_wal = folder / "warehouse.building.duckdb.wal"
    kill_when(lake, folder, ("run", "--only", RUN_STEPS), lambda out: "sales: ingesting" in out)
    kill_when(lake, folder, ("run", "--resume"), lambda out: work_wal.exists() and out.count(TABLE_BUILT) >= 3)
    resumed = run_cli(lake, folder, "run", "--resume")
    built = mart_fingerprint(folder / "warehouse.duckdb") if resumed.returncode == 0 else {}
    expected = built_lake()[2]
    differ = sorted(t for t in built if built[t] != expected.get(t)) + sorted(CORE_MARTS - set(built))
    runs = all_runs(folder / "runs")
    story = [r.state for r in reversed(runs)]
    chained = len(runs) == 3 and runs[0].resumes == runs[1].run_id and runs[1].resumes == runs[2].run_id
    own_steps = bool(runs) and runs[0].steps[-1].name == "build-warehouse"
    return FaultOutcome(
        rows_lost=rows_lost(lake),
        wedged=resumed.returncode != 0
        or bool(differ)
        or story != ["killed", "killed", "succeeded"]
        or not chained
        or not own_steps,
        raw_traceback=resumed.traceback,
        secret_printed=False,
        detail=f"run records {story} (killed, killed, resumed), resumes chained: {chained}; {len(built)} marts, "
        f"differing from the uninterrupted build: {differ or 'none'}",
    )


def corrupt_and_killed_run_records(folder: Path) -> FaultOutcome:
    """A run killed -9 mid-step (its process gone) and a newer run.json cut short: `supplychain runs` lists the
    first as killed and names the corrupt file; `run --resume` refuses in one line naming it, with no traceback."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = new_record(folder / "runs", "20260101T000000Z-000001", "local", ["ingest-products", "snapshot"], None)
    killed.pid = int(dead.stdout)
    killed.start_step("snapshot", 1)
    corrupt = folder / "runs" / "20260102T000000Z-000001" / "run.json"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_text('{"run_id": "20260102T000000Z-000001", "steps": [{"name": "ingest-pro')
    lake = folder / "lake"
    listing = run_cli(lake, folder, "runs")
    resume = run_cli(lake, folder, "run", "--resume")
    listed = listing.returncode == 0 and str(corrupt) in listing.output and "killed" in listing.output
    refused = _clean_stop(resume, str(corrupt))
    return FaultOutcome(
        rows_lost=0,
        wedged=not (listed and refused),
        raw_traceback=listing.traceback or resume.traceback,
        secret_printed=False,
        detail=f"runs exit {listing.returncode}, corrupt file named: {str(corrupt) in listing.output}, killed shown: "
        f"{'killed' in listing.output}; resume: {_last_line(resume.output)}",
    )


def unwritable_processed(folder: Path) -> FaultOutcome:
    """Case 11: processed/ not writable by the user running `ingest`."""
    lake = copy_raw(folder)
    (lake / "processed").mkdir()
    (lake / "processed").chmod(0o555)
    try:
        result = run_cli(lake, folder, "ingest", prefix=without_dac_override())
    finally:
        (lake / "processed").chmod(0o755)
    return _one_clean_stop(result, "cannot write to")


def unwritable_warehouse(folder: Path) -> FaultOutcome:
    """Case 11: the warehouse folder not writable by the user running `build`."""
    lake = copy_built(folder)
    shelf = folder / "readonly"
    shelf.mkdir()
    shelf.chmod(0o555)
    env = environment(folder, SUPPLYCHAIN_DUCKDB_PATH=str(shelf / "warehouse.duckdb"))
    try:
        result = run_cli(lake, folder, "build", env=env, prefix=without_dac_override())
    finally:
        shelf.chmod(0o755)
    return _one_clean_stop(result, "cannot write the warehouse")


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again on return: nothing listens there


def postgres_unreachable(folder: Path) -> FaultOutcome:
    """Case 12: PostgreSQL down for `load`, `forecast` and `run --only load`; the run record must end failed."""
    lake = copy_built(folder)
    env = environment(folder, SUPPLYCHAIN_PG_PORT=str(_closed_port()), SUPPLYCHAIN_PG_PASSWORD=SECRET)
    results = [run_cli(lake, folder, *args, env=env) for args in
               (("load", "--target", "postgres"), ("forecast", "--target", "postgres"))]  # fmt: skip
    run = run_cli(lake, folder, "run", "--only", "load", "--target", "postgres", env=env)
    results.append(run)
    record = json.loads(next((folder / "runs").glob("*/run.json")).read_text())
    load_step = next(s for s in record["steps"] if s["name"] == "load")
    sentences = [r for r in results if "cannot connect to PostgreSQL" in r.output and r.returncode != 0]
    return FaultOutcome(
        rows_lost=0,
        wedged=record["status"] != "failed" or load_step["attempts"] < 2 or not load_step["error"],
        raw_traceback=any(r.traceback for r in results) or len(sentences) != 3,
        secret_printed=secret_in([r.output for r in results] + files_text(folder / "runs"), SECRET),
        detail=f"run record {record['status']} after {load_step['attempts']} attempts: {load_step['error']}",
    )


def postgres_stopped(folder: Path) -> FaultOutcome:
    """Case 12 against a real server that was running and is stopped: the load fails in one sentence."""
    from foundation.testing.postgres_server import start

    lake = copy_built(folder)
    server = start(folder / "pg")
    server.stop()
    env = environment(folder, **{**server.env, "SUPPLYCHAIN_PG_PASSWORD": SECRET})
    result = run_cli(lake, folder, "load", "--target", "postgres", env=env)
    shutil.rmtree(folder / "pg", ignore_errors=True)
    return _one_clean_stop(result, "cannot connect to PostgreSQL")


def redshift_unreachable(folder: Path) -> FaultOutcome:
    """Case 12 for Redshift: `forecast` and the report reader connect with redshift_connector."""
    lake = copy_built(folder)
    env = environment(
        folder, SUPPLYCHAIN_REDSHIFT_HOST="127.0.0.1", SUPPLYCHAIN_REDSHIFT_PORT=str(_closed_port()),
        SUPPLYCHAIN_REDSHIFT_USER="planner", SUPPLYCHAIN_REDSHIFT_PASSWORD=SECRET,
    )  # fmt: skip
    result = run_cli(lake, folder, "forecast", "--target", "redshift", env=env)
    return _one_clean_stop(result, "cannot connect to Redshift")


def password_with_space(folder: Path) -> FaultOutcome:
    """Case 13 and the secrets rule: a real server requiring a password with spaces; a failing run (wrong
    password, also with spaces) and a succeeding one (load and the warehouse build on PostgreSQL). The password
    must appear in no output, log, run record or dbt artifact."""
    from foundation.testing.postgres_server import ROLE, start

    lake = copy_built(folder)
    server = start(folder / "pg")
    try:
        _require_password(server, ROLE, SECRET)
        wrong = f"{SECRET} xylophone"
        base = {**server.env}
        failing = run_cli(lake, folder, "run", "--only", "load", "--target", "postgres",
                          env=environment(folder, **{**base, "SUPPLYCHAIN_PG_PASSWORD": wrong}))  # fmt: skip
        passing = run_cli(lake, folder, "run", "--only", "load,snapshot", "--target", "postgres",
                          env=environment(folder, **{**base, "SUPPLYCHAIN_PG_PASSWORD": SECRET}))  # fmt: skip
    finally:
        server.stop()
        shutil.rmtree(folder / "pg", ignore_errors=True)
    outputs = [failing.output, passing.output]
    texts = outputs + files_text(folder / "runs", folder / "target", folder / "logs")
    return FaultOutcome(
        rows_lost=0,
        wedged=passing.returncode != 0,
        raw_traceback=failing.traceback or passing.traceback or "password authentication failed" not in failing.output,
        secret_printed=secret_in(texts, SECRET) or secret_in(texts, wrong),
        detail=f"wrong password: exit {failing.returncode} (authentication failed, said once); right password: "
        f"load and dbt snapshot exit {passing.returncode}; {len(texts)} outputs and artifacts searched",
    )


def _require_password(server, role: str, password: str) -> None:
    """The throwaway server trusts every login; make it check a password, as a real one does."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(host="127.0.0.1", port=server.port, user=role, dbname="postgres", autocommit=True) as c:
        c.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(role), sql.Literal(password)))
        hba = Path(c.execute("show hba_file").fetchone()[0])
    hba.write_text("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
    data = hba.parent
    from foundation.testing.postgres_server import _as_server_user, _bindir

    subprocess.run(_as_server_user([str(_bindir() / "pg_ctl"), "-D", str(data), "reload"]), check=True,
                   capture_output=True)  # fmt: skip


def _last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if " ERROR " in line or line.startswith("✘")]
    line = lines[-1] if lines else output.strip().splitlines()[-1] if output.strip() else ""
    return line.split(" ERROR supplychain: ", 1)[-1][:300]  # without the log line's time


CASES = [
    FaultCase("second ingest on one lake, holder killed -9", "process", second_run_on_one_lake),
    FaultCase("crash between the two renames of a publish", "process", crash_between_renames),
    FaultCase("retired folder left by the old publish", "process", legacy_retired_folder),
    FaultCase("build killed -9 with the DuckDB WAL present", "process", killed_build_leaves_wal),
    FaultCase("run killed -9 twice, then resumed", "process", run_killed_twice),
    FaultCase("corrupt run.json and a killed run in the run records", "process", corrupt_and_killed_run_records),
    FaultCase("processed/ not writable", "process", unwritable_processed),
    FaultCase("warehouse folder not writable", "process", unwritable_warehouse),
    FaultCase("PostgreSQL unreachable (load, forecast, run)", "process", postgres_unreachable),
    FaultCase("PostgreSQL server stopped", "process", postgres_stopped),
    FaultCase("Redshift unreachable (forecast)", "process", redshift_unreachable),
    FaultCase("PostgreSQL password with spaces", "process", password_with_space),
]
