"""Where a fact's read/parse/rules stage spends its CPU: JVM CPU per variant, alternated, in one Spark session.

Each variant is one frame of the stage that `supplychain ingest` runs before its shuffle (ingestion/batch.py,
ingestion/laid_out_batch.py), written to Spark's `noop` sink so only computing it costs; `bare` is the bare job's
read-and-cast (benchmarks/pipeline_benchmark.py). The JVM's CPU (utime + stime from /proc) is read around each run.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/parse_probe.py LAKE ENTITY VARIANTS ROUNDS
    # LAKE: raw/ drops and processed/ masters (a lake `supplychain ingest` ran on); VARIANTS: comma-separated, of
    # bare, lines, parsed, checked, laid (the frame stage_laid_out shuffles), and laid without one piece:
    # laid-landing (no landing rank), laid-profile (no observed profile), laid-region (no region fill)
"""

from __future__ import annotations

import os
import sys
import time
import uuid

from pyspark.sql import Observation
from pyspark.sql import functions as F

from foundation.lake import Lake
from foundation.settings import Settings, plausible_dates
from foundation.spark import spark_session
from ingestion.laid_out_batch import OUTPUT, QUARANTINE, RETURNS, TABLE
from ingestion.sources import BATCH_SOURCES
from ingestion.transforms.rules import DateBounds, References


def load_code(folder: str | None) -> dict:
    """The functions the variants use, from this checkout or (folder) another code's `ingestion` package: with
    OTHER_CODE=DIR, variants named `other:NAME` run that code in the same session (its modules are imported apart)."""
    names = {
        "ingestion.checked_batch": ["profile_metrics"],
        "ingestion.file_lookup": ["by_file"],
        "ingestion.io.raw_reader": ["read_csv_drops", "read_heads", "read_lines"],
        "ingestion.laid_out_batch": ["_packed_entry"],
        "ingestion.transforms.conform": ["fill_region_from_warehouse"],
        "ingestion.transforms.rules": ["check_records", "quarantine_month", "typed"],
    }
    saved = {k: v for k, v in sys.modules.items() if k == "ingestion" or k.startswith("ingestion.")}
    if folder:
        for k in saved:
            del sys.modules[k]
        sys.path.insert(0, folder)
    try:
        import importlib

        code = {n: getattr(importlib.import_module(m), n) for m, ns in names.items() for n in ns}
        # Each code's own sources (their partition expressions) and its profile as its ingest observes it.
        code["source_of"] = importlib.import_module("ingestion.sources").BATCH_SOURCES.__getitem__
        code["lean_profile"] = hasattr(importlib.import_module("ingestion.checked_batch"), "PARTITION_SETS")
    finally:
        if folder:
            sys.path.remove(folder)
            for k in [k for k in sys.modules if k == "ingestion" or k.startswith("ingestion.")]:
                del sys.modules[k]
            sys.modules.update(saved)
    return code


def jvm_pid() -> str:
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            with open(f"/proc/{entry}/cmdline") as command:
                if fields[1] == me and "java" in command.read():
                    return entry
    raise SystemExit("no JVM child found")


def jvm_cpu(pid: str) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    root, entity, names, rounds = sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
    spark = spark_session("parse-probe")
    pid = jvm_pid()
    lake = Lake(root)
    source = BATCH_SOURCES[entity]
    files = lake.list_raw(source.raw_folder, source.suffixes)
    masters = {m: spark.read.parquet(lake.uri(p)) for m, p in (("products", "processed/products"),
                                                               ("warehouses", "processed/warehouses"))}
    references = References(checks=dict(source.references), **{m: masters[m] for m in set(source.references.values())})
    dates = DateBounds(*plausible_dates(Settings.from_env()))

    codes = {"": load_code(None)}
    if os.environ.get("OTHER_CODE"):
        codes["other:"] = load_code(os.environ["OTHER_CODE"])
    variants = {}
    for prefix, code in codes.items():
        variants.update({prefix + k: v for k, v in variants_of(code, spark, lake, source, files, masters,
                                                                references, dates).items()})
    run(variants, names, rounds, entity, pid)


def variants_of(code, spark, lake, source, files, masters, references, dates):
    source = code["source_of"](source.entity)
    read_csv_drops, read_heads, read_lines = code["read_csv_drops"], code["read_heads"], code["read_lines"]
    check_records, profile_metrics, by_file = code["check_records"], code["profile_metrics"], code["by_file"]
    fill_region_from_warehouse, _packed_entry = code["fill_region_from_warehouse"], code["_packed_entry"]
    quarantine_month, typed_value = code["quarantine_month"], code["typed"]
    paths = [f.path for f in files]
    landing = {path: i for i, path in enumerate(paths)}

    def bare():
        frame = spark.read.option("header", True).csv([lake.uri(p) for p in paths])
        return frame.select(*[F.expr(f"try_cast(`{f.name}` as {f.type})").alias(f.name) for f in source.fields])

    def bare_text():
        return spark.read.option("header", True).csv([lake.uri(p) for p in paths])

    def typed():
        frame = parsed()
        trimmed = [F.nullif(F.trim(F.col(f.name)), F.lit("")).alias(f.name) for f in source.fields]
        frame = frame.select("source_file", "source_line", "raw_record", "is_malformed", *trimmed)
        return frame.select("source_file", "source_line", *[typed_value(f.name, f.type).alias(f.name)
                                                             for f in source.fields])

    def staged(profile=False):
        frame = checked().withColumn(source.partition[0], F.expr(source.partition[1]))
        frame = frame.withColumn("raw_record", F.when(F.col("quarantine_rule").isNotNull(), F.col("raw_record")))
        if profile:
            frame = frame.observe(Observation(uuid.uuid4().hex), *profile_metrics(source, paths))
        return frame

    def observed(which):
        """staged, observed with the profile's metrics whose names start with one of `which`."""
        def name(metric):
            return str(metric).rsplit(" AS ", 1)[-1].strip("`'>\"")

        metrics = [m for m in profile_metrics(source, paths) if any(name(m).startswith(w) for w in which)]
        return staged().observe(Observation(uuid.uuid4().hex), *metrics)

    def parsed():
        return read_csv_drops(spark, lake, files, source.columns, source.required)[0]

    def checked():
        return check_records(parsed(), source.fields, references, dates)

    def laid(landing_rank=True, profile=True, region=True):
        frame = checked().withColumn(source.partition[0], F.expr(source.partition[1]))
        frame = frame.withColumn("raw_record", F.when(F.col("quarantine_rule").isNotNull(), F.col("raw_record")))
        if profile:
            # A first ingest replays nothing: a code with the lean profile then observes no replayed flag and takes
            # the partition sets from the written folders (ingestion/laid_out_batch.py).
            args = (None, False) if code["lean_profile"] else (paths,)
            frame = frame.observe(Observation(uuid.uuid4().hex), *profile_metrics(source, *args))
        if region and source.fill_region:
            frame = fill_region_from_warehouse(frame, masters["warehouses"])
        good = F.col("quarantine_rule").isNull()
        output = F.when(~good, F.lit(QUARANTINE))
        if source.signed:
            output = output.when(F.col(source.signed) < 0, F.lit(RETURNS)).when(F.col(source.signed) >= 0, F.lit(TABLE))
        else:
            output = output.otherwise(F.lit(TABLE))
        partition = source.partition[0]
        columns = [c for c in frame.columns if c not in ("quarantine_rule", "quarantine_error", "raw_record",
                                                         "quarantine_rule_number", partition)]
        frame = frame.select(
            *[F.when(good, F.col(c)).otherwise(_packed_entry()).alias(c) if c == "source_file" else c for c in columns],
            F.when(good, F.col(partition)).otherwise(quarantine_month(F.col("source_file"))).alias(partition),
            output.alias(OUTPUT),
        ).where(F.col(OUTPUT).isNotNull())
        if landing_rank:
            frame = frame.withColumn("_landing", by_file(landing, "int"))
        return frame.withColumn("_new", F.lit(True))

    def lines():
        quote_free = {p for p, head in read_heads(lake, files).items() if head.quote_free}
        return read_lines(spark, lake, files, csv_records=True, quote_free=quote_free)

    return {
        "bare": bare,
        "bare-text": bare_text,
        "typed": typed,
        "checked-noref": lambda: check_records(parsed(), source.fields, None, dates),
        "staged": staged,
        "staged-profile": lambda: staged(True),
        "obs-rows": lambda: observed(["rows"]),
        "obs-rules": lambda: observed(["rows", "good", "rule_"]),
        "obs-nulls": lambda: observed(["rows", "null_"]),
        "obs-sets": lambda: observed(["rows", "partitions", "returns_partitions", "quarantine_months"]),
        "obs-replayed": lambda: observed(["rows", "returns", "replayed", "released"]),
        "laid-region": lambda: laid(region=False),
        "lines": lines,
        "parsed": parsed,
        "checked": checked,
        "laid": laid,
        "laid-landing": lambda: laid(landing_rank=False),
        "laid-profile": lambda: laid(profile=False),
    }


def run(variants, names, rounds, entity, pid):
    if os.environ.get("EXPLAIN"):
        for name in names:
            print("=====", name)
            variants[name]().explain()
        return
    # One warm-up of each, then the rounds alternated.
    totals = {name: [] for name in names}
    for round_number in range(rounds + 1):
        for name in names:
            frame = variants[name]()
            before, began = jvm_cpu(pid), time.perf_counter()
            frame.write.format("noop").mode("overwrite").save()
            cpu, wall = jvm_cpu(pid) - before, time.perf_counter() - began
            if round_number:
                totals[name].append(cpu)
            print(f"round {round_number} {name}: JVM CPU {cpu:.1f} s, wall {wall:.1f} s", flush=True)
    for name, cpus in totals.items():
        listed = ", ".join(f"{c:.1f}" for c in cpus)
        print(f"{entity} {name}: JVM CPU mean {sum(cpus) / len(cpus):.2f} s over {len(cpus)} ({listed})")


if __name__ == "__main__":
    main()
