"""Real ERP drops (issue 25): compressed, upper-case, rewritten, half-written, tied, semicolon-delimited drops and
a key-only DMS delete, landed in one small generated lake and ingested twice by the real CLI, as operations would:

1. land every drop (and start an SFTP-like upload that writes a line every 0.2 s, cut mid-line, for as long as the
   first ingest runs), then `supplychain ingest`;
2. finish the upload, rewrite one drop in place at the same size with a corrected quantity, land the product a
   quarantined sale was waiting for and a day of credit notes (returns), `supplychain ingest`;
3. `supplychain ingest --only sales --full-refresh`, which must come to the same rows and quarantine.

Each case judges its own probe records (ids starting FAULT-) from that one run; their drops are built here rather
than kept in the corpus, since compression, file times and the upload are part of the defect.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.faults.cases_input import DROP_DAY, cli, fresh_lake, has_raw_traceback, scratch, table, unreconciled
from tests.faults.fault_case import FaultCase, FaultOutcome

SALES_HEADER = (
    "order_id,line_number,order_date,product_id,warehouse_id,region,customer_id,channel,qty,unit_price,"
    "discount_pct,updated_at"
)
SALES_DAY = f"raw/sales/{DROP_DAY}"
WAREHOUSE_DAY = f"raw/warehouse_master/{DROP_DAY}"
EVENTS_HOUR = "raw/order_events/year=2024/month=02/day=15/hour=10"


def event(event_id: str) -> str:
    record = {"event_id": event_id, "event_type": "order_created", "event_at": "2024-02-15T10:00:00.000Z",
              "order_id": event_id, "warehouse_id": "WH001", "channel": "WEB", "customer_id": "CN000001",
              "line_count": 1, "total_qty": 3, "schema_version": 1}  # fmt: skip
    return json.dumps(record) + "\n"


def sale(order_id: str, qty: int, separator: str = ",") -> str:
    values = [order_id, "1", "2024-02-15", "P00001", "WH001", "NORTH", "CN000001", "WEB", str(qty), "9.99", "0"]
    return separator.join([*values, "2024-02-15T10:00:00Z"])


@dataclass(frozen=True)
class DropsRun:
    lake: Path
    codes: dict[str, int]
    output: str
    first_reports: dict[str, dict]  # processed/_reports/<source>/latest.json after the first ingest
    second_reports: dict[str, dict]  # ... after the second (the full refresh of sales writes the latest)

    @property
    def ok(self) -> bool:
        return all(code == 0 for code in self.codes.values())


def _write(lake: Path, relative: str, data: bytes | str, age: float = 0.0) -> str:
    path = lake / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    if age:
        os.utime(path, (time.time() - age, time.time() - age))
    return relative


def _reports(lake: Path) -> dict[str, dict]:
    folder = lake / "processed" / "_reports"
    return {p.parent.name: json.loads(p.read_text()) for p in folder.glob("*/latest.json")}


UPLOAD = [f"{SALES_HEADER}\n"] + [f"{sale(f'FAULT-HALF-{i}', i)}\n" for i in range(1, 200)]


def _upload(path: Path, stop: threading.Event) -> None:
    """Writes the drop as a slow upload does, each line in two halves (the first cut inside the order id)."""
    with open(path, "w") as handle:
        for line in UPLOAD:
            for part in (line[:12], line[12:]):
                handle.write(part)
                handle.flush()
                if not stop.is_set():
                    time.sleep(0.1)
    os.utime(path, (time.time() - 60, time.time() - 60))


@functools.cache
def drops_run() -> DropsRun:
    folder = scratch("fault-drops-")
    lake = fresh_lake(folder)
    body = "\n".join([SALES_HEADER, sale("FAULT-GZ-1", 3), sale("FAULT-GZ-2", 4)]) + "\n"
    _write(lake, f"{SALES_DAY}/sales_erp.csv.gz", gzip.compress(body.encode()))
    _write(lake, f"{SALES_DAY}/SALES_ERP.CSV", "\n".join([SALES_HEADER, sale("FAULT-UPPER", 5)]) + "\n")
    _write(lake, f"{SALES_DAY}/sales_erp.xlsx", b"PK\x03\x04 not a csv export")
    semicolon = "\n".join([SALES_HEADER.replace(",", ";"), sale("FAULT-SEMI-1", 2, ";"), sale("FAULT-SEMI-2", 7, ";")])
    _write(lake, f"{SALES_DAY}/sales_semicolon.csv", semicolon + "\n")
    # Two versions with the same key and timestamp: the file named last landed first.
    _write(lake, f"{SALES_DAY}/sales_tie_b.csv", f"{SALES_HEADER}\n{sale('FAULT-TIE', 4)}\n", age=120)
    _write(lake, f"{SALES_DAY}/sales_tie_a.csv", f"{SALES_HEADER}\n{sale('FAULT-TIE', 6)}\n", age=60)
    _write(lake, f"{SALES_DAY}/sales_rewrite.csv", f"{SALES_HEADER}\n{sale('FAULT-REWRITE', 4)}\n", age=120)
    # A sale of a product the master does not know yet: quarantined, then cured by the next products drop.
    waiting = sale("FAULT-REPLAY", 9).replace("P00001", "FAULT-PNEW")
    _write(lake, f"{SALES_DAY}/sales_new_product.csv", f"{SALES_HEADER}\n{waiting}\n", age=120)
    changes = [
        "Op,commit_ts,warehouse_id,warehouse_name,region,city,address,capacity_units,latitude,longitude,opened_date",
        "I,2024-02-15 04:00:00.000000,FAULT-WDEL,Probe DC,WEST,Nowhere,1 Road,1000,1.0,2.0,2020-01-01",
        "D,2024-02-16 04:00:00.000000,FAULT-WDEL,,,,,,,,",  # DMS without full supplemental logging
    ]
    _write(lake, f"{WAREHOUSE_DAY}/warehouses_key_only_delete.csv", "\n".join(changes) + "\n")
    # Firehose with compression on writes .gz; another producer writes .JSON; a note someone left in the zone.
    _write(lake, f"{EVENTS_HOUR}/firehose-1.json.gz", gzip.compress(event("FAULT-EV-GZ").encode()))
    _write(lake, f"{EVENTS_HOUR}/firehose-2.json.bz2", bz2.compress(event("FAULT-EV-BZ2").encode()))
    _write(lake, f"{EVENTS_HOUR}/EVENTS-3.JSON", event("FAULT-EV-UPPER"))
    _write(lake, f"{EVENTS_HOUR}/events-4.json", event("FAULT-EV-PLAIN"))
    _write(lake, f"{EVENTS_HOUR}/events-5.json", gzip.compress(event("FAULT-EV-MISNAMED").encode()))
    _write(lake, f"{EVENTS_HOUR}/README.txt", "events from the web shop, hourly\n")
    stop = threading.Event()
    upload = threading.Thread(target=_upload, args=(lake / SALES_DAY / "sales_upload.csv", stop))
    upload.start()
    time.sleep(1)
    codes, outputs = {}, []
    codes["ingest"], output = cli(lake, "ingest")
    outputs.append(f"$ supplychain ingest\n{output}")
    first = _reports(lake)
    stop.set()
    upload.join()
    _write(lake, f"{SALES_DAY}/sales_rewrite.csv", f"{SALES_HEADER}\n{sale('FAULT-REWRITE', 6)}\n")  # same size
    product = {"product_id": "FAULT-PNEW", "product_name": "Probe", "category": "Probe", "unit_price": "9.99",
               "updated_at": "2024-02-16T00:00:00Z"}  # fmt: skip
    _write(lake, "raw/product_master/year=2024/month=02/day=16/products_late.jsonl", json.dumps(product) + "\n")
    # A day of credit notes: 20 returns (negative quantities), a tenth of the second run's sales lines.
    returns = [sale(f"FAULT-RET-{i}", -i) for i in range(1, 21)]
    _write(
        lake, "raw/sales/year=2024/month=02/day=16/sales_credit_notes.csv", "\n".join([SALES_HEADER, *returns]) + "\n"
    )
    codes["ingest_again"], output = cli(lake, "ingest")
    outputs.append(f"$ supplychain ingest\n{output}")
    second = _reports(lake)
    codes["full_refresh"], output = cli(lake, "ingest", "--only", "sales", "--full-refresh")
    outputs.append(f"$ supplychain ingest --only sales --full-refresh\n{output}")
    return DropsRun(lake, codes, "\n".join(outputs), first, second)


def sales_probes(lake: Path) -> dict[str, list[int]]:
    """Probe order ids in processed/sales with their quantities (a key landed twice shows two)."""
    found: dict[str, list[int]] = {}
    for row in table(lake, "sales", ["order_id", "qty"]):
        if str(row["order_id"]).startswith("FAULT-"):
            found.setdefault(row["order_id"], []).append(row["qty"])
    return found


def outcome(run: DropsRun, wrong: list[str], detail: str) -> FaultOutcome:
    lost = len(wrong) + unreconciled(run.lake)
    summary = f"exit codes {run.codes}; {'; '.join(wrong) or 'all probes right'}; {detail}"
    return FaultOutcome(lost, not run.ok, has_raw_traceback(run.output), False, summary[:600])


def expect(found: dict[str, list[int]], wanted: dict[str, int]) -> list[str]:
    return [f"{k}: {found.get(k, 'missing')} not [{v}]" for k, v in wanted.items() if found.get(k) != [v]]


def compressed_and_upper_case(folder: Path) -> FaultOutcome:
    run = drops_run()
    wrong = expect(sales_probes(run.lake), {"FAULT-GZ-1": 3, "FAULT-GZ-2": 4, "FAULT-UPPER": 5})
    skipped = {s["file"]: s["reason"] for s in run.first_reports.get("sales", {}).get("skipped_files", [])}
    if not any(f.endswith("sales_erp.xlsx") for f in skipped):
        wrong.append("sales_erp.xlsx not listed in the report as not ingested")
    return outcome(run, wrong, f"skipped {skipped}")


def event_files(folder: Path) -> FaultOutcome:
    run = drops_run()
    landed: dict[str, int] = {}
    for row in table(run.lake, "order_events", ["event_id"]):
        if str(row["event_id"]).startswith("FAULT-EV-"):
            landed[row["event_id"]] = landed.get(row["event_id"], 0) + 1
    wanted = ["FAULT-EV-GZ", "FAULT-EV-BZ2", "FAULT-EV-UPPER", "FAULT-EV-PLAIN"]
    wrong = [f"{k} landed {landed.get(k, 0)} time(s), not once" for k in wanted if landed.get(k) != 1]
    skipped = {s["file"]: s["reason"] for s in run.first_reports.get("order_events", {}).get("skipped_files", [])}
    for name in ("README.txt", "events-5.json"):  # the second holds gzip bytes: unreadable until renamed
        if f"{EVENTS_HOUR}/{name}" not in skipped:
            wrong.append(f"{name} in the events zone not listed in the report as not ingested")
    quarantine = table(run.lake, "_quarantine/order_events", ["source_file"])
    garbage = [r for r in quarantine if r["source_file"].endswith("events-5.json")]
    wrong += [f"{len(garbage)} record(s) of compressed bytes read as text and quarantined"] if garbage else []
    return outcome(run, wrong, f"skipped {skipped}")


def rewritten_in_place(folder: Path) -> FaultOutcome:
    run = drops_run()
    wrong = expect(sales_probes(run.lake), {"FAULT-REWRITE": 6})
    rewritten = run.second_reports.get("sales", {}).get("rewritten_files", [])
    if not any(r["file"].endswith("sales_rewrite.csv") for r in rewritten):
        wrong.append("the rewrite is not stated in the report")
    return outcome(run, wrong, f"rewritten {rewritten}")


def half_written(folder: Path) -> FaultOutcome:
    run = drops_run()
    found = sales_probes(run.lake)
    wanted = {f"FAULT-HALF-{i}": i for i in range(1, 200)}
    wrong = expect(found, wanted)
    phantoms = sorted(k for k in found if k.startswith("FAULT-H") and k not in wanted)
    wrong += [f"phantom order {k}" for k in phantoms]
    upload = f"{SALES_DAY}/sales_upload.csv"
    quarantined = [r for r in table(run.lake, "_quarantine/sales", ["source_file"]) if r["source_file"] == upload]
    wrong += [f"{len(quarantined)} line(s) of the upload quarantined"] if quarantined else []
    held = [s for s in run.first_reports.get("sales", {}).get("skipped_files", []) if s["file"] == upload]
    if not held:
        wrong.append("the first run neither held the upload back nor said so")
    return outcome(run, wrong, f"first run: {held}")


def same_timestamp_versions(folder: Path) -> FaultOutcome:
    run = drops_run()
    wrong = expect(sales_probes(run.lake), {"FAULT-TIE": 6})
    ties = run.first_reports.get("sales", {}).get("version_ties", 0)
    if not ties:
        wrong.append("the tie is not reported")
    return outcome(run, wrong, f"version_ties {ties}")


def semicolon_export(folder: Path) -> FaultOutcome:
    run = drops_run()
    return outcome(run, expect(sales_probes(run.lake), {"FAULT-SEMI-1": 2, "FAULT-SEMI-2": 7}), "")


def quarantine_replay(folder: Path) -> FaultOutcome:
    run = drops_run()
    wrong = expect(sales_probes(run.lake), {"FAULT-REPLAY": 9})
    held = [r for r in table(run.lake, "_quarantine/sales", ["source_file"]) if "sales_new_product" in r["source_file"]]
    wrong += [f"{len(held)} record(s) still in quarantine too"] if held else []
    first = run.first_reports.get("sales", {}).get("quarantined_by_rule", {})
    if not first.get("unknown_product"):
        wrong.append("the first run did not quarantine the sale as unknown_product")
    replayed = run.second_reports.get("sales", {}).get("rows_released", 0)
    return outcome(run, wrong, f"first run quarantined {first}; second released {replayed}")


def returns_day(folder: Path) -> FaultOutcome:
    run = drops_run()
    returned = {
        r["order_id"]: r["qty"]
        for r in table(run.lake, "returns", ["order_id", "qty"])
        if r["order_id"].startswith("FAULT-")
    }
    wrong = [f"FAULT-RET-{i}: {returned.get(f'FAULT-RET-{i}', 'missing')} in returns, not -{i}" for i in range(1, 21)
             if returned.get(f"FAULT-RET-{i}") != -i]  # fmt: skip
    in_sales = sorted(k for k in sales_probes(run.lake) if k.startswith("FAULT-RET"))
    wrong += [f"{k} counted as a sale" for k in in_sales]
    quarantined = run.second_reports.get("sales", {}).get("quarantined_by_rule", {})
    return outcome(run, wrong, f"second run quarantined {quarantined}")


def key_only_delete(folder: Path) -> FaultOutcome:
    run = drops_run()
    rows = [
        r
        for r in table(run.lake, "warehouse_history", ["warehouse_id", "op", "region"])
        if r["warehouse_id"] == "FAULT-WDEL"
    ]
    regions = sorted((r["op"], r["region"]) for r in rows)
    wrong = [] if regions == [("D", "WEST"), ("I", "WEST")] else [f"history {regions}"]
    return outcome(run, wrong, "")


CASES = [
    FaultCase(".csv.gz and .CSV drops land; an .xlsx is reported", "input", compressed_and_upper_case),
    FaultCase("event files .json.gz, .json.bz2, .JSON land; a .txt, gzip named .json reported", "input", event_files),
    FaultCase("drop rewritten in place at the same size", "input", rewritten_in_place),
    FaultCase("drop still being written while the job lists the zone", "input", half_written),
    FaultCase("two versions with the same key and updated_at", "input", same_timestamp_versions),
    FaultCase("semicolon-delimited export", "input", semicolon_export),
    FaultCase("key-only DMS delete", "input", key_only_delete),
    FaultCase("a day of returns (negative quantities, 10% of the batch)", "input", returns_day),
    FaultCase("sale quarantined as unknown_product, product arrives later", "input", quarantine_replay),
]
