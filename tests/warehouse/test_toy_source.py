"""Adding a source takes one spec, one staging model and one generator entity: a toy supplier master, declared only
here, goes through ingestion, the warehouse load and the dbt build with no other code touched (no per-entity
branch in the runner, the batch job or the pipeline)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from foundation.lake import Lake
from foundation.warehouse import contract, dbt_runner
from foundation.warehouse.build import WarehouseOptions, load, run_dbt_step
from ingestion.batch import RunOptions
from ingestion.fields import Field
from ingestion.runner import ingest_all
from ingestion.sources import REGIONS, Source
from sample_data.raw_zone import RawZone

pytestmark = [pytest.mark.spark, pytest.mark.dbt]

# 1. The spec.
SUPPLIERS = Source(
    entity="suppliers",
    raw_folder="raw/suppliers",
    format="csv",
    fields=(
        Field("supplier_id", required=True),
        Field("supplier_name", required=True),
        Field("region", normalise_upper=True, allowed=REGIONS),
        Field("updated_at", "timestamp", required=True),
    ),
    key=("supplier_id",),
    version=("updated_at",),
    wave=0,
)

# 2. The staging model and its source entry (the load contract).
SOURCES_YML = """version: 2
sources:
  - name: toy
    schema: "{{ env_var('SUPPLYCHAIN_SOURCE_SCHEMA', 'processed') }}"
    tables:
      - name: suppliers
        config: {meta: {processed_path: suppliers}}
        columns:
          - {name: supplier_id, data_type: varchar}
          - {name: supplier_name, data_type: varchar}
          - {name: region, data_type: varchar}
          - {name: updated_at, data_type: timestamp}
          - {name: source_file, data_type: varchar}
          - {name: source_line, data_type: integer}
models:
  - name: stg_toy__suppliers
    columns:
      - name: supplier_id
        data_tests: [unique, not_null]
"""
STAGING_SQL = """with

source_suppliers as (
    select * from {{ source('toy', 'suppliers') }}
),

renamed as (
    select
        cast(supplier_id as varchar) as supplier_id,
        cast(supplier_name as varchar) as supplier_name,
        cast(region as varchar) as region_code
    from source_suppliers
)

select * from renamed
"""


# 3. The generator entity: a daily drop with a corrected re-send and one bad region.
def generate_suppliers(lake_root: Path) -> None:
    zone = RawZone(lake_root, seed=1)
    header = ["supplier_id", "supplier_name", "region", "updated_at"]
    first, second = dt.date(2024, 1, 1), dt.date(2024, 1, 2)
    zone.write_rows(zone.drop_path("suppliers", first, "csv"), header, [
        ["S1", "Acme", " north ", "2024-01-01T08:00:00"],
        ["S2", "Globex", "EAST", "2024-01-01T08:00:00"],
        ["S3", "Initech", "MARS", "2024-01-01T08:00:00"],
    ])  # fmt: skip
    correction = ["S2", "Globex Ltd", "EAST", "2024-01-02T08:00:00"]
    zone.write_rows(zone.drop_path("suppliers", second, "csv"), header, [correction])


@pytest.fixture
def toy_project(tmp_path, monkeypatch) -> Path:
    """The dbt project with only the toy source's models (the real sources' tables are not in this lake)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(contract.PROJECT_DIR / "dbt_project.yml", project)
    shutil.copytree(contract.PROJECT_DIR / "macros", project / "macros")
    staging = project / "models" / "staging" / "toy"
    staging.mkdir(parents=True)
    shutil.copy(contract.PROJECT_DIR / "models" / "_groups.yml", project / "models")  # dbt_project.yml names it
    (staging / "_toy__sources.yml").write_text(SOURCES_YML)
    (staging / "stg_toy__suppliers.sql").write_text(STAGING_SQL)
    monkeypatch.setattr(contract, "PROJECT_DIR", project)
    monkeypatch.setattr(dbt_runner, "PROJECT_DIR", project)
    monkeypatch.setenv("DBT_PROFILES_DIR", str(dbt_runner.PROFILES_DIR))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    return project


def test_a_new_source_goes_through_ingest_load_and_build_from_its_spec_alone(spark, tmp_path, toy_project):
    root = tmp_path / "lake"
    generate_suppliers(root)
    lake = Lake(str(root))

    (report,) = ingest_all(spark, lake, RunOptions(max_quarantine_rate=0.5), sources=(SUPPLIERS,))
    assert (report.entity, report.status, report.rows_read) == ("suppliers", "succeeded", 4)
    assert (report.rows_written, report.rows_quarantined) == (2, 1)  # S2's correction replaced its first version

    warehouse = WarehouseOptions(duckdb_path=tmp_path / "warehouse.duckdb")
    (checked,) = load(lake, warehouse)
    assert (checked.table.name, checked.rows) == ("suppliers", 2)
    run_dbt_step(lake, warehouse, ["build", "--select", "stg_toy__suppliers"], load_first=False)

    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        rows = connection.execute(
            "select supplier_id, supplier_name, region_code from analytics_staging.stg_toy__suppliers order by 1"
        ).fetchall()
    assert rows == [("S1", "Acme", "NORTH"), ("S2", "Globex Ltd", "EAST")]
