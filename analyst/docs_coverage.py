"""Documentation coverage of the dbt project, read from the docs site's manifest.json and catalog.json.

Every model, source, seed, snapshot, macro and exposure of the project needs a description; so does every column,
both those declared in YAML and those the warehouse actually has (catalog.json); and every model needs a primary
key test: `unique` and `not_null` on one column, or `unique_combination_of_columns`. Each gap is one line naming
the node and what it lacks, so a failing check reads as a to-do list.
"""

from __future__ import annotations

import json
from pathlib import Path

DESCRIBED_NODES = ("model", "seed", "snapshot")


def coverage_gaps(manifest: dict, catalog: dict) -> list[str]:
    project = manifest["metadata"]["project_name"]
    gaps: list[str] = []
    for unique_id, node in sorted(manifest["nodes"].items()):
        if node["resource_type"] in DESCRIBED_NODES and node["package_name"] == project:
            gaps += _described(unique_id, node, catalog["nodes"].get(unique_id))
    for unique_id, source in sorted(manifest["sources"].items()):
        if source["package_name"] == project:
            if not source.get("source_description", "").strip():
                gaps.append(f"{unique_id}: source {source['source_name']} has no description")
            gaps += _described(unique_id, source, catalog["sources"].get(unique_id))
    gaps += _macro_gaps(manifest, project)
    for unique_id, exposure in sorted(manifest["exposures"].items()):
        if not exposure["description"].strip():
            gaps.append(f"{unique_id}: no description")
    gaps += _primary_key_gaps(manifest, project)
    return gaps


def _described(unique_id: str, node: dict, catalog_entry: dict | None) -> list[str]:
    """The node's own description, and every column's: declared in YAML or present in the relation."""
    gaps = [] if node["description"].strip() else [f"{unique_id}: no description"]
    # A built relation missing from the catalog would hide its columns from the check.
    if catalog_entry is None and node.get("config", {}).get("materialized") not in ("ephemeral", None):
        gaps.append(f"{unique_id}: not in the warehouse's catalog (build it before `dbt docs generate`)")
    described = {name.lower() for name, column in node["columns"].items() if column["description"].strip()}
    declared = {name.lower() for name in node["columns"]}
    in_warehouse = {name.lower() for name in (catalog_entry or {}).get("columns", {})}
    for column in sorted(declared | in_warehouse):
        if column not in described:
            where = "declared in YAML" if column in declared else "in the warehouse, not in YAML"
            gaps.append(f"{unique_id}: column {column} has no description ({where})")
    return gaps


def _macro_gaps(manifest: dict, project: str) -> list[str]:
    """Project macros and their declared arguments. An adapter's implementation of a dispatched macro
    (`duckdb__week_start`) is documented by the macro that dispatches to it (`week_start`)."""
    macros = {m["name"]: m for m in manifest["macros"].values() if m["package_name"] == project}
    gaps = []
    for name, macro in sorted(macros.items()):
        adapter, _, dispatched = name.partition("__")
        if dispatched and dispatched in macros and adapter:
            continue
        if not macro["description"].strip():
            gaps.append(f"{macro['unique_id']}: no description")
        for argument in macro.get("arguments", []):
            if not (argument.get("description") or "").strip():
                gaps.append(f"{macro['unique_id']}: argument {argument['name']} has no description")
    return gaps


def _primary_key_gaps(manifest: dict, project: str) -> list[str]:
    tests_by_model: dict[str, list[dict]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("test_metadata") and node.get("attached_node"):
            tests_by_model.setdefault(node["attached_node"], []).append(node)
    models = [
        unique_id
        for unique_id, node in sorted(manifest["nodes"].items())
        if node["resource_type"] == "model" and node["package_name"] == project
    ]
    return [
        f"{unique_id}: no primary-key test (unique + not_null on one column, or unique_combination_of_columns)"
        for unique_id in models
        if not _has_primary_key_test(tests_by_model.get(unique_id, []))
    ]


def _has_primary_key_test(tests: list[dict]) -> bool:
    names_by_column: dict[str, set[str]] = {}
    for test in tests:
        name = test["test_metadata"]["name"]
        if name == "unique_combination_of_columns":
            return True
        names_by_column.setdefault((test.get("column_name") or "").lower(), set()).add(name)
    return any({"unique", "not_null"} <= names for column, names in names_by_column.items() if column)


def coverage_gaps_in(site: Path) -> list[str]:
    """The gaps for a generated docs site folder (dbt's target/)."""
    manifest = json.loads((site / "manifest.json").read_text())
    catalog = json.loads((site / "catalog.json").read_text())
    return coverage_gaps(manifest, catalog)
