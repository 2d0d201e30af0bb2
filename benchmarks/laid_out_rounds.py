"""One fact's read, check, dedupe and staged write, repeated in one warm session: the driver JVM's CPU per round.

    PYTHONPATH=CODE .venv/bin/python benchmarks/laid_out_rounds.py LAKE ENTITY [ROUNDS]

LAKE is a lake an ingest has run on (its raw drops and published masters); its ENTITY tables are removed first, so
every partition is new, as on a first run. The script runs `supplychain ingest` for ENTITY alone (a full refresh,
the masters' state read from the lake) and, where the ingest stages the laid-out batch
(ingestion/laid_out_batch.py), stages it ROUNDS times, timing each, then stops before anything is published.
Round 0 pays the JIT's warm-up; later rounds compare code. Runs of one code move 1-2 CPU-s between processes (the
JIT's choices), so alternate processes of the codes compared and compare several (BENCHMARKS.md, session 42).
"""

from __future__ import annotations

import os
import sys
import time

from jvm_thread_cpu import driver_jvm, thread_figures

import ingestion.batch as batch_module
from foundation.lake import Lake
from foundation.settings import Settings
from foundation.spark import spark_session
from ingestion.batch import RunOptions
from ingestion.laid_out_batch import laid_out, output_tables
from ingestion.replay import quarantine_table
from ingestion.runner import ingest_all
from ingestion.sources import SOURCES, by_entity


class RoundsDone(Exception):
    """Raised once the rounds are measured: the ingest stops before it publishes."""


def jvm_cpu(jvm: int) -> float:
    return sum(cpu for _, cpu in thread_figures(jvm).values())


def main() -> None:
    lake_root, entity = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    stage = batch_module.stage_laid_out

    def measured(spark, lake, checked, source, *args):
        jvm = driver_jvm(os.getpid())
        for number in range(rounds):
            cpu, began = jvm_cpu(jvm), time.perf_counter()
            staged = stage(spark, lake, checked, source, *args)
            print(f"round {number} {entity}: JVM CPU {jvm_cpu(jvm) - cpu:.2f} s, wall "
                  f"{time.perf_counter() - began:.2f} s, rows {staged.profile.rows}", flush=True)  # fmt: skip
            lake.delete_dir(staged.folder)
        raise RoundsDone

    source = by_entity(SOURCES).get(entity)
    if source is None or not laid_out(source):
        sys.exit(f"{entity}: not a source whose batch is laid out (a partitioned fact: sales, shipments, inventory)")
    batch_module.stage_laid_out = measured
    lake = Lake(lake_root)
    for table in (*output_tables(source).values(), quarantine_table(entity).path):
        lake.delete_dir(table)
    settings = Settings.from_env()
    refresh = RunOptions(settings.run_date, True, settings.max_quarantine_rate)
    spark = spark_session("laid-out-rounds")
    try:
        ingest_all(spark, lake, refresh, [entity])
    except RoundsDone:
        return
    sys.exit(f"{entity} staged no batch: no drops to read under {lake_root}/{source.raw_folder}")


if __name__ == "__main__":
    main()
