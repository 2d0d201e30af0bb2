"""Window vs aggregate dedupe on the laid-out sales batch: JVM CPU per variant, alternated, one session.

Session 33's probe (BENCHMARKS.md, "Session 34: one Window operator in the dedupe"). Usage, with OUT holding
laid_sales (the laid-out batch as stage_laid_out builds it before its shuffle, with `_landing` and `_new`):
    PYTHONPATH=$PWD python benchmarks/dedupe_probe.py OUT window,aggk,maxstruct,sortonly ROUNDS
EXPLAIN=1 prints the plans instead; COMPARE=1 compares each variant's output with the window's (EXCEPT ALL).
"""

import os
import shutil
import sys
import time

from pyspark.sql import Observation, Window
from pyspark.sql import functions as F

from foundation.spark import spark_session
from ingestion.laid_out_batch import OUTPUT, QUARANTINE
from ingestion.sources import BATCH_SOURCES
from ingestion.transforms.dedupe import PROVENANCE

out, variants, rounds = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
spark = spark_session("probe-dedupe")

def _jvm_pid():
    me = str(os.getpid())
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as stat:
                    st = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if st[1] == me:
                return d
JPID = _jvm_pid()
def cpu():
    with open(f"/proc/{JPID}/stat") as stat:
        st = stat.read().rsplit(")", 1)[1].split()
    return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")

source = BATCH_SOURCES["sales"]
laid = spark.read.parquet(f"{out}/laid_sales")
partition = source.partition[0]
key, version = list(source.key), list(source.version)
group = [OUTPUT, partition, *key]

def metrics(obs):
    new = (F.col(OUTPUT) != QUARANTINE) & F.col("_new")
    return [F.count(F.when(new, 1)).alias("kept"), F.count(F.when(new & F.col("_tie"), 1)).alias("ties")]

def _window_order():
    order = [F.col(c).desc_nulls_last() for c in version] + [F.col("_landing").desc_nulls_last()]
    return Window.partitionBy(*group).orderBy(*order, F.col("source_file").desc(), F.col("source_line").desc())

def _fingerprint(frame):
    return F.xxhash64(*[c for c in frame.columns if not c.startswith("_") and c not in PROVENANCE])

def _ranked_kept(obs, one_select: bool):
    """Row number and tie over one window; `one_select` adds them in one select, else in two withColumn calls."""
    frame = laid.repartition(OUTPUT, partition)
    w, fp = _window_order(), _fingerprint(frame)
    same = F.lit(True)
    for c in version:
        same = same & F.lead(F.col(c)).over(w).eqNullSafe(F.col(c))
    tie = F.coalesce(same & (F.lead(fp).over(w) != fp), F.lit(False))
    if one_select:
        ranked = frame.select("*", F.row_number().over(w).alias("_rank"), tie.alias("_tie"))
    else:
        ranked = frame.withColumn("_rank", F.row_number().over(w)).withColumn("_tie", tie)
    kept = ranked.where((F.col(OUTPUT) == QUARANTINE) | ~F.col("_new") | (F.col("_rank") == 1))
    kept = kept.observe(obs, *metrics(obs))
    return kept.drop("_rank", "_tie", "_landing", "_new").sortWithinPartitions(OUTPUT, partition, *key)

def v_window(obs):
    """Main's ranked_versions before this probe: rank and tie in two withColumn calls (two Window operators)."""
    return _ranked_kept(obs, one_select=False)


def _aggregated(frame, k):
    """One group per key for new table rows; every other row its own group (file and line are unique)."""
    passthrough = (F.col(OUTPUT) == QUARANTINE) | ~F.col("_new")
    content = [c for c in frame.columns if not c.startswith("_") and c not in PROVENANCE]
    carried = [c for c in frame.columns if c not in group]
    ordering = F.struct(*[F.col(c) for c in version], F.col("_landing"), F.col("source_file"), F.col("source_line"))
    row = F.struct(*[F.col(c) for c in carried], F.xxhash64(*content).alias("_fp"))
    extra = [F.when(passthrough, F.col(c)).alias(f"_pt_{c}") for c in PROVENANCE]
    grouped = frame.groupBy(*group, *extra)
    if k == 1:
        top = grouped.agg(F.max_by(row, ordering).alias("_w"))
        return top.select(*group, "_w.*").withColumn("_tie", F.lit(False))
    top = grouped.agg(F.max_by(row, ordering, 2).alias("_top"))
    w, r = F.col("_top")[0], F.get(F.col("_top"), 1)
    same = F.lit(True)
    for c in version:
        same = same & r[c].eqNullSafe(w[c])
    tie = F.coalesce((F.size("_top") > 1) & same & (r["_fp"] != w["_fp"]), F.lit(False))
    return top.select(*group, w.alias("_w"), tie.alias("_tie")).select(*group, "_w.*", "_tie")

def v_agg1(obs):
    kept = _aggregated(laid.repartition(OUTPUT, partition), 1).observe(obs, *metrics(obs))
    return kept.drop("_fp", "_tie", "_landing", "_new").sortWithinPartitions(OUTPUT, partition, *key)

def v_aggk(obs):
    kept = _aggregated(laid.repartition(OUTPUT, partition), 2).observe(obs, *metrics(obs))
    return kept.drop("_fp", "_tie", "_landing", "_new").sortWithinPartitions(OUTPUT, partition, *key)

def v_maxstruct(obs):
    """Winner by max of one struct (ordering first, then the row): no top-2, no tie."""
    frame = laid.repartition(OUTPUT, partition)
    passthrough = (F.col(OUTPUT) == QUARANTINE) | ~F.col("_new")
    carried = [c for c in frame.columns if c not in group]
    s = F.struct(*[F.col(c).alias(f"_o_{c}") for c in version], F.col("_landing").alias("_o_l"),
                 F.col("source_file").alias("_o_f"), F.col("source_line").alias("_o_n"), *[F.col(c) for c in carried])
    extra = [F.when(passthrough, F.col(c)).alias(f"_pt_{c}") for c in PROVENANCE]
    top = frame.groupBy(*group, *extra).agg(F.max(s).alias("_w"))
    top = top.select(*group, *[F.col("_w")[c].alias(c) for c in carried])
    kept = top.withColumn("_tie", F.lit(False)).observe(obs, *metrics(obs))
    return kept.drop("_tie", "_landing", "_new").sortWithinPartitions(OUTPUT, partition, *key)

def v_sortonly(obs):
    return laid.repartition(OUTPUT, partition).sortWithinPartitions(OUTPUT, partition, *key).drop("_landing", "_new")

def v_window1(obs):
    """The same functions in one select (one projection of window expressions)."""
    return _ranked_kept(obs, one_select=True)

def v_windowlag(obs):
    """Offset functions only: first = no previous row; one lead of (version, fingerprint)."""
    frame = laid.repartition(OUTPUT, partition)
    w, fp = _window_order(), _fingerprint(frame)
    nxt = F.lead(F.struct(*[F.col(c) for c in version], fp.alias("_fp"))).over(w)
    same = F.lit(True)
    for c in version:
        same = same & nxt[c].eqNullSafe(F.col(c))
    tie = F.coalesce(same & (nxt["_fp"] != fp), F.lit(False))
    ranked = frame.select("*", F.lag(F.lit(1)).over(w).isNull().alias("_first"), tie.alias("_tie"))
    kept = ranked.where((F.col(OUTPUT) == QUARANTINE) | ~F.col("_new") | F.col("_first")).observe(obs, *metrics(obs))
    return kept.drop("_first", "_tie", "_landing", "_new").sortWithinPartitions(OUTPUT, partition, *key)

VARIANTS = dict(
    window=v_window, agg1=v_agg1, aggk=v_aggk, maxstruct=v_maxstruct, sortonly=v_sortonly, window1=v_window1,
    windowlag=v_windowlag,
)
if os.environ.get("EXPLAIN"):
    for name in variants:
        print("=====", name)
        VARIANTS[name](Observation(name)).explain()
    sys.exit()
for rnd in range(rounds):
    for name in variants:
        target = f"{out}/w_{name}"
        shutil.rmtree(target, ignore_errors=True)
        obs = Observation(f"{name}{rnd}")
        c0, t0 = cpu(), time.time()
        VARIANTS[name](obs).write.partitionBy(OUTPUT, partition).parquet(target, compression="snappy")
        got = obs.get if name != "sortonly" else {}
        print(f"{rnd} {name}: cpu {cpu()-c0:.2f} wall {time.time()-t0:.2f} {got}", flush=True)
if os.environ.get("COMPARE"):
    base = spark.read.parquet(f"{out}/w_window")
    for name in variants:
        if name in ("window", "sortonly"):
            continue
        other = spark.read.parquet(f"{out}/w_{name}").select(*base.columns)
        print(name, "rows", base.count(), other.count(), "window-not-other", base.exceptAll(other).count(),
              "other-not-window", other.exceptAll(base).count(), flush=True)
