"""Ingestion in one pass (every source at once, facts checked against the masters' state after this run) publishes
exactly what the Glue jobs publish wave by wave, and a master that fails keeps the facts checked against it out."""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
from pathlib import Path

import pytest

from foundation.lake import Lake
from ingestion.batch import RunOptions, bookmark_path, warehouse_changes
from ingestion.masters import MASTERS, MasterSnapshot
from ingestion.quality import QualityGateError
from ingestion.runner import ingest_all, ingest_entity
from ingestion.sources import BATCH_SOURCES, WAVES
from ingestion.transforms import rules
from ingestion.transforms.cdc import change_history, current_state
from sample_data.generate import generate
from tests.ingestion.test_end_to_end import SMALL, snapshot

pytestmark = [pytest.mark.spark, pytest.mark.e2e]
TINY = dataclasses.replace(SMALL, sales_rows=3000)
FIGURES = ("status", "rows_read", "rows_written", "rows_deduplicated", "rows_quarantined", "quarantined_by_rule")


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    generate(root, TINY)
    return root / "raw"


def lake_with(raw: Path, root: Path) -> Lake:
    shutil.copytree(raw, root / "raw")
    return Lake(str(root))


def figures(report) -> dict:
    return {name: getattr(report, name) for name in FIGURES}


def test_one_pass_publishes_what_the_waves_publish(spark, raw, tmp_path):
    one_pass = lake_with(raw, tmp_path / "one_pass")
    passed = {r.entity: figures(r) for r in ingest_all(spark, one_pass, RunOptions())}
    by_wave = lake_with(raw, tmp_path / "by_wave")
    # The Glue way: one job per source, a wave's masters published before the facts read them.
    waved = {e: figures(ingest_entity(spark, by_wave, e, RunOptions())) for wave in WAVES for e in wave}
    assert passed == waved
    assert sum(r["quarantined_by_rule"].get("unknown_product", 0) for r in passed.values()) > 0
    assert snapshot(tmp_path / "one_pass") == snapshot(tmp_path / "by_wave")


def test_a_failed_master_keeps_its_facts_unpublished(spark, raw, tmp_path):
    lake = lake_with(raw, tmp_path)
    drop = sorted((tmp_path / "raw" / "product_master").rglob("*.jsonl"))[0]
    bad = [{"product_id": f"P-BAD-{i}", "product_name": "x", "category": "x", "unit_price": "1",
            "status": "ON HOLD", "updated_at": "2024-01-01T00:00:00"} for i in range(200)]  # fmt: skip
    with drop.open("a") as out:
        out.writelines(json.dumps(row) + "\n" for row in bad)
    with pytest.raises(QualityGateError, match=r"products: .* above the 5.0% threshold"):
        ingest_all(spark, lake, RunOptions())
    processed = tmp_path / "processed"
    for fact in ("sales", "inventory"):  # checked against products: nothing of them is visible
        assert not (processed / fact).exists()
        assert not (processed / "_quarantine" / fact).exists()
        assert not lake.exists(bookmark_path(fact))
        assert not (processed / "_reports" / fact).exists()
    assert not (processed / "products").exists()
    # Sources checked against the warehouses only did not depend on products: they published.
    for source in ("warehouses", "shipments", "transfer_lanes"):
        assert (processed / source).exists()
    # Fixed drop, same run again: the facts land.
    drop.write_text("".join(line for line in drop.read_text().splitlines(True) if "P-BAD-" not in line))
    assert {r.status for r in ingest_all(spark, lake, RunOptions())} <= {"succeeded", "no_new_files"}
    assert (processed / "sales").exists() and (processed / "inventory").exists()


def test_the_masters_states_are_built_at_once_with_their_ids_collected_once(spark, raw, tmp_path, monkeypatch):
    """A fact's masters are built in a thread each (both builds under way before either ends); each master's ids are
    collected once per run, as sorted distinct text, or None above the cap (the facts then join)."""
    lake = lake_with(raw, tmp_path)
    snapshot_ = MasterSnapshot(spark, lake, RunOptions(), {"products", "warehouses", "inventory"})
    both_started = threading.Barrier(2, timeout=60)
    build = MasterSnapshot._build

    def build_when_both_started(self, master):
        both_started.wait()  # on main, one master after the other: the barrier times out
        return build(self, master)

    monkeypatch.setattr(MasterSnapshot, "_build", build_when_both_started)
    refs = snapshot_.references(BATCH_SOURCES["inventory"])
    for master in ("products", "warehouses"):
        assert refs.ids[master] == tuple(sorted({r[0] for r in getattr(refs, master).collect()}))
    assert snapshot_.references(BATCH_SOURCES["sales"]).ids == refs.ids  # built once: no second barrier
    monkeypatch.setattr(MasterSnapshot, "_build", build)
    monkeypatch.setattr(rules, "MAX_ID_SET", 5)
    capped = MasterSnapshot(spark, lake, RunOptions(), {"products", "warehouses"}).references(
        BATCH_SOURCES["inventory"]
    )
    assert capped.ids["products"] is None


def state_and_its_jobs(spark, snapshot_: MasterSnapshot, master: str, label: str):
    """A master's state and how many Spark jobs building it took (counted by a job group of its own)."""
    context, group = spark.sparkContext, f"{master}-state-{label}"
    context.setJobGroup(group, f"the {master} master's state")
    try:
        state = snapshot_.state(master)
    finally:
        context.setJobGroup(None, None)  # type: ignore[arg-type]
    return state, len(context.statusTracker().getJobIdsForGroup(group))


def test_a_masters_state_is_one_spark_job_when_it_needs_no_shuffle(spark, raw, tmp_path):
    """Every fact waits for the masters' states: the products state (its drops' good ids) is collected in one job,
    where a distinct's shuffle, a local checkpoint and a second collect for the ids took three; the facts get the
    same distinct rows and ids."""
    lake = lake_with(raw, tmp_path)
    snapshot_ = MasterSnapshot(spark, lake, RunOptions(), {"products", "warehouses", "inventory"})
    state, jobs = state_and_its_jobs(spark, snapshot_, "products", tmp_path.name)
    assert jobs == 1  # main: 3
    ids = [row.product_id for row in state.collect()]
    assert len(ids) == len(set(ids)) > 0 and None not in ids
    assert snapshot_.references(BATCH_SOURCES["inventory"]).ids["products"] == tuple(sorted(ids))


def test_the_warehouses_state_reads_its_drops_in_one_query_without_a_join(spark, raw, tmp_path, monkeypatch):
    """The facts read a warehouse's id and current region only: the state takes each key's latest change
    (cdc.latest_changes), not current_state, whose join of the history with itself (for first_seen_at) read and
    checked the drops in each branch, or, cached, spent two jobs on the cache. Same rows as current_state gives."""
    lake = lake_with(raw, tmp_path)
    snapshot_ = MasterSnapshot(spark, lake, RunOptions(), {"products", "warehouses", "inventory"})
    materialised, plans = MasterSnapshot._materialised, []

    def planned(self, state):
        plans.append(state._jdf.queryExecution().optimizedPlan().toString())
        return materialised(self, state)

    monkeypatch.setattr(MasterSnapshot, "_materialised", planned)
    # By id, not by count: the context keeps its persisted RDDs by weak reference, so one an earlier test left
    # may be collected meanwhile (the count then fell, 5 to 3, in a CI run).
    persisted = set(spark.sparkContext._jsc.getPersistentRDDs().keys())
    state, jobs = state_and_its_jobs(spark, snapshot_, "warehouses", tmp_path.name)
    assert "Join" not in plans[0] and "InMemoryRelation" not in plans[0]  # main: a join over a cached batch
    assert jobs <= 4  # main: 8
    assert not set(spark.sparkContext._jsc.getPersistentRDDs().keys()) - persisted  # the state cached nothing
    new = snapshot_._new_good_records(MASTERS["warehouses"])
    history = change_history(warehouse_changes(spark, lake, new), "warehouse_id")
    expected = current_state(history.drop("_from_batch"), "warehouse_id").select("warehouse_id", "region")
    assert sorted(state.collect()) == sorted(set(expected.collect()))
    assert state.count() == len(snapshot_.references(BATCH_SOURCES["inventory"]).ids["warehouses"]) > 0


def test_the_facts_get_the_warehouses_regions_collected_with_the_state(spark, raw, tmp_path):
    """A fact that fills regions reads them from the state's collected rows: no broadcast job of its own, which
    waited for a core behind the other sources' long tasks before the fact's read could start. With a new drop
    (the state from the drops) and without one (the published table)."""
    lake = lake_with(raw, tmp_path)
    for running in ({"products", "warehouses", "sales"}, {"products", "sales"}):
        if running == {"products", "sales"}:
            ingest_entity(spark, lake, "warehouses", RunOptions())  # published: no new warehouses drop this time
        snapshot_ = MasterSnapshot(spark, lake, RunOptions(), running)
        refs = snapshot_.references(BATCH_SOURCES["sales"])
        expected = {row.warehouse_id: row.region for row in refs.warehouses.collect()}
        assert refs.regions == expected and len(expected) > 0  # main: no regions, a broadcast join per fact
