"""What a Redshift run would trip on that the offline compile alone does not show: bare varchar contract columns
(varchar(256) there), a materialized view dropped by its parent's rebuild every run, and dbt-redshift's failure on
an empty materialized view. Checked on the project compiled for the redshift target with no server."""

from __future__ import annotations

import json
import re
import subprocess

import agate
import pytest
from dbt.adapters.redshift.relation_configs.materialized_view import RedshiftMaterializedViewConfig

from foundation.warehouse.contract import PROJECT_DIR
from foundation.warehouse.dbt_runner import dbt_command, dbt_environment

pytestmark = [pytest.mark.dbt]

# Everything the tests need from one compile: which DDL macro dispatch picks, the contract columns it renders, and
# the describe fallback's SQL for an empty materialized view.
INLINE = """{%- set columns = {} -%}
{%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.contract.enforced -%}
{%- do columns.update({node.name: adapter.render_raw_columns_constraints(
    raw_columns=supplychain.contract_columns(node.columns))}) -%}
{%- endfor -%}
{%- set chosen = adapter.dispatch('get_table_columns_and_constraints', 'dbt') -%}
{%- set view = api.Relation.create(database='dev', schema='analytics', identifier='weekly_inventory_mv') -%}
{%- set sales = graph.nodes.values() | selectattr('name', 'equalto', 'fct_sales') | first -%}
{%- set sales_table = api.Relation.create(database='dev', schema='analytics', identifier='fct_sales') -%}
{%- set sales_grants = redshift__normalize_grants_dict(sales.config.grants) if adapter.use_grants_extended()
    else sales.config.grants -%}
select '{{ tojson({
    'ddl_macro': chosen.macro.package_name ~ '.' ~ chosen.macro.name,
    'columns': columns,
    'empty_view_sql': supplychain.empty_materialized_view_sql(view),
    'grant_sql': get_dcl_statement_list(sales_table, sales_grants, get_grant_sql) | map('trim') | list,
    'schema_usage_sql': supplychain.reader_schema_usage_sql('analytics', 'bi_reader'),
}) | replace("'", "''") }}'"""
DESCRIBE_COLUMNS = ["database", "schema", "table", "diststyle", "sortkey1", "autorefresh"]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    target = tmp_path_factory.mktemp("redshift")
    command = dbt_command(
        ["--no-populate-cache", "--quiet", "compile", "--vars", "{offline_compile: true, bi_reader_role: bi_reader}",
         "--inline", INLINE],
        "redshift",
        target_path=str(target),
    )
    done = subprocess.run(command, env=dbt_environment(), cwd=PROJECT_DIR, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    text = done.stdout.strip()
    found = json.loads(text[text.index("'") + 1 : text.rindex("'")].replace("''", "'"))
    found["manifest"] = json.loads((target / "manifest.json").read_text())
    return found


def test_contract_text_columns_get_the_width_processed_loads_not_redshifts_256(compiled):
    assert compiled["ddl_macro"] == "supplychain.redshift__get_table_columns_and_constraints"
    rendered = [column for columns in compiled["columns"].values() for column in columns]
    bare = [c for c in rendered if re.search(r"\b(varchar|text|character varying)\b(?!\s*\()", c)]
    assert not bare, f"bare text columns would be varchar(256) on Redshift: {bare}"
    widened = [c for c in rendered if "varchar(1024)" in c]
    assert len(widened) >= 72  # the count the issue found, all through one macro
    assert "product_name varchar(1024)" in compiled["columns"]["dim_product"]


def test_no_materialized_view_sits_on_a_table_dbt_drops_with_cascade(compiled):
    nodes = {n["name"]: n for n in compiled["manifest"]["nodes"].values() if n["resource_type"] == "model"}
    for name, node in nodes.items():
        if node["config"]["materialized"] != "materialized_view":
            continue
        parents = [nodes[p.split(".")[-1]] for p in node["depends_on"]["nodes"] if p.split(".")[-1] in nodes]
        rebuilt = [p["name"] for p in parents if p["config"]["materialized"] == "table"]
        assert not rebuilt, f"{name} would be dropped with {rebuilt} on every run"
    assert nodes["weekly_inventory_mv"]["config"]["materialized"] == "table"
    assert nodes["weekly_sales_mv"]["config"]["materialized"] == "materialized_view"  # over an incremental fact


def test_a_mart_grants_select_to_the_reader_as_a_role_on_redshift(compiled):
    """Redshift reads a bare grantee as a user: the reader role's grants must say `role` (PostgreSQL's say the bare
    name, tests/warehouse/test_postgres_grants.py, where `to role x` is a syntax error)."""
    assert compiled["grant_sql"] == ['grant select on "dev"."analytics"."fct_sales" to ROLE bi_reader']
    assert compiled["schema_usage_sql"].strip() == 'grant usage on schema "analytics" to role bi_reader'


def test_an_empty_materialized_view_is_described_instead_of_failing_the_build(compiled):
    query = agate.Table([("create materialized view v backup yes as select 1 as a;",)], column_names=["definition"])
    no_columns = agate.Table([], column_names=["column", "is_dist_key", "sort_key_position"])

    def describe(row: tuple | None) -> RedshiftMaterializedViewConfig:
        view = agate.Table([row] if row else [], column_names=DESCRIBE_COLUMNS)
        results = {"materialized_view": view, "query": query, "columns": no_columns}
        return RedshiftMaterializedViewConfig.from_dict(RedshiftMaterializedViewConfig.parse_relation_results(results))

    with pytest.raises(TypeError):  # what svv_table_info's missing row did to dbt-redshift 1.11
        describe(None)
    # The fallback's columns are the ones the adapter reads, and its row describes the view.
    aliases = re.findall(r'\bas\s+"?(\w+)"?,?\s*$', compiled["empty_view_sql"], re.MULTILINE)
    assert aliases == DESCRIBE_COLUMNS
    assert "from svv_mv_info" in compiled["empty_view_sql"] and "'weekly_inventory_mv'" in compiled["empty_view_sql"]
    config = describe(("dev", "analytics", "weekly_inventory_mv", None, None, "t"))
    assert (config.mv_name.strip('"'), config.autorefresh) == ("weekly_inventory_mv", True)
