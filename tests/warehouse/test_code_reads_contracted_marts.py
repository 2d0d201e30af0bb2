"""Code reads the warehouse through contracted marts only (issue 28): every dbt model the product's code names in
its SQL (or in any string it builds SQL from) is a public mart with an enforced contract, so a change to staging
breaks the dbt build, never a stage at run time. Names are checked against the manifest of `dbt parse`.

The optimiser's reads on a warehouse with no staging at all are checked in
tests/warehouse/test_duckdb_warehouse.py::test_forecasts_flow_back_into_the_warehouse."""

from __future__ import annotations

import ast
import json
import re

import pytest

from foundation.warehouse.contract import PROJECT_DIR
from foundation.warehouse.dbt_runner import project_manifest

pytestmark = [pytest.mark.dbt]

# Every package of the product's code that may query the warehouse (the ingestion jobs write the lake, not read it).
READERS = ("foundation", "forecasting", "optimization", "orchestration", "analyst", "sample_data", "supplychain")
WORD = re.compile(r"[a-z][a-z0-9_]*")
SQL_RELATION = re.compile(r"(?:^|\.|\bfrom\s+|\bjoin\s+)([a-z][a-z0-9_]*)")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    # dbt's parse in this process, in the warehouse tests' shared target folder (tests/warehouse/conftest.py): the
    # other modules' dbt invocations reuse it, where a parse of its own in a child process cost a dbt start as well.
    parsed = project_manifest(["parse"], "local")
    assert parsed is not None, "dbt parse failed"
    path = tmp_path_factory.mktemp("parse") / "manifest.json"
    parsed.write(str(path))
    return json.loads(path.read_text())


def warehouse_nodes(manifest: dict) -> dict[str, dict]:
    """Models, seeds and snapshots by name: anything code could select from."""
    kinds = {"model", "seed", "snapshot"}
    return {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] in kinds}


def is_contracted_mart(node: dict) -> bool:
    return (
        node["resource_type"] == "model" and node["config"]["contract"]["enforced"] and node.get("access") == "public"
    )


def code_strings(source: str) -> list[str]:
    """The string literals of a module, f-strings' literal parts included, docstrings left out (they describe)."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def named_nodes(source: str, names: set[str]) -> set[str]:
    """Every node a string names anywhere (a staging model in a message counts: the check errs on the strict side)."""
    return {word for text in code_strings(source) for word in WORD.findall(text.lower()) if word in names}


def queried_nodes(source: str, names: set[str]) -> set[str]:
    """The nodes the strings query: a relation after a schema (`{MART_SCHEMA}.name`) or a `from`/`join`, or a name
    alone in a string (a table name passed to a query helper); a name in a sentence is not a query."""
    found = set()
    for text in code_strings(source):
        text = text.lower()
        if text.strip() in names:
            found.add(text.strip())
        found |= {word for word in SQL_RELATION.findall(text) if word in names}
    return found


def code_reads(names: set[str], reads=named_nodes) -> dict[str, set[str]]:
    """Per module of the readers, the warehouse nodes its strings name (or query)."""
    found = {}
    for package in READERS:
        for path in sorted((PROJECT_DIR / package).rglob("*.py")) if (PROJECT_DIR / package).is_dir() else []:
            if "node_modules" in path.parts or "tests" in path.relative_to(PROJECT_DIR).parts[1:]:
                continue
            named = reads(path.read_text(), names)
            if named:
                found[str(path.relative_to(PROJECT_DIR))] = named
    return found


def test_code_reads_only_contracted_public_marts(manifest):
    nodes = warehouse_nodes(manifest)
    reads = code_reads(set(nodes))
    uncontracted = sorted(
        f"{module} reads {name} ({nodes[name]['resource_type']}, {nodes[name]['config']['materialized']}, "
        f"access {nodes[name].get('access')}, contract {nodes[name]['config']['contract']['enforced']})"
        for module, names in reads.items()
        for name in names
        if not is_contracted_mart(nodes[name])
    )
    assert not uncontracted, "\n".join(uncontracted)
    # The scan sees the reads it guards: the optimiser's, the forecast's (through foundation) and the report's.
    everything = set().union(*reads.values())
    assert {"dim_transfer_lane", "forecast_model_selection", "forecast_backtest_errors",
            "fct_backtest_forecasts", "demand_features_weekly", "fct_inventory_policy"} <= everything  # fmt: skip


# Each exposure of code, the packages behind it, and what they read through foundation.warehouse.io.read_demand.
CODE_EXPOSURES = {
    "inventory_optimization": (("optimization",), {"demand_features_weekly"}),
    "demand_forecasting": (("forecasting",), {"demand_features_weekly"}),
    "planning_report": (("analyst",), set()),
}
# A read the scan must see in each package, so the comparison is never over an empty set.
SEEN_READS = {"inventory_optimization": "dim_transfer_lane", "planning_report": "forecast_accuracy_by_lag"}


@pytest.mark.parametrize("exposure_name", sorted(CODE_EXPOSURES))
def test_what_code_reads_is_in_its_exposure(manifest, exposure_name):
    nodes = warehouse_nodes(manifest)
    packages, through_foundation = CODE_EXPOSURES[exposure_name]
    exposure = next(e for e in manifest["exposures"].values() if e["name"] == exposure_name)
    exposed = {node_id.split(".")[-1] for node_id in exposure["depends_on"]["nodes"]}
    reads = code_reads(set(nodes), queried_nodes)
    read = set().union(*(names for module, names in reads.items() if module.split("/")[0] in packages))
    assert SEEN_READS.get(exposure_name, "demand_features_weekly") in read | through_foundation
    read |= through_foundation
    # What a stage writes (processed/<its source>/, the tables its marts are built from) is not a read.
    written = {"optimization": "optimization", "forecasting": "forecasts"}
    read -= {
        source["name"]
        for source in manifest["sources"].values()
        if source["source_name"] in {written.get(package) for package in packages}
    }
    assert read <= exposed, sorted(read - exposed)
    assert all(is_contracted_mart(nodes[name]) for name in exposed)


def test_the_scan_flags_a_staging_read_and_ignores_docstrings(manifest):
    nodes = warehouse_nodes(manifest)
    source = '''
"""Reads stg_wms__transfer_lanes, in words only."""
STAGING = "analytics_staging"
LANES_SQL = f"select * from {STAGING}.stg_wms__transfer_lanes join {MART}.dim_warehouse using (warehouse_id)"
'''
    named = named_nodes(source, set(nodes))
    assert named == {"stg_wms__transfer_lanes", "dim_warehouse"}
    assert [name for name in named if not is_contracted_mart(nodes[name])] == ["stg_wms__transfer_lanes"]


def test_every_new_mart_code_reads_is_documented_and_tested(manifest):
    tested = {
        node["attached_node"].split(".")[-1]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node.get("attached_node")
    }
    for name in ("dim_transfer_lane", "forecast_model_selection", "forecast_backtest_errors", "fct_backtest_forecasts"):
        node = warehouse_nodes(manifest)[name]
        assert node["description"] and all(column["description"] for column in node["columns"].values()), name
        assert name in tested, name
