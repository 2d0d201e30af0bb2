"""Steps with nothing new to do finish at once: a daily run with no new drops costs seconds, not a full rebuild.

Each skippable step is judged by a fingerprint of what it reads (its inputs) and of what it left (its outputs),
both taken from the lake, the dbt project and the step's options; they are stored after the step succeeds, in
processed/_pipeline/step_fingerprints.json. The next run skips the step only when both are the same again, so new
drops, a changed model or macro, changed options or code, or outputs removed or replaced all make it run.

    step                    inputs                                                      outputs
    ingestion (one pass)    raw drops not yet in a bookmark / the events checkpoint    -
    source-freshness        the input feeds' processed files (clock latest_drop only)   -
    build-warehouse,        the input feeds' processed files, the dbt project          the warehouse file exists
      snapshot
    forecast                the weekly demand it reads, its options and code           processed/forecasts/
                            (forecasting.refit_check: a refit only when a week closed
                            or an input changed)
    build-forecast-marts    the input feeds and the forecasts, the dbt project         the warehouse file exists
    optimize                the input feeds and the forecasts, its options and code    processed/optimization/
    build-plan-marts        every processed table, the dbt project                     the warehouse file exists
    docs-generate           the dbt project (the schema) and the warehouse's columns   the catalog in target/

A dbt build or snapshot that does run is told which source tables changed since its last success (`_changed`: each
table's processed files, stored with its fingerprint, beside one of everything else it depends on), and builds
only what those tables feed (foundation.warehouse.selection); when that success is not comparable it is told
nothing and builds everything.

A dbt step's fingerprint describes the warehouse it built, so on a run with a working copy of the DuckDB warehouse
(orchestration.run_warehouse) it is kept beside that copy and joins the lake's state only when the run publishes the
copy (`commit_fingerprints`): a run that fails after build-warehouse and is then started afresh (not resumed) starts
from the live file again, and must build again rather than skip as if the discarded copy had been published.

Load and the planning report always run (well under a second each). Nothing is skipped with --full-refresh, on a
lake in S3, or, for the dbt steps and optimisation, on a target other than the local DuckDB file (a server's tables
can change under us). A step that fails stores nothing, so it runs again next time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from orchestration.pipeline import INPUT_SOURCES, Step

log = logging.getLogger(__name__)
STATE = "processed/_pipeline/step_fingerprints.json"
EVENTS_CHECKPOINT_SOURCES = "processed/_checkpoints/order_events/sources/0"
INPUT_FEEDS = tuple(selector.split(":", 1)[1] for selector in INPUT_SOURCES)  # erp, wms, events


def skip_unchanged(run_step: Callable) -> Callable:
    """`run_step`, skipping a step whose inputs and outputs are those of its last success."""

    def run(step: Step, context) -> dict:
        try:
            judged = _judge(step, context)
        except Exception:  # a check that cannot judge (a warehouse locked by another writer) never fails a run
            log.debug("%s: could not tell whether anything is new; running it", step.name, exc_info=True)
            judged = None
        if judged is None:
            return run_step(step, context)
        lake_root, inputs = judged
        pending = _pending(step, context)
        stored = {**_read_state(lake_root), **(_read_json(pending) if pending else {})}.get(step.name, {})
        if stored.get("inputs") == inputs and stored.get("outputs") == _outputs(step, context):
            log.info("%s: nothing new since its last success; skipped", step.name)
            return {"skipped": "nothing new", **_keep_artifacts(step, context)}
        try:
            tables = _tables(step, context)
            if tables is not None:
                base = _base(step, context)
                context = dataclasses.replace(context, changed_sources=_changed(stored, base, tables, step, context))
        except Exception:  # as for _judge: a fingerprint it cannot take never fails a run, it builds everything
            log.debug("%s: could not fingerprint its source tables; building everything", step.name, exc_info=True)
            tables = None
        figures = run_step(step, context)
        entry = {"inputs": inputs, "outputs": _outputs(step, context)}
        if tables is not None:
            entry.update(base=base, tables=tables)
        if pending:
            _write_json(pending, {**_read_json(pending), step.name: entry})
        else:
            _write_state(lake_root, step.name, entry)
        return figures

    return run


def _tables(step: Step, context) -> dict[str, str] | None:
    """A dbt build's or snapshot's view of the lake per source table (`source.table`: its processed files), so the
    next run can build only what the changed tables feed (foundation.warehouse.selection); None for other steps."""
    if not step.is_dbt or step.args[0] not in ("build", "snapshot"):
        return None
    from foundation.warehouse.contract import source_tables

    processed = Path(context.resources.lake.root) / "processed"
    return {f"{t.source}.{t.name}": _digest(_files(processed / t.processed_path)) for t in source_tables()}


def _base(step: Step, context) -> str:
    """Everything but the source tables that a dbt step's nodes are a function of: the step, the project, the
    warehouse, and the environment variables the project reads."""
    return _digest([step.action, *step.args, _warehouse_path(context), _project(), _project_environment()])


def _changed(stored: dict, base: str, tables: dict[str, str], step: Step, context) -> tuple[str, ...] | None:
    """The source tables whose files differ from those of the step's last success; None (build everything) when
    that success is not comparable: another project, step or environment, or its warehouse gone or replaced."""
    if stored.get("base") != base or stored.get("outputs") != _outputs(step, context):
        return None
    before = stored.get("tables")
    if not isinstance(before, dict):
        return None
    return tuple(sorted(name for name in {*tables, *before} if tables.get(name) != before.get(name)))


def _project_environment() -> dict[str, str | None]:
    """The environment variables dbt reads for the project on the local target (the project's env_var() calls, the
    profile's mart schema and memory limit), by value; the DuckDB path is the step's warehouse, compared as such."""
    from foundation.warehouse.dbt_runner import environment_read

    environment = environment_read("local")
    environment.pop("SUPPLYCHAIN_DUCKDB_PATH", None)
    return environment


def _pending(step: Step, context) -> Path | None:
    """Where a dbt step's fingerprint waits for the run to publish its working copy; None: straight to the lake."""
    run_warehouse = getattr(context, "run_warehouse", None)
    return run_warehouse.fingerprints if run_warehouse is not None and step.is_dbt else None


def commit_fingerprints(context) -> None:
    """After the run published its working copy (or made none): the dbt steps' fingerprints join the lake's state."""
    run_warehouse = getattr(context, "run_warehouse", None)
    if run_warehouse is None or not run_warehouse.fingerprints.exists():
        return
    state = {**_read_state(context.resources.lake.root), **_read_json(run_warehouse.fingerprints)}
    from foundation.lake import Lake

    Lake(context.resources.lake.root).write_json(STATE, state)
    run_warehouse.fingerprints.unlink()


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, value: dict) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value))
    os.replace(partial, path)  # a kill leaves the old entries or the new


def _keep_artifacts(step: Step, context) -> dict:
    """A skipped dbt step still leaves the run its project's manifest (and the docs catalog), which still hold."""
    if not step.is_dbt:
        return {}
    from foundation.warehouse.dbt_runner import target_folder

    kept, folder = [], context.artifacts / step.name
    for name in ("manifest.json", "catalog.json") if step.name == "docs-generate" else ("manifest.json",):
        if (Path(target_folder()) / name).is_file():
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(target_folder()) / name, folder / name)
            kept.append(name)
    return {"artifacts": kept}


def skip_without_new_drops(run_ingest: Callable, on_new_drops: Callable | None = None) -> Callable:
    """`run_ingest`, returning at once (no Spark session) when no source of the wave has a drop to read;
    `on_new_drops(context)` is called before ingestion that has some starts."""

    def run(steps: list[Step], context) -> dict[str, dict]:
        if has_new_drops(steps, context):
            if on_new_drops is not None:
                on_new_drops(context)
            return run_ingest(steps, context)
        log.info("%s: no new drops; skipped", ", ".join(step.name for step in steps))
        return {step.name: {"status": "no_new_files", "skipped": "no new drops"} for step in steps}

    return run


def has_new_drops(steps: list[Step], context) -> bool:
    """Has a source of the wave a drop to read? (True when it cannot tell: a raw folder missing, say, which
    ingestion itself reports in its own words.)"""
    try:
        return _has_new_drops(steps, context)
    except Exception:
        return True


def _has_new_drops(steps: list[Step], context) -> bool:
    from ingestion.batch import RunOptions, new_drops
    from ingestion.sources import BATCH_SOURCES, ORDER_EVENTS

    ingest, lake = context.options.ingest, context.resources.lake
    if ingest.full_refresh or not lake.is_local:
        return True
    options = RunOptions(ingest.run_date, ingest.full_refresh, ingest.max_quarantine_rate)
    for step in steps:
        job = step.ingestion_job
        if job == ORDER_EVENTS.entity:
            if _unread_events(lake, Path(lake.root)):
                return True
        elif job not in BATCH_SOURCES or new_drops(lake, BATCH_SOURCES[job], options):
            return True
    return False


def _unread_events(lake, root: Path) -> bool:
    """Is an event file in raw/ missing from the streaming checkpoint's list of files read?"""
    from ingestion.sources import ORDER_EVENTS

    raw = {(root / f.path).resolve() for f in lake.list_raw(ORDER_EVENTS.raw_folder, (".json",))}
    read = set()
    log_folder = root / EVENTS_CHECKPOINT_SOURCES
    for batch in log_folder.iterdir() if log_folder.is_dir() else ():
        if batch.name.startswith(".") or batch.suffix == ".crc":
            continue
        for line in batch.read_text().splitlines():
            if line.startswith("{"):
                read.add(Path(unquote(urlparse(json.loads(line)["path"]).path)).resolve())
    return bool(raw - read)


def _judge(step: Step, context) -> tuple[str, str] | None:
    """(lake root, the step's inputs fingerprint), or None when the step always runs."""
    lake, warehouse = context.resources.lake, context.resources.warehouse
    lake_root = lake.root
    if context.options.ingest.full_refresh or not lake.is_local:
        return None
    local_target = warehouse.target == "local"
    parts: list[object]
    if step.name == "source-freshness":
        if os.environ.get("SUPPLYCHAIN_FRESHNESS_CLOCK", "latest_drop") != "latest_drop":
            return None  # measured against the clock: a feed grows stale with no new data
        parts = [_zone(lake_root, INPUT_FEEDS), _project()]
    elif step.name in ("build-warehouse", "snapshot") and local_target:
        parts = [_zone(lake_root, INPUT_FEEDS), _project()]
    elif step.name == "build-forecast-marts" and local_target:
        parts = [_zone(lake_root, (*INPUT_FEEDS, "forecasts")), _project()]
    elif step.name == "build-plan-marts" and local_target:
        parts = [_zone(lake_root, None), _project()]
    elif step.name == "docs-generate" and local_target:
        parts = [_project(), _warehouse_columns(context)]
    elif step.stage == "forecast":
        from forecasting.refit_check import inputs_fingerprint

        demand = inputs_fingerprint(warehouse)
        if not demand:
            return None
        parts = [demand, _options(context.options.forecast), _code("forecasting")]
    elif step.stage == "optimize" and local_target:
        parts = [_zone(lake_root, (*INPUT_FEEDS, "forecasts")), _project(), _options(context.options.optimize),
                 _code("optimization")]  # fmt: skip
    else:
        return None
    return lake_root, _digest([step.action, *step.args, _warehouse_path(context), *parts])


def _outputs(step: Step, context) -> str:
    lake_root = context.resources.lake.root
    if step.stage == "forecast":
        return _digest(_files(Path(lake_root) / "processed" / "forecasts"))
    if step.stage == "optimize":
        return _digest(_files(Path(lake_root) / "processed" / "optimization"))
    if step.name == "docs-generate":
        from foundation.warehouse.dbt_runner import target_folder

        return _digest(_files(Path(target_folder()), ("catalog.json", "index.html")))
    if step.name == "source-freshness":
        return ""
    return _digest([_warehouse_path(context), Path(context.resources.warehouse.duckdb_path).is_file()])


def _zone(lake_root: str, sources: tuple[str, ...] | None) -> list:
    """The processed files of the source tables of these dbt sources (None: all): path, size, modified time."""
    from foundation.warehouse.contract import source_tables

    processed = Path(lake_root) / "processed"
    tables = [t for t in source_tables() if sources is None or t.source in sources]
    return [(table.name, _files(processed / table.processed_path)) for table in tables]


def _files(folder: Path, names: tuple[str, ...] | None = None) -> list:
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (names is None or path.name in names) and not path.name.startswith("."):
            stat = path.stat()
            found.append((str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns))
    return found


def _project() -> str:
    """The dbt project's files by content (a checkout that rewrites them unchanged changes nothing)."""
    from foundation.warehouse.contract import PROJECT_DIR
    from foundation.warehouse.dbt_runner import project_files

    digest = hashlib.sha256()
    for file in project_files():
        digest.update(str(file.relative_to(PROJECT_DIR)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def _code(package: str) -> str:
    from foundation.warehouse.contract import PROJECT_DIR

    digest = hashlib.sha256()
    for file in sorted((PROJECT_DIR / package).rglob("*.py")):
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _options(options) -> dict:
    """A stage's options (a dataclass): what it computes with."""
    return {k: str(v) for k, v in sorted(dataclasses.asdict(options).items())}


def _warehouse_path(context) -> str:
    """The live warehouse's path, the same whether a run's steps read it or the run's working copy of it."""
    run_warehouse = getattr(context, "run_warehouse", None)
    return str(run_warehouse.live if run_warehouse is not None else context.resources.warehouse.duckdb_path)


def _warehouse_columns(context) -> list:
    """Every relation's columns and types in the live DuckDB warehouse: what the docs catalog describes."""
    import duckdb

    path = Path(context.resources.warehouse.duckdb_path)  # the run's working copy once it has one
    if not path.is_file():
        return []
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "order by 1, 2, ordinal_position"
        ).fetchall()


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, default=str).encode()).hexdigest()


def _read_state(lake_root: str) -> dict:
    return _read_json(Path(lake_root) / STATE)  # {} when none yet or unreadable: every step runs and writes afresh


def _write_state(lake_root: str, step: str, entry: dict) -> None:
    from foundation.lake import Lake

    state = _read_state(lake_root)
    state[step] = entry
    Lake(lake_root).write_json(STATE, state)  # write-then-rename: a kill leaves the old state or the new
