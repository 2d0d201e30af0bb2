"""Access on a real PostgreSQL server: built into a developer's own schema (SUPPLYCHAIN_MART_SCHEMA) beside the
default one, every mart is readable by the BI reader role (SUPPLYCHAIN_BI_READER_ROLE) after a rebuild replaced
the tables, and that role cannot write."""

from __future__ import annotations

import json
import os
from pathlib import Path
from unittest import mock

import psycopg
import pytest

from foundation.lake import Lake
from foundation.warehouse.build import WarehouseOptions, build
from foundation.warehouse.dbt_runner import target_folder
from foundation.warehouse.load_postgres import postgres_dsn

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt, pytest.mark.postgres]

SCHEMA = "analytics_bi_test"
READER = "bi_reader_test"


def _marts() -> set[str]:
    manifest = json.loads((Path(target_folder()) / "manifest.json").read_text())
    return {
        node["alias"] for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }


def test_the_reader_role_selects_every_mart_after_a_rebuild_and_cannot_write(processed_lake, postgres_server):
    with psycopg.connect(postgres_dsn(), autocommit=True) as admin:
        if not admin.execute("select 1 from pg_roles where rolname = %s", (READER,)).fetchone():
            admin.execute(f"create role {READER} login")
    env = {"SUPPLYCHAIN_MART_SCHEMA": SCHEMA, "SUPPLYCHAIN_BI_READER_ROLE": READER}
    with mock.patch.dict(os.environ, env):
        build(Lake(str(processed_lake)), WarehouseOptions(target="postgres"))
        # The rebuild drops and re-creates every table mart: the grants must come back with it.
        build(Lake(str(processed_lake)), WarehouseOptions(target="postgres"))
        marts = _marts()
    assert {"fct_sales", "fct_inventory_daily", "time_spine_daily", "weekly_sales_mv"} <= marts

    reader_dsn = postgres_dsn({**postgres_server.env, "SUPPLYCHAIN_PG_USER": READER})
    with psycopg.connect(reader_dsn, autocommit=True) as reader:
        for mart in sorted(marts):
            reader.execute(f"select count(*) from {SCHEMA}.{mart}").fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute(f"delete from {SCHEMA}.fct_sales")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute(f"create table {SCHEMA}.reader_scratch (x integer)")
        # Staging stays the warehouse's own: no grant there.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute(f"select count(*) from {SCHEMA}_staging.stg_erp__sales")


def test_with_no_reader_role_a_rebuild_leaves_grants_made_outside_dbt(processed_lake, postgres_server):
    """No role configured: the marts carry no grants config, so dbt does not revoke what a DBA granted (an empty
    `select: []` would, on every incremental merge)."""
    schema = "analytics_dba_test"
    # fct_sales and what it reads; data tests that also read an unselected model are left out.
    only_sales = ["--select", "+fct_sales", "--indirect-selection", "cautious"]
    with mock.patch.dict(os.environ, {"SUPPLYCHAIN_MART_SCHEMA": schema}):
        os.environ.pop("SUPPLYCHAIN_BI_READER_ROLE", None)
        build(Lake(str(processed_lake)), WarehouseOptions(target="postgres"), only_sales)
        with psycopg.connect(postgres_dsn(), autocommit=True) as admin:
            if not admin.execute("select 1 from pg_roles where rolname = 'dba_granted_reader'").fetchone():
                admin.execute("create role dba_granted_reader")
            admin.execute(f"grant select on {schema}.fct_sales to dba_granted_reader")
        build(Lake(str(processed_lake)), WarehouseOptions(target="postgres"), only_sales)
        with psycopg.connect(postgres_dsn()) as admin:
            kept = admin.execute(
                f"select has_table_privilege('dba_granted_reader', '{schema}.fct_sales', 'select')"
            ).fetchone()[0]
    assert kept
