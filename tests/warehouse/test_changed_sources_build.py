"""A daily run builds only what the changed source tables feed (foundation.warehouse.selection), and leaves the same
warehouse as building everything: after a day where one fact source changed, a day of every fact source, and a day
with a master drop, every table of every schema (marts, the intermediate ledgers, snapshots, the stored test
failures) has the rows a full build of the same history gives."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import duckdb
import pytest

from foundation.lake import Lake
from foundation.settings import Settings
from foundation.stage import Resources
from foundation.warehouse.build import WarehouseOptions
from orchestration.change_check import skip_unchanged
from orchestration.local_runner import Actions, new_run_id, run_pipeline
from orchestration.pipeline import select_steps
from orchestration.run_records import new_record
from orchestration.step_actions import PipelineOptions, RunContext, run_step
from scripts.warehouse_checksum import canonical

pytestmark = pytest.mark.e2e

STEPS = ["load", "build-warehouse", "snapshot"]
RUN_DEPENDENT = ("loaded_at", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_scd_id")


def _run(lake: Path, database: Path, runs: Path, step) -> dict[str, dict]:
    steps = select_steps("local", only=STEPS)
    record = new_record(runs, new_run_id(), "local", [s.name for s in steps], None)
    resources = Resources(Settings(), Lake(str(lake)), WarehouseOptions(duckdb_path=database))
    code = run_pipeline(RunContext(resources, PipelineOptions(), record.folder), steps, record, Actions(step=step),
                        out=io.StringIO())  # fmt: skip
    assert code == 0, record.detail
    return {s.name: s.figures for s in record.steps}


def _tables(database: Path) -> dict[str, tuple[int, int]]:
    """Every base table but the processed zone's: rows and an order-free hash of them (run clocks left out)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        names = connection.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "and table_schema != 'processed' order by 1, 2"
        ).fetchall()
        found = {}
        for schema, table in names:
            columns = [c[0] for c in connection.execute(f'describe "{schema}"."{table}"').fetchall()]
            kept = ", ".join(f'"{c}"' for c in sorted(columns) if c.lower() not in RUN_DEPENDENT)
            rows = sorted("|".join(canonical(v) for v in row)
                          for row in connection.execute(f'select {kept} from "{schema}"."{table}"').fetchall())
            found[f"{schema}.{table}"] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())  # fmt: skip
    return found


def _hold_back(lake: Path, held: Path, folder: str) -> None:
    """The table's latest partition leaves the processed zone (it lands later)."""
    latest = sorted(p for p in (lake / "processed" / folder).iterdir() if p.is_dir())[-1]
    shutil.move(latest, held / folder / latest.name)


def _land(lake: Path, held: Path, folder: str) -> None:
    for partition in (held / folder).iterdir():
        shutil.move(partition, lake / "processed" / folder / partition.name)


def _master_drop(lake: Path) -> None:
    """A product moves category and price (a newer version of its master row), as a re-ingested master writes."""
    folder = lake / "processed" / "products"
    (old,) = folder.glob("*.parquet")
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select * replace (case when product_id = 'P00001' then 'Garden' else category end as category, "
            f"case when product_id = 'P00001' then unit_price + 1 else unit_price end as unit_price, "
            f"case when product_id = 'P00001' then updated_at + interval 30 day else updated_at end as updated_at) "
            f"from read_parquet('{old}')) to '{folder / 'part-00000-master-drop.snappy.parquet'}' (format parquet)"
        )
    old.unlink()


def test_a_run_builds_what_changed_sources_feed_and_leaves_the_warehouse_a_full_build_leaves(lake_copy, tmp_path):
    lakes = {"changed": lake_copy, "full": tmp_path / "full-lake"}
    shutil.copytree(lake_copy, lakes["full"])
    held = {name: tmp_path / f"held-{name}" for name in lakes}
    facts = ("sales", "shipments", "inventory")  # held back together: tests compare them with one another
    for name, lake in lakes.items():
        for folder in (*facts, "order_events"):
            (held[name] / folder).mkdir(parents=True)
            _hold_back(lake, held[name], folder)
    databases = {name: tmp_path / f"warehouse-{name}" / "warehouse.duckdb" for name in lakes}
    # The full build is main's behaviour: every dbt step builds every node it names, whatever changed.
    actions = {"changed": skip_unchanged(run_step), "full": run_step}

    def run_both() -> dict[str, dict[str, dict]]:
        return {name: _run(lakes[name], databases[name], tmp_path / f"runs-{name}", actions[name]) for name in lakes}

    # The first run: both build everything (no fingerprint yet), so one builds and the other starts from its file.
    first = _run(lakes["changed"], databases["changed"], tmp_path / "runs-changed", actions["changed"])
    databases["full"].parent.mkdir()
    shutil.copyfile(databases["changed"], databases["full"])
    everything = first["build-warehouse"]["nodes"]

    for name, folder in ((name, folder) for name in lakes for folder in facts):
        _land(lakes[name], held[name], folder)  # a day of the fact sources, without a master drop
    day = run_both()
    assert _tables(databases["changed"]) == _tables(databases["full"])
    assert day["changed"]["build-warehouse"]["nodes"] < everything
    assert day["changed"]["snapshot"].get("skipped")  # no master changed: the snapshots have nothing to take

    for name in lakes:
        _land(lakes[name], held[name], "order_events")  # one fact source alone
    day = run_both()
    assert _tables(databases["changed"]) == _tables(databases["full"])
    assert day["changed"]["build-warehouse"]["nodes"] < everything

    for lake in lakes.values():
        _master_drop(lake)
    day = run_both()
    tables = _tables(databases["changed"])
    assert tables == _tables(databases["full"])
    assert "snapshot" not in day["changed"] or not day["changed"]["snapshot"].get("skipped")
    with duckdb.connect(str(databases["changed"]), read_only=True) as connection:
        assert connection.execute("select category from analytics.dim_product where product_id = 'P00001'"
                                  ).fetchone() == ("Garden",)  # fmt: skip
