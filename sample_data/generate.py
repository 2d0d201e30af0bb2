"""`supplychain generate`: writes a deterministic, realistic ERP and event feed into the raw zone of a lake."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from sample_data.catalog import build_lanes, build_products, build_warehouses, stocking_plan
from sample_data.dirty import DirtInjector
from sample_data.masters import WAREHOUSE_COLUMNS, MasterFeed
from sample_data.options import GeneratorOptions
from sample_data.raw_zone import RawZone
from sample_data.simulate import DayRecords, ErpSimulator

log = logging.getLogger(__name__)

MANIFEST_PATH = "_generator/manifest.json"
DIRTY_ROWS_PATH = "_generator/dirty_rows.jsonl"


def run(options: GeneratorOptions, resources) -> dict:
    """The stage entry point (foundation.stage): the sample drops into the lake's raw zone (a local lake only)."""
    if not resources.lake.is_local:
        raise ValueError(f"the sample generator writes a local lake, not {resources.lake.root}: generate into a folder "
                         "and upload it (`supplychain aws upload-data`)")  # fmt: skip
    manifest = generate(Path(resources.lake.root), options)
    log.info("generated %s in %.1fs", json.dumps(manifest["rows"]), manifest["seconds"])
    return {"generated": True}


def generate(lake_root: Path, options: GeneratorOptions) -> dict:
    """Writes raw/ drops and the manifest of injected defects; returns the manifest."""
    lake_root = Path(lake_root)
    _prepare(lake_root, options.force)
    began = time.perf_counter()
    rng = np.random.default_rng(options.seed)
    products = build_products(rng, options.products, options.start, options.end)
    warehouses = build_warehouses(rng, options.warehouses, options.start, options.end)
    plan = stocking_plan(rng, products, warehouses)
    customers = max(200, options.sales_rows // 60)
    event_start = options.end - dt.timedelta(days=options.event_days - 1)
    simulator = ErpSimulator(
        rng, products, warehouses, plan, options.start, options.end, options.sales_rows, customers, event_start
    )
    masters = MasterFeed(rng, products, warehouses, simulator.price, options.start)
    zone = RawZone(lake_root, options.seed)
    _write_lanes(zone, warehouses, options.start)

    dirt = {entity: DirtInjector(entity, options.dirty_rate, rng) for entity in ("sales", "shipments", "inventory")}
    totals = {"sales": 0, "shipments": 0, "inventory": 0, "products": 0, "warehouse_cdc": 0, "order_events": 0}
    special: list[dict] = []
    drift_day = options.start + (options.end - options.start) * 2 // 3
    truncate_day = options.start + (options.end - options.start) // 2
    n_days = (options.end - options.start).days + 1
    for index, day_records in enumerate(simulator.days()):
        day = day_records.day
        product_records = masters.product_records(day)
        if product_records:
            zone.write_jsonl(zone.drop_path("product_master", day, "jsonl"), product_records)
            totals["products"] += len(product_records)
        cdc_rows = masters.warehouse_changes(day)
        if cdc_rows:
            name = "LOAD00000001.csv" if day == options.start else f"{day:%Y%m%d}-131500000.csv"
            zone.write_rows(f"{zone.day_folder('warehouse_master', day)}/{name}", WAREHOUSE_COLUMNS, cdc_rows)
            totals["warehouse_cdc"] += len(cdc_rows)
        for entity, frame in (
            ("sales", day_records.sales),
            ("shipments", day_records.shipments),
            ("inventory", day_records.inventory),
        ):
            path = zone.drop_path(entity, day, "csv")
            rows = dirt[entity].apply(frame, path)
            if entity == "sales" and day == drift_day and options.dirty_rate > 0:
                rows.insert(rows.columns.get_loc("discount_pct") + 1, "promo_code", "BF-SALE")
                special.append(
                    {
                        "entity": "sales",
                        "kind": "schema_drift",
                        "file": path,
                        "line": 1,
                        "key": "promo_code",
                        "expected": "accepted:extra_column",
                    }
                )
            zone.write_csv(path, rows)
            totals[entity] += len(rows)
            if entity == "sales" and day == truncate_day and options.dirty_rate > 0 and len(rows):
                line = zone.truncate_last_record(path)
                special.append(
                    {
                        "entity": "sales",
                        "kind": "truncated_record",
                        "file": path,
                        "line": line,
                        "key": "|".join(str(v) for v in rows.iloc[-1][["order_id", "line_number"]]),
                        "expected": "quarantine:malformed_record",
                    }
                )
        if day >= event_start:
            totals["order_events"] += _write_events(zone, day_records, rng, special, options.dirty_rate > 0)
        if (index + 1) % 120 == 0 or index + 1 == n_days:
            log.info("generated %s (%d/%d days, %d sales rows so far)", day, index + 1, n_days, totals["sales"])

    dirty_rows = [entry for injector in dirt.values() for entry in injector.manifest] + special
    manifest = {
        "options": {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(options).items()},
        "rows": totals,
        "dirty_by_kind": _count_by(dirty_rows),
        "seconds": round(time.perf_counter() - began, 2),
    }
    zone.write_jsonl(DIRTY_ROWS_PATH, dirty_rows)
    (lake_root / MANIFEST_PATH).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _prepare(lake_root: Path, force: bool) -> None:
    raw = lake_root / "raw"
    if raw.exists() and any(raw.iterdir()):
        if not force:
            raise FileExistsError(f"{raw} already holds data; pass --force to replace it")
        for folder in (raw, lake_root / "_generator"):
            shutil.rmtree(folder, ignore_errors=True)
    (lake_root / "_generator").mkdir(parents=True, exist_ok=True)


def _write_lanes(zone: RawZone, warehouses, start: dt.date) -> None:
    lanes = pd.DataFrame([asdict(lane) for lane in build_lanes(warehouses)])
    zone.write_csv(f"{zone.day_folder('transfer_lanes', start)}/transfer_lanes_{start:%Y%m%d}.csv", lanes)


def _write_events(zone: RawZone, records: DayRecords, rng, special: list[dict], dirty: bool) -> int:
    """Order events as Firehose delivers them: JSON lines in hourly folders, at least once."""
    events = records.events
    if events.empty:
        return 0
    events = events.sort_values("event_at", kind="stable")
    written = 0
    for hour, chunk in events.groupby(events["event_at"].dt.floor("h"), sort=True):
        folder = f"raw/order_events/year={hour:%Y}/month={hour:%m}/day={hour:%d}/hour={hour:%H}"
        path = f"{folder}/order-events-1-{hour:%Y-%m-%d-%H}-00-00-{zone.file_id('events', hour)}.json"
        lines = [
            {
                "event_id": zone.file_id("event", row.order_id, row.event_type) + row.order_id[-8:],
                "event_type": row.event_type,
                "event_at": row.event_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "order_id": row.order_id,
                "warehouse_id": row.warehouse_id,
                "channel": row.channel,
                "customer_id": row.customer_id,
                "line_count": int(row.line_count),
                "total_qty": int(row.total_qty),
                "schema_version": 1,
            }
            for row in chunk.itertuples()
        ]
        raw_lines = []
        if dirty and rng.random() < 0.15:
            # At-least-once delivery re-sends an event; a producer crash leaves a cut-off JSON line.
            lines.append(dict(lines[0]))
            special.append(
                {
                    "entity": "order_events",
                    "kind": "duplicate_event",
                    "file": path,
                    "line": len(lines),
                    "key": lines[0]["event_id"],
                    "expected": "deduplicated",
                }
            )
        if dirty and rng.random() < 0.05:
            raw_lines.append(json.dumps(lines[-1])[:40])
            special.append(
                {
                    "entity": "order_events",
                    "kind": "malformed_json",
                    "file": path,
                    "line": len(lines) + 1,
                    "key": "",
                    "expected": "quarantine:malformed_record",
                }
            )
        zone.write_jsonl(path, lines, raw_lines)
        written += len(lines) + len(raw_lines)
    return written


def _count_by(entries: list[dict]) -> dict:
    counts: dict[str, dict[str, int]] = {}
    for entry in entries:
        counts.setdefault(entry["entity"], {}).setdefault(entry["kind"], 0)
        counts[entry["entity"]][entry["kind"]] += 1
    return counts
