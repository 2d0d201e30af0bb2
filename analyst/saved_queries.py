"""The semantic layer's saved queries, run on any of the three warehouses: the report reads its metrics here.

MetricFlow compiles a saved query (models/marts/*/_*__semantic.yml) to SQL for the warehouse's dialect, from the
semantic manifest dbt wrote at the last parse (target/semantic_manifest.json); that SQL then runs on the caller's
own DB-API connection. No metric is written twice: the SQL is MetricFlow's, as `mf query --saved-query` or a BI
tool on the semantic layer would run it. Compiling costs a second or two, so the SQL is kept beside the manifest,
keyed on the manifest's bytes, the dialect, the schema and MetricFlow's version: a report recompiles only after
the project's semantic layer (or the schema it reads) changed.

The manifest names each table as dbt's target had it (a DuckDB file's catalog, the target's schema); the SQL here
reads `<schema>.<table>` instead, the schema every other reader uses (SUPPLYCHAIN_MART_SCHEMA), so it runs on a
copied DuckDB file and on a connection to any target built from the same project.
"""

from __future__ import annotations

import hashlib
import json
import logging
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from foundation.warehouse.io import MART_SCHEMA, query

log = logging.getLogger(__name__)
MANIFEST = "semantic_manifest.json"
SQL_CACHE = "saved_query_sql.json"
# The DB-API driver's top-level module -> MetricFlow's dialect.
DIALECTS = {"duckdb": "duckdb", "_duckdb": "duckdb", "psycopg": "postgres", "psycopg2": "postgres",
            "redshift_connector": "redshift"}  # fmt: skip


def dialect_of(connection) -> str:
    """The SQL dialect of a DB-API connection, from its driver."""
    driver = type(connection).__module__.split(".")[0]
    if driver not in DIALECTS:
        raise ValueError(f"no MetricFlow dialect for a {type(connection).__module__} connection")
    return DIALECTS[driver]


class SavedQueries:
    """The saved queries of one semantic manifest, compiled for one dialect and schema (once, then cached)."""

    def __init__(self, target_path: str | Path, dialect: str, schema: str = MART_SCHEMA):
        manifest = Path(target_path) / MANIFEST
        if not manifest.exists():
            raise FileNotFoundError(f"{manifest} is missing — run `supplychain build` (dbt writes it when it parses)")
        self._sql = _compiled(manifest, dialect, schema)

    @property
    def names(self) -> list[str]:
        return sorted(self._sql)

    def sql(self, name: str) -> str:
        if name not in self._sql:
            raise KeyError(f"no saved query {name!r} in the semantic layer (models/marts/*/_*__semantic.yml)")
        return self._sql[name]

    def read(self, connection, name: str) -> pd.DataFrame:
        """The saved query's rows, its columns named as MetricFlow names them (metric_time__week, product, ...)."""
        frame = query(connection, self.sql(name))
        frame.columns = [column.lower() for column in frame.columns]
        return frame


def _compiled(manifest: Path, dialect: str, schema: str) -> dict[str, str]:
    text = manifest.read_text(encoding="utf-8")
    key = hashlib.sha256(f"{text}|{dialect}|{schema}|{version('metricflow')}".encode()).hexdigest()
    cache = manifest.with_name(SQL_CACHE)
    if cache.exists():
        kept = json.loads(cache.read_text(encoding="utf-8"))
        if kept.get("key") == key:
            return kept["sql"]
    sql = compile_saved_queries(text, dialect, schema)
    try:
        cache.write_text(json.dumps({"key": key, "sql": sql}), encoding="utf-8")
    except OSError as failure:  # a read-only target folder: the report still runs, it compiles again next time
        log.warning("cannot keep the compiled saved queries in %s (%s)", cache, failure)
    return sql


def compile_saved_queries(manifest_json: str, dialect: str, schema: str = MART_SCHEMA) -> dict[str, str]:
    """Every saved query of a semantic manifest (its JSON) as SQL for `dialect`, reading `schema`'s tables."""
    from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
    from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
    from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

    manifest = parse_manifest_from_dbt_generated_manifest(json.dumps(_in_schema(json.loads(manifest_json), schema)))
    engine = MetricFlowEngine(semantic_manifest_lookup=SemanticManifestLookup(manifest), sql_client=_Renderer(dialect))
    compiled = {}
    for saved_query in manifest.saved_queries:
        statement = engine.explain(MetricFlowQueryRequest.create(saved_query_name=saved_query.name)).sql_statement
        if statement.bind_parameter_set.param_items:
            raise ValueError(f"saved query {saved_query.name} compiles with bind parameters: the report passes none")
        compiled[saved_query.name] = statement.without_descriptions.sql
    log.info("compiled %d saved queries for %s", len(compiled), dialect)
    return compiled


def _in_schema(manifest: dict, schema: str) -> dict:
    """The manifest with every table (semantic models and time spines) read as `<schema>.<table>`."""
    relations = [model["node_relation"] for model in manifest["semantic_models"]]
    configuration = manifest.get("project_configuration", {})
    relations += [spine["node_relation"] for spine in configuration.get("time_spines", [])]
    for relation in relations:
        if "alias" in relation:
            relation.update(schema_name=schema, database=None, relation_name=f"{schema}.{relation['alias']}")
    return manifest


class _Renderer:
    """The part of MetricFlow's SqlClient that compiling needs: the dialect and its renderer. It runs nothing (the
    caller runs the SQL on its own connection)."""

    def __init__(self, dialect: str):
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
        from metricflow.sql.render.postgres import PostgresSQLSqlPlanRenderer
        from metricflow.sql.render.redshift import RedshiftSqlPlanRenderer

        engines = {
            "duckdb": (SqlEngine.DUCKDB, DuckDbSqlPlanRenderer),
            "postgres": (SqlEngine.POSTGRES, PostgresSQLSqlPlanRenderer),
            "redshift": (SqlEngine.REDSHIFT, RedshiftSqlPlanRenderer),
        }
        if dialect not in engines:
            raise ValueError(f"unknown dialect {dialect!r}: one of {', '.join(engines)}")
        self.sql_engine_type, renderer = engines[dialect]
        self.sql_plan_renderer = renderer()

    def query(self, stmt, sql_bind_parameter_set=None):
        raise NotImplementedError("compiling only: the caller runs the SQL")

    execute = dry_run = query

    def close(self) -> None:
        pass

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"%({bind_parameter_key})s"
