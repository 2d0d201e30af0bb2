"""The masters as this run will leave them, for the facts' reference checks and region fill, without waiting for
the masters' own jobs: one ingestion pass runs every source at once (a wave of masters before the facts cost a
second JVM warm-up and planning round).

The product ids a run publishes are those already published plus the new drops' good records (the latest-version
merge never drops an id); the warehouses' current state is the CDC state over the published history plus the new
good changes (deletes stay, as inactive rows). Both are computed here from the same drops, rules and merge the
masters' jobs use, then collected (or, above the id cap, checkpointed), so the masters may replace their tables while
facts still read the snapshot.

A fact publishes only once every master of this run has published (`wait_for_masters`): a master that fails its
quality gate leaves its facts unpublished, as the wave did, and the run is simply repeated.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from pyspark.sql import DataFrame, SparkSession

from foundation.lake import Lake, MissingInputError
from ingestion.batch import (
    PRODUCTS_TABLE,
    WAREHOUSES,
    RunOptions,
    new_drops,
    warehouse_changes,
)
from ingestion.io.raw_reader import read_csv_drops, read_json_drops
from ingestion.sources import PRODUCTS, WAREHOUSE_CHANGES, Source
from ingestion.transforms import rules
from ingestion.transforms.cdc import change_history, latest_changes
from ingestion.transforms.conform import regions_of_rows
from ingestion.transforms.rules import References, check_records, good_records, known_ids

MASTERS = {"products": PRODUCTS, "warehouses": WAREHOUSE_CHANGES}


class MasterFailedError(RuntimeError):
    """A fact checked against a master that then failed: the fact is not published (nothing of it is visible)."""


class MasterSnapshot:
    """Per run: each master's state after this run (built once, shared by every fact's thread) and its job's outcome.

    `running` names the masters ingested in this run; a master not in it is read as published (as the Glue jobs,
    one per source, always read it).
    """

    def __init__(self, spark: SparkSession, lake: Lake, options: RunOptions, running: set[str]):
        self._spark, self._lake, self._options = spark, lake, options
        self._running = {m for m in running if m in MASTERS}
        self._frames: dict[str, DataFrame] = {}
        self._ids: dict[str, tuple[str, ...] | None] = {}
        self._rows: dict[str, list | None] = {}  # a state's rows where they were collected
        self._locks = {master: threading.Lock() for master in MASTERS}
        self._outcomes: dict[str, Future] = {m: Future() for m in self._running}

    def references(self, source: Source) -> References | None:
        if not source.references:
            return None
        needed = sorted(set(source.references.values()))
        # The masters' states are built at once, each in a thread of its own: every fact waits for them, and each
        # build is a few small jobs that leave a core idle.
        with ThreadPoolExecutor(max_workers=len(needed)) as pool:
            masters = dict(zip(needed, pool.map(self._state_in_thread, needed), strict=True))
        ids = {master: self._ids[master] for master in masters}
        rows = self._rows.get("warehouses") if "warehouses" in masters else None
        regions = regions_of_rows(rows) if rows is not None else None
        return References(checks=dict(source.references), ids=ids, regions=regions, **masters)

    def state(self, master: str) -> DataFrame:
        """The master's ids (first column) and, for warehouses, current region, as this run will publish them."""
        with self._locks[master]:  # one build per run, whichever fact asks first; the others wait for it
            if master not in self._frames:
                # The ids are collected once for every fact: a small master's ids are an IN-set in the facts' checks.
                self._frames[master], self._ids[master], self._rows[master] = self._build(master)
            return self._frames[master]

    def _state_in_thread(self, master: str) -> DataFrame:
        self._spark.sparkContext.setJobDescription(f"ingest: the {master} master's state for the facts")
        return self.state(master)

    def settle_master(self, entity: str) -> None:
        """Pins a master's state before its job replaces the tables the state reads (a no-op for a fact)."""
        if entity in self._running:
            self.state(entity)

    def master_done(self, master: str, failure: BaseException | None) -> None:
        if master in self._outcomes and not self._outcomes[master].done():
            if failure is None:
                self._outcomes[master].set_result(None)
            else:
                self._outcomes[master].set_exception(failure)

    def wait_for_masters(self, source: Source) -> None:
        """Blocks a fact's publication until the masters it was checked against have published."""
        for master in sorted(set(source.references.values()) & self._running):
            failure = self._outcomes[master].exception()
            if failure is not None:
                raise MasterFailedError(
                    f"{source.entity}: not published, as the {master} master it is checked against failed in this "
                    f"run ({failure}); fix the {master} drop and run again"
                ) from failure

    def _build(self, master: str) -> tuple[DataFrame, tuple[str, ...] | None, list | None]:
        source = MASTERS[master]
        published = self._published(master)
        new = self._new_good_records(source) if master in self._running else None
        if published is None and new is None:
            raise MissingInputError(
                f"{self._lake.uri(PRODUCTS_TABLE if master == 'products' else WAREHOUSES.path)} does not exist and "
                f"no {master} drops have landed: the facts' reference checks need the {master} master"
            )
        if new is None:
            # No new drop: the master's job publishes nothing this run, so its table can be read as it stands; the
            # warehouses' rows are collected (one job, as its ids alone were) for the facts' region fill.
            state = published.select(*self._columns(master))
            return (state, known_ids(state), None) if master == "products" else self._materialised(state)
        if master == "products":
            ids = [frame.select("product_id") for frame in (published, new) if frame is not None]
            state = ids[0] if len(ids) == 1 else ids[0].unionByName(ids[1])
        else:
            # The current rows without current_state's join of the history with itself (its first_seen_at is not
            # read here): the drops are read and checked once, in one query, with nothing to cache.
            history = change_history(warehouse_changes(self._spark, self._lake, new), "warehouse_id")
            state = latest_changes(history, "warehouse_id")
        # Materialised now, with its lineage cut: the master's job replaces the published files this state read.
        return self._materialised(state.select(*self._columns(master)))

    def _materialised(self, state: DataFrame) -> tuple[DataFrame, tuple[str, ...] | None, list | None]:
        """The state's distinct rows computed once, its ids (as known_ids gives them) and, when collected, its rows.

        Every fact waits for this chain of small jobs, and a master's state is a few hundred rows: they are
        collected in one Spark job (no shuffle for the distinct, no checkpoint job, no second job for the ids) and
        the state is a DataFrame of those rows, made on the driver. One partition, so the limit that bounds the
        collect takes one job (over several, Spark's limit scans one partition, then more in further jobs). A state
        above the id cap is computed again by Spark and kept as a local checkpoint, as before.
        """
        rows = state.coalesce(1).limit(rules.MAX_ID_SET + 1).collect()
        if len(rows) > rules.MAX_ID_SET:
            checkpointed = state.distinct().localCheckpoint(eager=True)
            return checkpointed, known_ids(checkpointed), None
        distinct = sorted(set(rows), key=lambda row: tuple((value is None, value or "") for value in row))
        local = self._spark.createDataFrame(distinct, state.schema)
        return local, rules.ids_of_rows(distinct, state.schema), distinct

    @staticmethod
    def _columns(master: str) -> tuple[str, ...]:
        return ("product_id",) if master == "products" else ("warehouse_id", "region")

    def _published(self, master: str) -> DataFrame | None:
        path = PRODUCTS_TABLE if master == "products" else WAREHOUSES.path
        return self._spark.read.parquet(self._lake.uri(path)) if self._lake.exists(path) else None

    def _new_good_records(self, source: Source) -> DataFrame | None:
        files = new_drops(self._lake, source, self._options)
        if not files:
            return None
        if source.format == "csv":
            records, _ = read_csv_drops(self._spark, self._lake, files, source.columns, source.required)
        else:
            records = read_json_drops(self._spark, self._lake, files, source.columns)
        return good_records(check_records(records, source.fields, None, self._options.dates))
