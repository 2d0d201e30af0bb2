"""Bad input in a drop: each case lands a corpus file in a small generated lake and runs the real CLI on it.

The corpus (tests/faults/corpus/input/) holds one file per defect; every record in it carries an order, product or
event id starting with FAULT-, so a case can find each of its records wherever ingestion put it: in processed/
(written) or in the quarantine under the rule it expects. Most cases share one lake and one run (ingest, a full
refresh of sales, load): Spark runs cost 15-30 s each, and every defect sits in its own file and rows, so each
rule is still judged on its own. The shared lake's root holds a space, a quote and an ampersand, so every case
(and the lake-root case, with its drop named with brackets) runs under it. The order-events gate needs a lake of
its own: its failure publishes nothing.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow.dataset as ds

from tests.faults.fault_case import FaultCase, FaultOutcome, has_raw_traceback

CORPUS = Path(__file__).parent / "corpus" / "input"
DROP_DAY = "year=2024/month=02/day=15"
# Where each corpus file lands, lake-relative.
PLACES = {
    "sales_latin1.csv": "raw/sales",
    "sales_tiny_price.csv": "raw/sales",
    "sales_implausible_dates.csv": "raw/sales",
    "shipments_bom.csv": "raw/shipments",  # not in sales: on the old code it blocked its whole source
    "sales_embedded_newline.csv": "raw/sales",
    "sales export é 2024.csv": "raw/sales",
    "products_non_finite.jsonl": "raw/product_master",
    "warehouses_non_finite.csv": "raw/warehouse_master",
}
# Small enough to ingest in seconds, large enough to have every source, several header shapes and the usual dirt.
GENERATE = ["--sales-rows", "3000", "--start", "2024-01-01", "--end", "2024-03-31", "--event-days", "2"]
GENERATE += ["--products", "20", "--warehouses", "5"]


@dataclass(frozen=True)
class Run:
    """What the CLI did on one lake: exit codes and everything it printed."""

    lake: Path
    codes: dict[str, int]
    output: str

    @property
    def ok(self) -> bool:
        return all(code == 0 for code in self.codes.values())


def cli(lake: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    environment = {**os.environ, "PYSPARK_PYTHON": sys.executable, **(env or {})}
    command = [sys.executable, "-m", "supplychain.cli", "--lake-root", str(lake), *args]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=900)
    return done.returncode, done.stdout + done.stderr


def scratch(prefix: str) -> Path:
    """A folder shared by the cases of this process, removed when it exits."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, True)
    return folder


@functools.cache
def generated_raw_zone() -> Path:
    """One generated raw zone per process; every case copies it."""
    root = scratch("fault-input-base-")
    code, output = cli(root, "generate", *GENERATE)
    if code != 0:
        raise RuntimeError(f"generating the base lake failed:\n{output}")
    return root


def fresh_lake(folder: Path, name: str = "lake") -> Path:
    lake = folder / name
    shutil.copytree(generated_raw_zone() / "raw", lake / "raw")
    return lake


def land(lake: Path, corpus_file: str, folder: str, day: str = DROP_DAY, name: str | None = None) -> str:
    relative = f"{folder}/{day}/{name or corpus_file}"
    (lake / relative).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CORPUS / corpus_file, lake / relative)
    return relative


# A lake root that URIs, globs and SQL literals each read differently: a space, a quote and an ampersand.
ODD_ROOT = "lake o'brien & co"
# Brackets, braces and # in a drop's name are glob or URI syntax to Spark: the drop must still be read as one file.
BRACKETED_DROP = f"raw/sales/{DROP_DAY}/sales [copy] {{1}} #2.csv"


@functools.cache
def shared_run() -> Run:
    """Every shared defect landed in one lake: ingest, re-ingest sales from scratch, then load the warehouse."""
    folder = scratch("fault-input-shared-")
    lake = fresh_lake(folder, ODD_ROOT)
    for name, place in PLACES.items():
        land(lake, name, place)
    # The lake-root case's probes: the spaced drop's records under other ids (one key in two drops is one row).
    spaced = (CORPUS / "sales export é 2024.csv").read_text()
    (lake / BRACKETED_DROP).write_text(spaced.replace("FAULT-SPACE-", "FAULT-BRACKET-"))
    codes, outputs = {}, []
    # The tiny masters (a dozen warehouse changes) would trip the 5% gate on one probe record each.
    for step, args in (
        ("ingest", ["ingest", "--max-quarantine-rate", "0.2"]),
        ("full_refresh", ["ingest", "--only", "sales", "--full-refresh"]),
        ("load", ["load"]),
    ):
        env = {"SUPPLYCHAIN_DUCKDB_PATH": str(folder / "warehouse.duckdb")}
        codes[step], output = cli(lake, *args, env=env)
        outputs.append(f"$ supplychain {' '.join(args)}\n{output}")
    return Run(lake, codes, "\n".join(outputs))


def reports(lake: Path) -> dict[str, dict]:
    folder = lake / "processed" / "_reports"
    if not folder.exists():
        return {}
    return {p.parent.name: json.loads(p.read_text()) for p in folder.glob("*/latest.json")}


def unreconciled(lake: Path) -> int:
    """Records no report accounts for: read - (written + deduplicated + quarantined), summed over sources."""
    return sum(
        abs(r["rows_read"] - r["rows_written"] - r["rows_deduplicated"] - r["rows_quarantined"])
        for r in reports(lake).values()
    )


def table(lake: Path, name: str, columns: list[str]) -> list[dict]:
    path = lake / "processed" / name
    if not path.exists():
        return []
    return ds.dataset(path, format="parquet", partitioning="hive").to_table(columns=columns).to_pylist()


def written(lake: Path, name: str, key: str) -> dict[str, dict]:
    """Probe records (ids starting FAULT-) in a processed table, by id."""
    rows = table(lake, name, [key, "source_file", "source_line"])
    return {r[key]: r for r in rows if str(r[key]).startswith("FAULT-")}


def quarantined(lake: Path, entity: str) -> dict[tuple[str, int], str]:
    """(source_file, source_line) -> rule, for every quarantined record of a source."""
    rows = table(lake, f"_quarantine/{entity}", ["source_file", "source_line", "rule"])
    return {(r["source_file"], r["source_line"]): r["rule"] for r in rows}


def judge(run: Run, expected: dict[str, tuple[str, int, str]], entity: str, key: str, name: str) -> FaultOutcome:
    """Compares where each probe record went with where it must go: (file, line, "written" or a rule).

    A probe record anywhere else (missing, written when it must be quarantined, quarantined under another rule,
    or with its file or line misspelled) counts as lost: that is how silent corruption shows.
    """
    landed = written(run.lake, name, key)
    rejected = quarantined(run.lake, entity)
    lost, seen = 0, []
    for probe, (file, line, outcome) in expected.items():
        if outcome == "written":
            row = landed.get(probe)
            ok = row is not None and (row["source_file"], row["source_line"]) == (file, line)
            got = "missing" if row is None else f"written from {row['source_file']}:{row['source_line']}"
        else:
            got = rejected.get((file, line), "written" if probe in landed else "missing")
            ok = got == outcome
        lost += not ok
        seen.append(f"{probe}: {'ok' if ok else 'WRONG ' + got}")
    lost += unreconciled(run.lake)
    wedged = not run.ok
    detail = f"exit codes {run.codes}; " + ", ".join(seen)
    return FaultOutcome(lost, wedged, has_raw_traceback(run.output), False, detail)


def drop_case(corpus_file: str, expected: dict[str, tuple[int, str]], entity: str = "sales", key: str = "order_id"):
    """A case judged on one corpus file of the shared run: probe id -> (line, "written" or the expected rule)."""

    def reproduce(folder: Path) -> FaultOutcome:
        run = shared_run()
        path = f"{PLACES[corpus_file]}/{DROP_DAY}/{corpus_file}"
        outcome = judge(run, {k: (path, line, o) for k, (line, o) in expected.items()}, entity, key, entity)
        (folder / "outcome.txt").write_text(outcome.detail + "\n")
        return outcome

    return reproduce


def non_finite(folder: Path) -> FaultOutcome:
    run = shared_run()
    products = f"raw/product_master/{DROP_DAY}/products_non_finite.jsonl"
    warehouses = f"raw/warehouse_master/{DROP_DAY}/warehouses_non_finite.csv"
    product_outcome = judge(
        run,
        {
            "FAULT-NAN": (products, 1, "non_finite_number"),
            "FAULT-INF": (products, 2, "non_finite_number"),
            "FAULT-FINITE": (products, 3, "written"),
        },
        "products",
        "product_id",
        "products",
    )
    warehouse_outcome = judge(
        run, {"FAULT-WNAN": (warehouses, 2, "non_finite_number")}, "warehouses", "warehouse_id", "warehouses"
    )
    return FaultOutcome(
        product_outcome.rows_lost + warehouse_outcome.rows_lost - unreconciled(run.lake),
        product_outcome.wedged,
        product_outcome.raw_traceback,
        False,
        product_outcome.detail + "; " + warehouse_outcome.detail.split("; ", 1)[1],
    )


def implausible_dates(folder: Path) -> FaultOutcome:
    outcome = drop_case(
        "sales_implausible_dates.csv",
        {"FAULT-1900": (2, "implausible_date"), "FAULT-9999": (3, "implausible_date"), "FAULT-DATE-OK": (4, "written")},
    )(folder)
    months = {r["order_month"] for r in table(shared_run().lake, "sales", ["order_month"])}
    odd = sorted(m for m in months if not m.startswith("2024-"))
    if odd:  # a partition like 1900-01 is what made `load` fail with a 16 MB message
        return FaultOutcome(
            outcome.rows_lost, True, outcome.raw_traceback, False, f"partitions {odd}; {outcome.detail}"
        )
    return outcome


def lake_root_with_space_and_quote(folder: Path) -> FaultOutcome:
    run = shared_run()  # its lake's root is ODD_ROOT
    outcome = judge(run, {"FAULT-BRACKET-1": (BRACKETED_DROP, 2, "written"),
                          "FAULT-BRACKET-2": (BRACKETED_DROP, 3, "written")}, "sales", "order_id", "sales")  # fmt: skip
    # Every source's rows must name their drop lake-relative (raw/...), not a mangled %20 path.
    misnamed = sum(
        not row["source_file"].startswith("raw/")
        for name in ("sales", "shipments", "products", "transfer_lanes", "order_events")
        for row in table(run.lake, name, ["source_file"])
    )
    detail = f"{misnamed} rows with a misnamed source_file; {outcome.detail}"
    return FaultOutcome(outcome.rows_lost + misnamed, outcome.wedged, outcome.raw_traceback, False, detail)


def order_events_gate(folder: Path) -> FaultOutcome:
    """Too many bad events: the run must fail with the gate's one-paragraph message, no Py4J trace, nothing lost."""
    lake = fresh_lake(folder)
    land(lake, "order_events_gate.json", "raw/order_events", "year=2024/month=03/day=30/hour=23")
    code, output = cli(lake, "ingest", "--only", "products,warehouses,order_events")
    report = reports(lake).get("order_events", {})
    gate_said = "broke the rules" in output and "nothing was published" in output
    # Nothing was published, and the checkpoint did not move: the next run reads the same events again.
    published = written(lake, "order_events", "event_id")
    clean_failure = code == 2 and gate_said and report.get("status") == "failed" and not published
    detail = f"exit {code}; gate message {'printed' if gate_said else 'MISSING'}; report {report.get('status')}"
    return FaultOutcome(len(published), not clean_failure, has_raw_traceback(output), False, detail)


CASES = [
    FaultCase(
        "file name with a space and an accent, second header shape",
        "input",
        drop_case("sales export é 2024.csv", {"FAULT-SPACE-1": (2, "written"), "FAULT-SPACE-2": (3, "written")}),
    ),
    FaultCase(
        "Latin-1 bytes in a field",
        "input",
        drop_case("sales_latin1.csv", {"FAULT-LATIN1-OK": (2, "written"), "FAULT-LATIN1": (3, "invalid_encoding")}),
    ),
    FaultCase("NaN and Infinity in double columns (products, warehouses)", "input", non_finite),
    FaultCase("lake root with a space and a quote, drop named with brackets", "input", lake_root_with_space_and_quote),
    FaultCase(
        "price of 1e-300 (rounds to 0.00)",
        "input",
        drop_case("sales_tiny_price.csv", {"FAULT-TINY-OK": (2, "written"), "FAULT-TINY": (3, "rounds_to_zero")}),
    ),
    FaultCase("orders dated 1900-01-01 and 9999-12-31, then load", "input", implausible_dates),
    FaultCase(
        "byte-order mark at the start of a drop",
        "input",
        drop_case(
            "shipments_bom.csv",
            {"FAULT-BOM-1": (2, "written"), "FAULT-BOM-2": (3, "written")},
            entity="shipments",
            key="shipment_id",
        ),
    ),
    FaultCase(
        "quoted field with an embedded line break",
        "input",
        drop_case(
            "sales_embedded_newline.csv", {"FAULT-NEWLINE": (2, "written"), "FAULT-NEWLINE-AFTER": (4, "written")}
        ),
    ),
    FaultCase("order-events quality gate fails", "input", order_events_gate),
]
