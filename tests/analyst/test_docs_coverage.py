"""The documentation-coverage check: what it flags on a hand-made manifest, and that the real project passes it
(every model, source, seed, snapshot, macro, exposure and column described; every model with a primary-key test),
with an overview page and lineage that runs from the sources to every exposure."""

from __future__ import annotations

import json

import pytest

from analyst.docs_coverage import coverage_gaps, coverage_gaps_in


def _node(unique_id, resource_type, description="Described.", columns=None, **extra):
    return {
        "unique_id": unique_id,
        "resource_type": resource_type,
        "package_name": "shop",
        "description": description,
        "columns": {name: {"description": text} for name, text in (columns or {}).items()},
        **extra,
    }


def _test(name, model, column=None):
    return _node(f"test.shop.{name}_{column}", "test", test_metadata={"name": name}, attached_node=model,
                 column_name=column)


def _manifest(**changes):
    manifest = {
        "metadata": {"project_name": "shop"},
        "nodes": {
            "model.shop.orders": _node("model.shop.orders", "model", columns={"order_id": "Key."}),
            "model.shop.weekly": _node("model.shop.weekly", "model", columns={"week": "Week.", "sku": "SKU."}),
            "test.shop.unique_order_id": _test("unique", "model.shop.orders", "order_id"),
            "test.shop.not_null_order_id": _test("not_null", "model.shop.orders", "order_id"),
            "test.shop.grain": _test("unique_combination_of_columns", "model.shop.weekly"),
            "seed.shop.regions": _node("seed.shop.regions", "seed", columns={"code": "Code."}),
            "snapshot.shop.products_snapshot": _node("snapshot.shop.products_snapshot", "snapshot"),
        },
        "sources": {
            "source.shop.erp.sales": _node(
                "source.shop.erp.sales", "source", columns={"qty": "Units."}, source_name="erp",
                source_description="The ERP.",
            )
        },
        "macros": {
            "macro.shop.week_start": {"unique_id": "macro.shop.week_start", "name": "week_start",
                                      "package_name": "shop", "description": "Monday of the week.",
                                      "arguments": [{"name": "day", "description": "A date."}]},
            "macro.shop.duckdb__week_start": {"unique_id": "macro.shop.duckdb__week_start",
                                              "name": "duckdb__week_start", "package_name": "shop",
                                              "description": "", "arguments": []},
            "macro.dbt.run_query": {"unique_id": "macro.dbt.run_query", "name": "run_query", "package_name": "dbt",
                                    "description": "", "arguments": []},
        },
        "exposures": {"exposure.shop.dashboard": {"description": "The dashboard."}},
    }
    for path, value in changes.items():
        *parents, key = path.split("/")
        target = manifest
        for parent in parents:
            target = target[parent]
        target[key] = value
    return manifest


def _catalog(**columns_by_node):
    nodes = {
        "model.shop.orders": {"columns": {"ORDER_ID": {}}},
        "snapshot.shop.products_snapshot": {"columns": {}},
    }
    nodes.update({unique_id: {"columns": dict.fromkeys(columns)} for unique_id, columns in columns_by_node.items()})
    return {"nodes": nodes, "sources": {"source.shop.erp.sales": {"columns": {"qty": {}}}}}


def test_a_fully_documented_project_has_no_gaps():
    """Dispatch implementations (duckdb__week_start) and other packages' macros are not the project's to describe;
    catalog column names match the YAML case-insensitively."""
    assert coverage_gaps(_manifest(), _catalog()) == []


def test_every_kind_of_gap_is_named():
    manifest = _manifest(**{
        "nodes/model.shop.orders/description": " ",
        "nodes/seed.shop.regions/columns": {"code": {"description": ""}},
        "sources/source.shop.erp.sales/source_description": "",
        "macros/macro.shop.week_start/arguments": [{"name": "day", "description": None}],
        "exposures/exposure.shop.dashboard/description": "",
    })
    catalog = _catalog(**{"snapshot.shop.products_snapshot": ["dbt_valid_to"]})
    assert coverage_gaps(manifest, catalog) == [
        "model.shop.orders: no description",
        "seed.shop.regions: column code has no description (declared in YAML)",
        "snapshot.shop.products_snapshot: column dbt_valid_to has no description (in the warehouse, not in YAML)",
        "source.shop.erp.sales: source erp has no description",
        "macro.shop.week_start: argument day has no description",
        "exposure.shop.dashboard: no description",
    ]


def test_a_built_model_missing_from_the_catalog_is_named():
    """Its columns could not be checked otherwise; an ephemeral model is never in the catalog."""
    manifest = _manifest(**{
        "nodes/model.shop.weekly/config": {"materialized": "table"},
        "nodes/model.shop.orders/config": {"materialized": "ephemeral"},
    })
    catalog = _catalog()
    del catalog["nodes"]["model.shop.orders"]
    assert coverage_gaps(manifest, catalog) == [
        "model.shop.weekly: not in the warehouse's catalog (build it before `dbt docs generate`)"
    ]


def test_a_model_needs_unique_and_not_null_on_the_same_column_or_a_grain_test():
    manifest = _manifest()
    del manifest["nodes"]["test.shop.not_null_order_id"]
    del manifest["nodes"]["test.shop.grain"]
    manifest["nodes"]["test.shop.not_null_week"] = _test("not_null", "model.shop.weekly", "week")
    assert coverage_gaps(manifest, _catalog()) == [
        f"model.shop.{name}: no primary-key test (unique + not_null on one column, or unique_combination_of_columns)"
        for name in ("orders", "weekly")
    ]


@pytest.mark.spark
@pytest.mark.e2e
@pytest.mark.dbt
def test_the_project_is_fully_documented_and_tested(docs_site):
    gaps = coverage_gaps_in(docs_site)
    assert not gaps, f"{len(gaps)} documentation gaps:\n" + "\n".join(gaps)


@pytest.mark.spark
@pytest.mark.e2e
@pytest.mark.dbt
def test_the_overview_explains_the_flow_the_schema_and_trust(docs_site):
    manifest = json.loads((docs_site / "manifest.json").read_text())
    overview = next(d["block_contents"] for d in manifest["docs"].values() if d["name"] == "__overview__"
                    and d["package_name"] == "supplychain")
    for heading in ("## How data flows", "## The star schema", "## How to trust the numbers", "## Who reads what"):
        assert heading in overview
    for term in ("raw/", "processed/", "fct_demand_forecast", "fct_transfer_plan", "forecast_accuracy", "baselines"):
        assert term in overview


@pytest.mark.spark
@pytest.mark.e2e
@pytest.mark.dbt
def test_lineage_runs_from_the_sources_to_every_exposure(docs_site):
    manifest = json.loads((docs_site / "manifest.json").read_text())
    parents = manifest["parent_map"]
    exposures = {e["name"]: unique_id for unique_id, e in manifest["exposures"].items()}
    assert set(exposures) >= {
        "supply_planning_dashboard",
        "demand_forecasting",
        "inventory_optimization",
        "stock_reallocation_plan",
    }
    for name, unique_id in exposures.items():
        ancestors, frontier = set(), list(parents[unique_id])
        while frontier:
            node = frontier.pop()
            if node not in ancestors:
                ancestors.add(node)
                frontier.extend(parents.get(node, []))
        assert any(a.startswith("model.") for a in parents[unique_id]), f"{name} depends on no model"
        assert any(a.startswith("source.supplychain.") for a in ancestors), f"{name} does not reach a source"
